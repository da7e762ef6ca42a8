import Foundation
import XCTest
import ZooTestSupport

@testable import ZooKit

/// The HTML report as a reader sees it (#21, item 6): headless Chromium (Debian's `chromium`,
/// installed by the test command) loads a run's `report.html` and measures every figure on the
/// page; each must have a size, and every embedded picture must decode.
final class ReportRenderingTests: XCTestCase {
    let quiet = Progress(interactive: false, write: { _ in })

    /// The Chromium on the PATH, or a skip that says why there is none.
    func chromium() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        print("SKIPPED: no chromium on the PATH (scripts/install-deps.sh --tests installs Debian's chromium)")
        throw XCTSkip("no chromium on the PATH (scripts/install-deps.sh --tests installs it)")
    }

    /// Each figure of `html` as Chromium lays it out: a script added at the end of a copy writes
    /// the sizes into the page, and `--dump-dom` prints the page after it ran.
    func measure(_ html: URL, chromium: String) throws -> [[String: Any]] {
        let probe = """
            <script>
            window.addEventListener('load', () => {
              const out = [];
              for (const svg of document.querySelectorAll('svg')) {
                if (svg.parentElement.closest('svg')) continue;
                const r = svg.getBoundingClientRect();
                out.push({kind: 'svg', width: r.width, height: r.height, ok: true});
              }
              for (const image of document.querySelectorAll('svg image')) {
                const b = image.getBBox();
                out.push({kind: 'image', width: b.width, height: b.height, ok: (image.getAttribute('href') || '').startsWith('data:image/png;base64,')});
              }
              for (const img of document.querySelectorAll('img')) {
                const r = img.getBoundingClientRect();
                out.push({kind: 'img', width: r.width, height: r.height, ok: img.complete && img.naturalWidth > 0});
              }
              const pre = document.createElement('pre');
              pre.id = 'zoo-figures';
              pre.textContent = JSON.stringify(out);
              document.body.appendChild(pre);
            });
            </script>
            """
        let page = try String(contentsOf: html, encoding: .utf8)
        let copy = html.deletingLastPathComponent().appendingPathComponent("rendered-check.html")
        try page.replacingOccurrences(of: "</body>", with: probe + "</body>").write(to: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=10000",
            "--user-data-dir=\(try temporaryFolder(self).path)", "--dump-dom", copy.absoluteString,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let dom = String(decoding: data, as: UTF8.self)
        guard let start = dom.range(of: "<pre id=\"zoo-figures\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            XCTFail("Chromium printed no measurements (exit \(process.terminationStatus)): \(dom.prefix(500))")
            return []
        }
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    }

    func testARunReportShowsEveryFigureWithASize() throws {
        let chromium = try chromium()
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"),
            overrides: ["data.phantom.count=40", "data.phantom.size=32", "model.input_shape=[32, 32, 1]", "train.epochs=2", "train.batch_size=10",
                        "eval.gradcam=[last]", "eval.threshold=youden"])
        let result = try ExperimentRunner(config: config, runsRoot: try temporaryFolder(self), progress: quiet).run(name: "rendered")
        let figures = try measure(result.run.reportHTML, chromium: chromium)
        let svgs = figures.filter { $0["kind"] as? String == "svg" }
        // Training curves, ROC, confusion matrix, precision-recall, calibration, decision curve,
        // and four Grad-CAM figures of three embedded pictures each.
        XCTAssertGreaterThanOrEqual(svgs.count, 10, "\(figures)")
        XCTAssertEqual(figures.filter { $0["kind"] as? String == "image" }.count, 12, "\(figures)")
        for figure in figures {
            let (width, height) = (figure["width"] as? Double ?? 0, figure["height"] as? Double ?? 0)
            XCTAssertTrue(width > 0 && height > 0, "a figure without a size on the page: \(figure)")
            XCTAssertEqual(figure["ok"] as? Bool, true, "a picture that does not load: \(figure)")
        }
    }
}
