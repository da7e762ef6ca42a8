import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import ZooData
import ZooExplain
import ZooPlots
import ZooMetrics

/// The elements of an SVG document, parsed by Foundation's XMLParser (which fails on
/// malformed XML).
final class SVGElements: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
        var text = ""
    }
    private(set) var elements = [Element]()
    private var open = [Int]()

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? NSError(domain: "svg", code: 1) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = open.last { elements[last].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func all(_ name: String, role: String) -> [Element] {
        elements.filter { $0.name == name && $0.attributes["class"] == role }
    }
}

/// "x,y" as the SVG writer prints coordinates.
func point(_ x: Double, _ y: Double) -> String {
    func number(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        var text = String(format: "%.2f", r)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
    return "\(number(x)),\(number(y))"
}

final class PlotTests: XCTestCase {
    func testROCCurvesWithAUCsInTheLegend() throws {
        let labels = [0, 0, 0, 1, 1, 1, 0, 1]
        let models: [(String, [Double])] = [
            ("ResNet50", [0.1, 0.2, 0.3, 0.8, 0.9, 0.7, 0.4, 0.6]),
            ("VGG19", [0.3, 0.1, 0.6, 0.5, 0.9, 0.4, 0.2, 0.8]),
            ("InceptionV3", [0.5, 0.4, 0.3, 0.6, 0.2, 0.9, 0.1, 0.7]),
        ]
        let curves = try models.map { name, scores in (name: name, curve: try ROCCurve(try BinaryScores(scores: scores, labels: labels))) }
        let figure = try Plots.rocCurves(curves)
        let svg = try SVGElements(figure.svg)
        XCTAssertEqual(svg.all("path", role: "curve").count, 3)
        XCTAssertEqual(svg.all("path", role: "chance").count, 1)
        let legend = svg.all("text", role: "legend").map(\.text)
        XCTAssertEqual(legend.count, 3)
        for ((name, _), (text, c)) in zip(models, zip(legend, curves)) {
            XCTAssertEqual(text, "\(name) (AUC = \(String(format: "%.3f", c.curve.auc)))")
        }
        XCTAssertEqual(legend[0], "ResNet50 (AUC = 1.000)")
        // Every operating point of the first curve lands where the frame maps it.
        let frame = figure.panels[0]
        let d = svg.all("path", role: "curve")[0].attributes["d"]!
        for p in curves[0].curve.points {
            XCTAssertTrue(d.contains(point(frame.x(p.falsePositiveRate), frame.y(p.truePositiveRate))), "\(p) in \(d)")
        }
        XCTAssertEqual(frame.x(0), frame.left)
        XCTAssertEqual(frame.y(1), frame.top)
        XCTAssertEqual(svg.all("text", role: "title").map(\.text), ["ROC curves"])
        XCTAssertEqual(svg.all("text", role: "tick").count, 12)
    }

    func testConfusionMatrix() throws {
        let counts = [[50, 3, 2], [4, 40, 6], [0, 1, 44]]
        let figure = try Plots.confusionMatrix(counts, classNames: ["benign", "malignant", "pneumonia & other"])
        let svg = try SVGElements(figure.svg)
        let cells = svg.all("rect", role: "cell")
        XCTAssertEqual(cells.count, 9)
        XCTAssertEqual(svg.all("text", role: "count").map(\.text), counts.flatMap { $0.map(String.init) })
        XCTAssertEqual(svg.all("text", role: "percent")[1].text, "5.5%")
        XCTAssertEqual(svg.all("text", role: "class-label").count, 6)
        XCTAssertTrue(svg.all("text", role: "class-label").contains { $0.text == "pneumonia & other" }, "escaped and restored")
        // Cell (row 1, column 2) sits at left + 2 cells, top + 1 cell.
        let frame = figure.panels[0]
        XCTAssertEqual(Double(cells[5].attributes["x"]!), frame.left + 2 * 80)
        XCTAssertEqual(Double(cells[5].attributes["y"]!), frame.top + 80)
        // The largest share of a row is the darkest cell.
        XCTAssertLessThan(cells[8].attributes["fill"]!, cells[7].attributes["fill"]!)

        let binary = ConfusionMatrix(truePositives: 30, falsePositives: 5, trueNegatives: 60, falseNegatives: 5, threshold: 0.5)
        let two = try SVGElements(try Plots.confusionMatrix(binary).svg)
        XCTAssertEqual(two.all("text", role: "count").map(\.text), ["60", "5", "5", "30"])
    }

    func testTrainingCurves() throws {
        let history = TrainingHistory(
            loss: [1.0, 0.7, 0.5, 0.4], validationLoss: [1.1, 0.8, 0.65, 0.6], accuracy: [0.5, 0.7, 0.8, 0.85],
            validationAccuracy: [0.45, 0.65, 0.75, 0.8])
        let figure = try Plots.trainingCurves(history)
        let svg = try SVGElements(figure.svg)
        XCTAssertEqual(svg.all("path", role: "series").count, 4)
        XCTAssertEqual(figure.panels.count, 2)
        XCTAssertEqual(svg.all("text", role: "legend").map(\.text), ["training", "validation", "training", "validation"])
        // Epoch 3's validation loss.
        let loss = figure.panels[0]
        XCTAssertTrue(svg.all("path", role: "series")[1].attributes["d"]!.contains(point(loss.x(3), loss.y(0.65))))
        XCTAssertEqual(figure.width, 840)
        let lossOnly = try Plots.trainingCurves(TrainingHistory(loss: [1, 0.5]))
        XCTAssertEqual(lossOnly.panels.count, 1)
        // #21: whole epochs on the x axis (no 1.5), the legend below the panel (off the data),
        // the evaluated epoch marked on both panels.
        var marked = history
        marked.markedEpoch = (3, "evaluated: epoch 3")
        let markedFigure = try Plots.trainingCurves(marked)
        let elements = try SVGElements(markedFigure.svg)
        let epochTicks = elements.all("text", role: "tick").filter { Double($0.attributes["y"] ?? "") ?? 0 > markedFigure.panels[0].bottom }
        XCTAssertFalse(epochTicks.isEmpty)
        XCTAssertTrue(epochTicks.allSatisfy { Double($0.text).map { $0 == $0.rounded() } ?? false }, "\(epochTicks.map(\.text))")
        XCTAssertTrue(elements.all("text", role: "legend").allSatisfy { Double($0.attributes["y"]!)! > markedFigure.panels[0].bottom })
        XCTAssertEqual(elements.all("path", role: "mark").count, 2)
        XCTAssertEqual(elements.all("text", role: "mark-label").map(\.text), ["evaluated: epoch 3", "evaluated: epoch 3"])
    }

    func testVolumeScatter() throws {
        let reference: [Double] = [12, 30, 45, 60, 80, 110]
        let model: [Double] = [10, 33, 41, 66, 78, 104]
        let figure = try Plots.volumeScatter(model: model, reference: reference)
        let svg = try SVGElements(figure.svg)
        let points = svg.all("circle", role: "point")
        XCTAssertEqual(points.count, 6)
        let frame = figure.panels[0]
        XCTAssertEqual(frame.xRange, frame.yRange)
        for (circle, (m, r)) in zip(points, zip(model, reference)) {
            XCTAssertEqual(Double(circle.attributes["cx"]!)!, frame.x(r), accuracy: 0.006)
            XCTAssertEqual(Double(circle.attributes["cy"]!)!, frame.y(m), accuracy: 0.006)
        }
        let r = try Agreement.pearson(model, reference)
        XCTAssertEqual(svg.all("text", role: "statistic").map(\.text), ["Pearson r = \(String(format: "%.3f", r)), n = 6"])
        // The identity line runs corner to corner.
        let identity = svg.all("path", role: "identity")[0].attributes["d"]!
        XCTAssertEqual(identity, "M\(point(frame.left, frame.bottom)) L\(point(frame.right, frame.top))")
    }

    func testMismatchedInputsAreClearErrors() throws {
        XCTAssertThrowsError(try Plots.volumeScatter(model: [1, 2, 3], reference: [1, 2])) {
            XCTAssertEqual("\($0)", "volume scatter: model and reference volumes: lengths differ, 2 and 3")
        }
        XCTAssertThrowsError(try Plots.trainingCurves(TrainingHistory(loss: [1, 0.5, 0.4], validationLoss: [1, 0.6]))) {
            XCTAssertEqual($0 as? PlotError, .lengthMismatch(what: "training curves: loss and validation loss per epoch", expected: 3, actual: 2))
        }
        XCTAssertThrowsError(try ROCSeries(name: "m", falsePositiveRates: [0, 0.5, 1], truePositiveRates: [0, 1], auc: 0.8)) {
            XCTAssertTrue("\($0)".contains("lengths differ, 3 and 2"), "\($0)")
        }
        XCTAssertThrowsError(try Plots.confusionMatrix([[1, 2], [3, 4]], classNames: ["a"])) {
            XCTAssertEqual($0 as? PlotError, .lengthMismatch(what: "confusion matrix class names and rows", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try Plots.confusionMatrix([[1, 2], [3]], classNames: ["a", "b"]))
        XCTAssertThrowsError(try Plots.rocCurves([ROCSeries]()))
        XCTAssertThrowsError(try Plots.volumeScatter(model: [1, .nan], reference: [1, 2]))
    }

    func testPNGVersions() throws {
        let folder = try temporaryFolder(self)
        let series = try ROCSeries(name: "model", falsePositiveRates: [0, 0, 1], truePositiveRates: [0, 1, 1], auc: 1)
        let roc = try Plots.rocCurves([series])
        try roc.writeSVG(to: folder.appendingPathComponent("roc.svg"))
        let url = folder.appendingPathComponent("roc.png")
        try roc.writePNG(to: url, scale: 2)
        let image = try PNG.read(url).image
        XCTAssertEqual(image.shape, [roc.height * 2, roc.width * 2, 3])
        // The curve's vertical segment at FPR 0, half way up, is drawn in the first colour.
        let frame = roc.panels[0]
        let (x, y) = (Int(frame.x(0) * 2), Int(frame.y(0.5) * 2))
        let i = (y * image.shape[1] + x + 1) * 3
        XCTAssertEqual(Array(image.values[i..<i + 3]), [0x1f, 0x77, 0xb4])
        // Background stays white.
        XCTAssertEqual(Array(image.values[0..<3]), [255, 255, 255])

        let matrix = try Plots.confusionMatrix([[5, 1], [2, 7]], classNames: ["no", "yes"])
        let matrixURL = folder.appendingPathComponent("confusion.png")
        try matrix.writePNG(to: matrixURL)
        XCTAssertEqual(try PNG.read(matrixURL).image.shape, [matrix.height, matrix.width, 3])
    }
}
