import Foundation
import XCTest
import ZooData
import ZooExplain
import ZooPlots

final class OverlayTests: XCTestCase {
    func testColormaps() {
        let jetLow = Colormap.jet.color(0), jetHigh = Colormap.jet.color(1), jetMid = Colormap.jet.color(0.5)
        XCTAssertEqual([jetLow.red, jetLow.green, jetLow.blue], [0, 0, 0.5])
        XCTAssertEqual([jetHigh.red, jetHigh.green, jetHigh.blue], [0.5, 0, 0])
        XCTAssertEqual(jetMid.green, 1)
        XCTAssertEqual(Colormap.viridis.hex(0), "#440154")
        XCTAssertEqual(Colormap.viridis.hex(1), "#fde725")
        XCTAssertEqual(Colormap.viridis.hex(2), "#fde725", "clamped")
    }

    func testOverlayBlendsOnGray() throws {
        // A ramp image; the heat-map is 1 at the right edge only.
        let image = ImageArray(shape: [2, 3, 1], values: [0, 5, 10, 0, 5, 10])
        let heat = ImageArray(shape: [2, 3, 1], values: [0, 0, 1, 0, 0, 1])
        let gray = try HeatmapOverlay.overlay(image: image, heatmap: heat, alpha: 0)
        XCTAssertEqual(gray.shape, [2, 3, 3])
        XCTAssertEqual(Array(gray.values[3..<6]), [127.5, 127.5, 127.5])
        let blended = try HeatmapOverlay.overlay(image: image, heatmap: heat, colormap: .jet, alpha: 0.5)
        // Right pixel: gray 1 blended with jet(1) = (0.5, 0, 0).
        XCTAssertEqual(Array(blended.values[6..<9]), [0.5 * 255 + 0.5 * 127.5, 127.5, 127.5])
        // A smaller map is resized to the image.
        let coarse = ImageArray(shape: [1, 1, 1], values: [1])
        XCTAssertEqual(try HeatmapOverlay.overlay(image: image, heatmap: coarse).shape, [2, 3, 3])
        XCTAssertThrowsError(try HeatmapOverlay.overlay(image: image, heatmap: ImageArray(shape: [1, 1, 1, 1], values: [1])))
        XCTAssertThrowsError(try HeatmapOverlay.overlay(image: image, heatmap: heat, alpha: 2))
    }

    func testMontageOfThreeMidSlices() throws {
        // Voxel value = 100 z + 10 y + x, volume D=4, H=3, W=5.
        var values = [Float]()
        for z in 0..<4 { for y in 0..<3 { for x in 0..<5 { values.append(Float(100 * z + 10 * y + x)) } } }
        let volume = ImageArray(shape: [4, 3, 5, 1], values: values)
        let montage = try HeatmapOverlay.montage(volume, gap: 1)
        XCTAssertEqual(montage.shape, [4, 5 + 1 + 5 + 1 + 3, 1])
        func pixel(_ r: Int, _ c: Int) -> Float { montage.values[r * 15 + c] }
        XCTAssertEqual(pixel(1, 3), 200 + 10 + 3, "axial slice z = 2: row y, column x")
        XCTAssertEqual(pixel(3, 6 + 4), 300 + 10 + 4, "coronal slice y = 1: row z, column x")
        XCTAssertEqual(pixel(2, 12 + 1), 200 + 10 + 2, "sagittal slice x = 2: row z, column y")
        XCTAssertEqual(pixel(3, 2), 0, "the 3-row axial panel is padded")
        XCTAssertThrowsError(try HeatmapOverlay.montage(volume, center: [4, 0, 0]))
    }

    func testWritesOverlayPNGs() throws {
        let folder = try temporaryFolder(self)
        let model = BuildContextFixtures.tinyNet()
        let image = randomImage([16, 16, 1], seed: 3)
        let map = try GradCAM(model: model).explain(image, layer: "unit2_relu", classIndex: 0)
        let url = folder.appendingPathComponent("overlay.png")
        try map.writeOverlay(on: image, to: url, colormap: .viridis)
        XCTAssertEqual(try PNG.read(url).image.shape, [16, 16, 3])

        let volumeModel = BuildContextFixtures.cnn3d()
        let volume = randomImage([12, 12, 12, 1], seed: 4)
        let volumeMap = try GradCAM(model: volumeModel).explain(volume, layer: "conv3d_1")
        let montageURL = folder.appendingPathComponent("montage.png")
        try volumeMap.writeOverlay(on: volume, to: montageURL)
        XCTAssertEqual(try PNG.read(montageURL).image.shape, [12, 12 * 3 + 4, 3])
    }

    /// A paper's Grad-CAM figure (#21): image, overlay and map side by side, each at least 256
    /// units wide, the colour bar, the title and the layer; a volume's panels are the slices
    /// through the map's maximum; the raster draws the same panels.
    func testGradCAMFigureShowsImageOverlayMapAndColourBar() throws {
        let image = randomImage([16, 16, 1], seed: 3)
        let map = try GradCAM(model: BuildContextFixtures.tinyNet()).explain(image, layer: "unit2_relu", classIndex: 0)
        let title = GradCAMFigure.title(sample: "case-7", trueClass: "benign", predictedClass: "malignant", probability: 0.8731)
        XCTAssertEqual(title, "case-7 · true: benign · predicted: malignant (p = 0.873)")
        let figure = try GradCAMFigure.make(image: image, map: map, title: title)
        XCTAssertGreaterThanOrEqual(figure.width, 3 * GradCAMFigure.minimumPanel)
        let svg = figure.svg
        XCTAssertEqual(svg.components(separatedBy: "class=\"panel\"").count - 1, 3)
        XCTAssertTrue(svg.contains(title) && svg.contains("Grad-CAM at unit2_relu") && svg.contains("class=\"colorbar\""), svg)
        XCTAssertTrue(svg.contains(Colormap.viridis.hex(1)), "viridis by default")
        let raster = figure.raster()
        XCTAssertEqual(raster.shape, [figure.height, figure.width, 3])
        XCTAssertGreaterThan(Set(raster.values).count, 10, "the panels are drawn")
        let exponentials = map.outputs.map { exp(Double($0)) }
        XCTAssertEqual(map.probability, exponentials[0] / exponentials.reduce(0, +), accuracy: 1e-6, "the softmax of the logits at the class")

        let volume = randomImage([12, 12, 12, 1], seed: 4)
        let volumeMap = try GradCAM(model: BuildContextFixtures.cnn3d()).explain(volume, layer: "conv3d_1")
        let volumeFigure = try GradCAMFigure.make(image: volume, map: volumeMap, title: "volume", colormap: .jet)
        let values = volumeMap.heatmap.values
        let peak = values.indices.max { values[$0] < values[$1] }!
        let center = "(\(peak / 144), \((peak / 12) % 12), \(peak % 12))"
        XCTAssertTrue(volumeFigure.svg.contains("slices through the maximum at voxel \(center)"), volumeFigure.svg.prefix(2000).description)
    }
}

import ZooCore
enum BuildContextFixtures {
    static func tinyNet() -> TinyNet { BuildContext.run(seed: 3) { TinyNet() } }
    static func cnn3d() -> SmallCNN3D { BuildContext.run(seed: 4) { SmallCNN3D() } }
}
