import Foundation
import XCTest
import ModelZoo
import ZooCore
import ZooNN
import ZooTensor

@testable import ZooKit

/// `zoo bench`'s workloads, arithmetic count and result format (not its speed: no wall-clock
/// assertion here).
final class BenchTests: XCTestCase {
    func testUnknownWorkloadsListTheValidOnes() {
        XCTAssertThrowsError(try Workload.named("w9_resnet")) { error in
            XCTAssertTrue("\(error)".contains("w1_small_cnn_train, w2_resnet18_train"), "\(error)")
        }
        XCTAssertEqual(Workload.names.count, 10)
        XCTAssertEqual(try Workload.named("w4_resnet50_train").with(batch: 2, size: 112).input, [112, 112, 3])
    }

    /// torchvision documents ResNet18 at 1.81 G multiply-adds per 224x224 image.
    func testForwardFLOPsOfResNet18MatchTheDocumentedCount() throws {
        let model = try BuildContext.run(seed: 1) { try ModelZoo.variant("resnet18").make(ArchitectureOptions(classes: 1000)) }
        model.setTraining(false)
        let x = Tensor(zeros: [1, 224, 224, 3])
        let flops = ForwardFLOPs.count(try ShapeTrace.trace { _ = try withoutGrad { try model(x) } })
        XCTAssertEqual(flops / 2 / 1e9, 1.81, accuracy: 0.02)
    }

    func testAShrunkTrainingWorkloadReportsEveryField() throws {
        let workload = try Workload.named("w1_small_cnn_train").with(batch: 2, size: 32)
        let result = try Bench.run(workload, repeats: 3, warmup: 1)
        XCTAssertEqual(result.seconds.count, 3)
        XCTAssertEqual(result.medianSeconds, result.seconds.sorted()[1])
        XCTAssertGreaterThan(try XCTUnwrap(result.gflops), 0)
        XCTAssertGreaterThan(result.peakRSSMB, 1)
        let fields = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
        for key in ["workload", "framework", "median_seconds", "images_per_second", "gflops", "peak_rss_mb", "threads", "blas_kernel"] {
            XCTAssertNotNil(fields[key], key)
        }
    }

    /// `--threads` is the thread count the workload runs on and reports. It had been ignored:
    /// `zoo --version`'s text, built while the arguments were parsed, started the engine with
    /// every core before `zoo bench` could set ZOO_NUM_THREADS.
    func testTheThreadsOptionIsTheCountTheWorkloadRunsOn() throws {
        for threads in [1, 3] {
            let (status, text, errors) = try runZoo(
                [
                    "bench", "--workload", "w1_small_cnn_train", "--batch", "2", "--size", "32", "--repeats", "1", "--warmup", "0",
                    "--threads", String(threads), "--json",
                ],
                environment: ["ZOO_NUM_THREADS": nil, "ZOO_CONV_PLANS": "off"], beside: Self.self)
            XCTAssertEqual(status, 0, errors)
            let line = try XCTUnwrap(text.split(separator: "\n").last { $0.hasPrefix("{") }, text)
            let fields = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(fields["threads"] as? Int, threads, text)
        }
    }

    func testTheLoaderWorkloadReadsItsRingImages() throws {
        let result = try Bench.run(try Workload.named("loader"), repeats: 1)
        XCTAssertEqual(result.input, [112, 112, 3])
        XCTAssertNil(result.gflops)
        XCTAssertGreaterThan(result.imagesPerSecond, 0)
    }
}
