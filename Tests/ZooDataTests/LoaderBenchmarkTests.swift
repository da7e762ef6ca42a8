import Foundation
import XCTest
import ZooCore
@testable import ZooData

/// Loader throughput against PyTorch's DataLoader (bench/compare_loader.sh runs both). Opt-in:
/// it runs only with ZOO_BENCH=1, and it times, it does not assert.
final class LoaderBenchmarkTests: XCTestCase {
    func testLoaderThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["ZOO_BENCH"] == "1" else { return }
        func setting(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap { Int($0) } ?? fallback }
        let count = setting("ZOO_BENCH_IMAGES", 1024), size = setting("ZOO_BENCH_SIZE", 256)
        let batchSize = setting("ZOO_BENCH_BATCH", 32), workers = setting("ZOO_BENCH_WORKERS", 2)
        let epochs = setting("ZOO_BENCH_EPOCHS", 3)
        let folder = URL(fileURLWithPath: environment["ZOO_BENCH_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("zoo-loader-bench").path)
        let images = folder.appendingPathComponent("images")
        if !FileManager.default.fileExists(atPath: images.path) {
            // The shared folder: 8-bit gray PNGs of chest CT phantoms, one folder per class.
            _ = try DatasetExport.write(ChestCTPhantom(count: count, seed: 1, size: size), to: folder)
        }
        // ImageFolder's defaults: every image as RGB; then a random horizontal flip and a
        // bilinear resize to 224 x 224.
        let dataset = try FolderDataset(root: images, channels: .rgb)
        let transform = Compose([RandomFlip(horizontal: true), Resize(size: [224, 224], interpolation: .linear)])
        let loader = try DataLoader(dataset: dataset, transform: transform,
                                    options: .init(batchSize: batchSize, shuffle: true, workers: workers, prefetch: 2), seed: 0)
        var rates: [Double] = []
        for epoch in 0..<epochs {
            let start = Date()
            var seen = 0
            let batches = loader.epoch(epoch)
            while let batch = try batches.next() { seen += batch.labels.count }
            rates.append(Double(seen) / Date().timeIntervalSince(start))
        }
        let best = rates.max() ?? 0
        print(String(format: "zoo loader: %.1f images/s (best of %d epochs: %@; %d images of %dx%d, batch %d, %d workers)",
                     best, epochs, rates.map { String(format: "%.1f", $0) }.joined(separator: ", "), dataset.count, size, size,
                     batchSize, workers))
    }
}
