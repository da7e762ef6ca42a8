import Foundation
import XCTest
import ZooCore
import ZooTensor
import ZooTestSupport
@testable import ZooData

/// DICOM, NIfTI geometry and LIDC on real files: pydicom's and nibabel's own test data, read by
/// pydicom and nibabel as the reference (Tests/Fixtures/clinical_reference.py), and a small
/// LIDC-IDRI case in the archive's layout and XML schema (Tests/Fixtures/lidc_fixture.py).
final class ClinicalDataTests: XCTestCase {
    func clinical(_ name: String) throws -> URL {
        try fixtureFile("clinical", name, generator: "Tests/Fixtures/clinical_reference.py")
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// Largest absolute difference, and how many values differ by more than `tolerance`.
    func compare(_ values: [Float], _ reference: [Float], tolerance: Float) -> (maximum: Float, over: Int) {
        var maximum: Float = 0, over = 0
        for (a, b) in zip(values, reference) {
            let difference = abs(a - b)
            maximum = max(maximum, difference)
            if difference > tolerance { over += 1 }
        }
        return (maximum, over)
    }

    func affine(_ any: Any?) -> [Double] { (any as! [[Double]]).flatMap { $0 } }

    // MARK: DICOM images

    func testDICOMImagesMatchPydicomInEveryTransferSyntax() throws {
        let table = try json(try clinical("dicom.json"))
        // Zoo's refusals, tested below; JPEG-lossy is compared with its repaired twin.
        let refused: Set<String> = ["liver_1frame", "SC_rgb_rle_16bit", "rtplan", "unsupported_syntax", "unsupported_syntax_mpeg2", "MR_truncated"]
        var checked: [String] = []
        for (stem, value) in table.sorted(by: { $0.key < $1.key }) where !refused.contains(stem) {
            let entry = value as! [String: Any]
            guard entry["decoded"] as? Bool == true, let npy = entry["npy"] as? String else { continue }
            let image = try DICOMImage(try clinical("dicom/\(stem).dcm"))
            let reference = try readNumpy(try clinical(npy))
            XCTAssertEqual(image.pixels.shape, reference.shape, stem)
            var expected = reference.scalars
            if entry["photometric"] as? String == "MONOCHROME1" {
                // pydicom leaves MONOCHROME1 as stored; Zoo inverts it over the stored range.
                let bits = entry["bits_stored"] as! Int
                let slope = Float(entry["rescale_slope"] as? Double ?? 1), intercept = Float(entry["rescale_intercept"] as? Double ?? 0)
                let highest = Float((1 << bits) - 1)
                expected = expected.map { value in (highest - (value - intercept) / slope) * slope + intercept }
            }
            // Lossy JPEG decoded by another libjpeg build (pydicom: Pillow's or pylibjpeg's, Zoo:
            // GDCM's) differs in the last level, YBR_FULL_422 with upsampled chroma by a few;
            // every lossless syntax is exact.
            let lossy = ["examples_ybr_color": Float(3), "JPGExtended": 1]
            let tolerance: Float = lossy[stem] ?? 1e-3 * max(1, expected.map(abs).max() ?? 1)
            let (maximum, over) = compare(image.pixels.values, expected, tolerance: tolerance)
            XCTAssertEqual(over, 0, "\(stem): \(over) values differ by more than \(tolerance) (largest \(maximum))")
            XCTAssertTrue(image.transferSyntax.hasSuffix("(\(entry["transfer_syntax_uid"] as! String))"), "\(stem): \(image.transferSyntax)")
            if let spacing = entry["pixel_spacing"] as? [Double] {
                assertClose(image.pixelSpacing?.map(Double.init) ?? [], spacing, accuracy: 1e-5, stem)
            }
            checked.append(stem)
        }
        // Uncompressed (little, big endian, implicit), RLE, JPEG-LS, JPEG 2000, JPEG baseline and
        // extended, YBR, MONOCHROME1, multi-frame and CT in HU are all among them.
        for stem in ["MR_small", "MR_small_RLE", "MR_small_jpeg_ls_lossless", "MR_small_jp2klossless", "MR_small_bigendian", "MR_small_implicit",
                     "CT_small", "JPEG2000", "SC_rgb_jpeg_dcmtk", "image_dfl", "SC_ybr_full_422_uncompressed", "examples_ybr_color", "rtdose", "CR1_6154", "JPGExtended"] {
            XCTAssertTrue(checked.contains(stem), "\(stem) was not compared")
        }
        // The 12-bit extended JPEG pydicom cannot decode: GDCM's decoding against pydicom's
        // reading of the same pixels re-encoded (JPGExtended), within one level.
        let lossy = try DICOMImage(try clinical("dicom/JPEG-lossy.dcm"))
        let twin = try readNumpy(try clinical("dicom/JPGExtended.npy"))
        XCTAssertEqual(compare(lossy.pixels.values, twin.scalars, tolerance: 1).over, 0)
    }

    func testCTInHounsfieldUnits() throws {
        let ct = try DICOMImage(try clinical("dicom/CT_small.dcm"))
        let reference = try readNumpy(try clinical("dicom/CT_small.npy"))
        XCTAssertEqual(ct.pixels.values, reference.scalars)
        XCTAssertEqual(try ct.header.numbers(.rescaleIntercept), [-1024])
        XCTAssertLessThan(ct.pixels.values.min()!, 0, "HU, not stored values")
        // A single-frame file is a 2D sample through the sources' reader.
        let loaded = try ImageFile.load(try clinical("dicom/CT_small.dcm"))
        XCTAssertEqual(loaded.image.shape, [128, 128, 1])
        assertClose(loaded.spacing?.map(Double.init) ?? [], [0.661468, 0.661468], accuracy: 1e-6)
    }

    func testRefusedFilesNameTheFileAndTheReason() throws {
        func message(_ stem: String) throws -> String {
            let url = try clinical("dicom/\(stem).dcm")
            do {
                _ = try DICOMImage(url)
            } catch let error as DataError {
                XCTAssertEqual(error.source, url.path)
                return error.message
            }
            XCTFail("\(stem) was read")
            return ""
        }
        XCTAssertTrue(try message("liver_1frame").contains("SINGLEBIT"))
        XCTAssertTrue(try message("SC_rgb_rle_16bit").contains("RLE Lossless"))
        XCTAssertTrue(try message("rtplan").contains("no pixel data"))
        XCTAssertTrue(try message("unsupported_syntax").contains("High-Throughput JPEG 2000 Lossless (1.2.840.10008.1.2.4.201)"))
        XCTAssertTrue(try message("unsupported_syntax_mpeg2").contains("MPEG2 Main Profile (1.2.840.10008.1.2.4.100)"))
        // GDCM pads short pixel data with zeros and only warns; Zoo refuses it.
        XCTAssertTrue(try message("MR_truncated").contains("truncated: Pixel Data (7FE0,0010) holds 8130 bytes, the image needs 8192"))
        // A multi-frame file is no single 2D image: the dicom source's images kind reads it.
        XCTAssertThrowsError(try ImageFile.load(try clinical("dicom/rtdose.dcm"))) { error in
            XCTAssertTrue("\(error)".contains("15 frames"), "\(error)")
        }
    }

    /// Damaged files, as archives hold them: bytes overwritten and files cut short, in every
    /// syntax. Each is read or refused with an error naming it, never a crash: Debian's GDCM
    /// asserts on some of them (before the fix, `abort()` ended the test process on the first
    /// of these variants of MR_small.dcm).
    func testDamagedFilesAreRefusedNotCrashes() throws {
        let folder = temporaryFolder()
        var aborted = 0, refused = 0, read = 0
        for stem in ["MR_small", "MR_small_RLE", "MR_small_jp2klossless", "MR_small_jpeg_ls_lossless", "CT_small", "SC_rgb_jpeg_dcmtk", "image_dfl"] {
            let original = [UInt8](try Data(contentsOf: try clinical("dicom/\(stem).dcm")))
            var variants: [[UInt8]] = []
            for offset in stride(from: 132, to: original.count - 8, by: max(1, original.count / 24)) {
                var damaged = original
                for i in offset..<(offset + 8) { damaged[i] = 0xFF }
                variants.append(damaged)
                // GDCM takes tens of seconds over some cut JPEG streams (docs/DATA.md); the cut
                // variants of the other syntaxes keep the test short.
                if stem != "SC_rgb_jpeg_dcmtk" { variants.append(Array(original[..<offset])) }
            }
            for (index, bytes) in variants.enumerated() {
                let url = folder.appendingPathComponent("\(stem)-\(index).dcm")
                try Data(bytes).write(to: url)
                do {
                    _ = try DICOMImage(url)
                    read += 1
                } catch let error as DataError {
                    XCTAssertEqual(error.source, url.path)
                    if error.message.contains("malformed: GDCM stopped") { aborted += 1 } else { refused += 1 }
                }
            }
        }
        XCTAssertGreaterThan(aborted, 0, "some variants trip GDCM's assertions: the guard is exercised")
        XCTAssertGreaterThan(refused + read, 0)
    }

    // MARK: Series and orientation

    func testSeriesSortedAlongTheNormalInHUAndRASAsNibabel() throws {
        let table = try json(try clinical("series.json"))["CT5N"] as! [String: Any]
        let folder = try clinical("series/CT5N")
        let series = try DICOMSeries.single(in: folder)
        XCTAssertEqual(series.files.map { URL(fileURLWithPath: $0).lastPathComponent }, table["sorted_files"] as! [String])
        let volume = try series.read()
        assertClose(volume.geometry.affine, affine(table["ras_affine"]), accuracy: 1e-4)
        let loaded = try ImageFile.load(folder)
        let reference = try readNumpy(try clinical("series_CT5N.npy"))
        XCTAssertEqual(loaded.image.shape, reference.shape + [1])
        XCTAssertEqual(loaded.image.values, reference.scalars)
        assertClose(loaded.geometry!.affine, affine(table["canonical_affine"]), accuracy: 1e-4)
        assertClose(loaded.spacing?.map(Double.init) ?? [], [2.5, 0.488281, 0.488281], accuracy: 1e-5)
    }

    func testSeriesWithAMissingSliceIsRefusedOrResampled() throws {
        let folder = try clinical("series/CT5N_gap")
        XCTAssertThrowsError(try ImageFile.load(folder)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("not evenly spaced") && text.contains("1 missing slice"), text)
            XCTAssertTrue(text.contains("uneven_spacing: resample"), text)
        }
        let resampled = try ImageFile.load(folder, unevenSpacing: .resample)
        let full = try ImageFile.load(try clinical("series/CT5N"))
        XCTAssertEqual(resampled.image.shape, full.image.shape)
        assertClose(resampled.geometry!.affine, full.geometry!.affine, accuracy: 1e-4)
        // The missing slice is the mean of its neighbours; the others are the read slices.
        let size = 16 * 16
        let slice = { (image: ImageArray, k: Int) in Array(image.values[(k * size)..<((k + 1) * size)]) }
        for k in [0, 1, 3, 4] { XCTAssertEqual(slice(resampled.image, k), slice(full.image, k)) }
        XCTAssertEqual(slice(resampled.image, 2), zip(slice(full.image, 1), slice(full.image, 3)).map { ($0 + $1) / 2 })
    }

    func testFolderOfMixedSeriesNamesThem() throws {
        XCTAssertThrowsError(try DICOMSeries.single(in: try clinical("series/mixed"))) { error in
            XCTAssertTrue("\(error)".contains("holds 2 series"), "\(error)")
        }
        // Two slices at one position, and a position-less series, are named too.
        let folder = temporaryFolder()
        let files = DICOMSeries.dicomFiles(under: try clinical("series/CT5N"))
        try FileManager.default.copyItem(atPath: files[0], toPath: folder.appendingPathComponent("a.dcm").path)
        try FileManager.default.copyItem(atPath: files[0], toPath: folder.appendingPathComponent("b.dcm").path)
        XCTAssertThrowsError(try DICOMSeries.single(in: folder)) { error in
            XCTAssertTrue("\(error)".contains("duplicate slice"), "\(error)")
        }
    }

    func testNIfTIAffinesAndCanonicalOrientationAsNibabel() throws {
        let table = try json(try clinical("nifti.json"))
        for stem in ["anatomical", "example4d", "functional", "reoriented_anat_moved", "standard"] {
            let entry = table[stem] as! [String: Any]
            let file = try clinical("nifti/\(stem)" + (stem == "example4d" || stem == "standard" ? ".nii.gz" : ".nii"))
            let raw = try NIfTI.read(file)
            let rawReference = try readNumpy(try clinical("nifti/\(stem)_raw.npy"))
            let scale = max(1, rawReference.scalars.map(abs).max()!)
            XCTAssertEqual(raw.image.shape, rawReference.shape, stem)
            XCTAssertEqual(compare(raw.image.values, rawReference.scalars, tolerance: 1e-5 * scale).over, 0, stem)
            assertClose(raw.geometry.affine.affine, affine(entry["affine"]), accuracy: 1e-4, stem)

            let canonical = try ImageFile.load(file)
            let reference = try readNumpy(try clinical("nifti/\(stem)_canonical.npy"))
            XCTAssertEqual(canonical.image.shape, reference.shape, stem)
            XCTAssertEqual(compare(canonical.image.values, reference.scalars, tolerance: 1e-5 * scale).over, 0, stem)
            assertClose(canonical.geometry!.affine, affine(entry["canonical_affine"]), accuracy: 1e-4, stem)
            XCTAssertEqual(canonical.reorientation!.isIdentity, (entry["axcodes"] as! [String]) == ["R", "A", "S"], stem)
        }
    }

    func testBadNIfTIGeometryIsNamed() throws {
        let singular = try clinical("nifti/singular_affine.nii")
        XCTAssertThrowsError(try ImageFile.load(singular)) { error in
            let error = error as! DataError
            XCTAssertEqual(error.source, singular.path)
            XCTAssertTrue(error.message.contains("sform") && error.message.contains("singular"), error.message)
        }
        let nifti2 = try clinical("nifti/example_nifti2.nii.gz")
        XCTAssertThrowsError(try ImageFile.load(nifti2)) { error in
            XCTAssertEqual((error as! DataError).source, nifti2.path)
        }
    }

    func testReorientationRoundTripsEveryAxisOrder() throws {
        // Every permutation and flip of the axes: the inverse gives the volume back, and the
        // affine keeps every voxel where it was in the patient.
        let image = ImageArray(shape: [2, 3, 4, 1], values: (0..<24).map(Float.init))
        for permutation in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            for flips in 0..<8 {
                var affine = [Double](repeating: 0, count: 16)
                affine[15] = 1
                for axis in 0..<3 {
                    let sign: Double = (flips >> axis) & 1 == 1 ? -1 : 1
                    affine[4 * permutation[axis] + axis] = sign * Double(axis + 1)
                    affine[4 * axis + 3] = Double(10 * axis)
                }
                let volume = OrientedVolume(image: image, geometry: VolumeGeometry(affine: affine))
                let (canonical, plan) = try volume.canonical(file: "test")
                XCTAssertEqual(plan.invert(canonical.image), image)
                for index in 0..<3 {
                    let rasStep = canonical.geometry.step(index)
                    XCTAssertGreaterThan(rasStep[index], 0, "axis \(index) of \(permutation) flips \(flips) points to RAS")
                }
                // The voxel at the canonical grid's origin lies where the same value lay before.
                let value = canonical.image.values[0]
                let source = Int(value)
                let (k, j, i) = (source / 12, (source / 4) % 3, source % 4)
                let before = (0..<3).map { r in affine[4 * r] * Double(i) + affine[4 * r + 1] * Double(j) + affine[4 * r + 2] * Double(k) + affine[4 * r + 3] }
                assertClose(before, (0..<3).map { canonical.geometry.affine[4 * $0 + 3] }, accuracy: 1e-9)
            }
        }
    }

    // MARK: Spacing and masks written back

    func testSpacingTransformResamplesToMillimetresAndMovesTheAffine() throws {
        let loaded = try ImageFile.load(try clinical("series/CT5N"))
        var sample = loaded.sample(SampleInfo(id: "ct"))
        sample.mask = ImageArray(shape: loaded.image.spatialShape + [1], values: loaded.image.values.map { $0 > 0 ? 1 : 0 })
        var random = RandomGenerator(seed: 0)
        let transform = try Transform.named("spacing", ["pixdim": [1.25, 1, 1]])
        let out = try transform.apply(sample, random: &random)
        XCTAssertEqual(out.image.shape, [10, 8, 8, 1])
        XCTAssertEqual(out.mask!.shape, [10, 8, 8, 1])
        XCTAssertEqual(Set(out.mask!.values), [0, 1], "nearest keeps labels")
        assertClose(out.spacing!.map(Double.init), [1.25, 0.976562, 0.976562], accuracy: 1e-5)
        // The new voxel (0, 0, 0) sits half a new voxel minus half an old one in from the corner.
        let old = loaded.geometry!, new = out.geometry!
        for axis in 0..<3 {
            let ratio = [16.0 / 8, 16.0 / 8, 5.0 / 10][axis]
            assertClose(new.step(axis), old.step(axis).map { $0 * ratio }, accuracy: 1e-9)
        }
        let shift: [Double] = [0.5, 0.5, -0.25]  // 0.5 r - 0.5 for r = 2, 2, 0.5 (axes i, j, k)
        var origin = [Double]()
        for r in 0..<3 {
            var position = old.affine[4 * r + 3]
            for c in 0..<3 { position += old.affine[4 * r + c] * shift[c] }
            origin.append(position)
        }
        assertClose((0..<3).map { new.affine[4 * $0 + 3] }, origin, accuracy: 1e-9)
        // Without spacing the transform says which sample lacks it.
        XCTAssertThrowsError(try transform.apply(Sample(image: ImageArray(repeating: 0, shape: [4, 4, 4, 1]), info: SampleInfo(id: "bare")), random: &random)) { error in
            XCTAssertTrue("\(error)".contains("bare") && "\(error)".contains("no voxel spacing"), "\(error)")
        }
    }

    func testMaskWrittenBackInTheInputsGrid() throws {
        let folder = temporaryFolder()
        // A NIfTI that is not RAS (LAS): the mask of its canonical view, written back, lies on
        // the file's own voxels with the file's own header.
        let input = try clinical("nifti/anatomical.nii")
        let loaded = try ImageFile.load(input)
        XCTAssertFalse(loaded.reorientation!.isIdentity)
        let threshold = loaded.image.values.sorted()[loaded.image.values.count / 2]
        let mask = ImageArray(shape: loaded.image.spatialShape + [1], values: loaded.image.values.map { $0 > threshold ? 1 : 0 })
        let url = folder.appendingPathComponent("anatomical-mask.nii.gz")
        try ImageFile.writeMask(mask, for: input, to: url)
        let written = try NIfTI.read(url), raw = try NIfTI.read(input)
        XCTAssertEqual(written.image.values, raw.image.values.map { $0 > threshold ? 1 : 0 })
        assertClose(written.geometry.affine.affine, raw.geometry.affine.affine, accuracy: 1e-5)
        // A mask on a coarser grid of the same extent comes back by nearest.
        let coarse = Grid.resize(mask, to: mask.spatialShape.map { ($0 + 1) / 2 }, linear: false)
        try ImageFile.writeMask(coarse, for: input, to: url)
        XCTAssertEqual(try NIfTI.read(url).image.shape, raw.image.shape)

        // A DICOM series: the mask in the series' stacking order with the series' affine.
        let series = try clinical("series/CT5N")
        let volume = try ImageFile.load(series)
        let seriesMask = ImageArray(shape: volume.image.spatialShape + [1], values: volume.image.values.map { $0 > 0 ? 1 : 0 })
        let seriesURL = folder.appendingPathComponent("ct-mask.nii.gz")
        try ImageFile.writeMask(seriesMask, for: series, to: seriesURL)
        let back = try NIfTI.read(seriesURL)
        let stacked = try DICOMSeries.single(in: series).read()
        XCTAssertEqual(back.image.values, stacked.image.values.map { $0 > 0 ? 1 : 0 })
        assertClose(back.geometry.affine.affine, stacked.geometry.affine, accuracy: 1e-4)
    }

    // MARK: Sources

    func testDicomSourceSeriesAndImages() throws {
        let series = try DatasetFactory.make(source: "dicom", options: ["path": .scalar(try clinical("series/CT5N").path)])
        XCTAssertEqual(series.count, 1)
        let volume = try series.sample(at: 0)
        XCTAssertEqual(volume.image.shape, [5, 16, 16, 1])
        XCTAssertNotNil(volume.geometry)
        let patient = try DICOMHeader(try clinical("series/CT5N/3353").path).text(.patientID)
        XCTAssertEqual(series.info(at: 0).group, patient, "the patient is the split group")
        XCTAssertNotNil(patient)

        // images: one folder per class; every frame of a multi-frame file is a sample.
        let root = temporaryFolder()
        for (folder, files) in [("benign", ["MR_small"]), ("malignant", ["CT_small", "rtdose"])] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            for file in files {
                try FileManager.default.copyItem(at: try clinical("dicom/\(file).dcm"), to: root.appendingPathComponent("\(folder)/\(file).dcm"))
            }
        }
        let images = try DatasetFactory.make(
            source: "dicom", options: ["path": .scalar(root.path), "kind": "images", "labels": "folders"], classNames: ["benign", "malignant"])
        XCTAssertEqual(images.count, 1 + 1 + 15)
        XCTAssertEqual(images.classNames, ["benign", "malignant"])
        let frame = (0..<images.count).first { images.info(at: $0).id == "malignant/rtdose.dcm#3" }!
        let reference = try readNumpy(try clinical("dicom/rtdose.npy"))
        XCTAssertEqual(try images.sample(at: frame).image.values, Array(reference.scalars[(3 * 100)..<(4 * 100)]))
        XCTAssertEqual(images.info(at: frame).label, 1)
        XCTAssertThrowsError(try DatasetFactory.make(source: "dicom", options: ["path": .scalar(root.path), "kind": "volumes"])) { error in
            XCTAssertTrue("\(error)".contains("data.dicom.kind") && "\(error)".contains("series, images"), "\(error)")
        }
        // zoo predict: a series folder is one volume, single files are images.
        let inputs = try FileListDataset(inputs: [try clinical("series/CT5N"), try clinical("dicom/CT_small.dcm")], bitDepth: 8)
        XCTAssertEqual(inputs.count, 2)
        XCTAssertEqual(try inputs.sample(at: 0).image.shape, [5, 16, 16, 1])
        XCTAssertEqual(try inputs.sample(at: 1).image.shape, [128, 128, 1])
    }

    // MARK: LIDC

    func lidc(_ name: String) throws -> URL { try fixtureFile("lidc", name, generator: "Tests/Fixtures/lidc_fixture.py") }

    func testLIDCReadersGroupedIntoNodulesWithTheirLabelAndPatch() throws {
        let expected = try json(try lidc("expected.json"))
        let dataset = try LIDCDataset(root: try lidc("LIDC-IDRI-0001"), patchSize: 124)
        let nodules = dataset.nodules.sorted { ($0.slice, $0.row, $0.column) < ($1.slice, $1.row, $1.column) }
        let truth = expected["nodules"] as! [[String: Any]]
        XCTAssertEqual(nodules.count, truth.count, "the <3 mm nodule and the non-nodule are left out")
        for (nodule, reference) in zip(nodules, truth) {
            XCTAssertEqual(nodule.ratings, (reference["malignancy"] as! [Int]).sorted())
            XCTAssertEqual(nodule.median, reference["median_malignancy"] as! Double)
            XCTAssertEqual([nodule.slice, nodule.row, nodule.column], reference["center_voxel"] as! [Int])
            XCTAssertEqual(Set(nodule.readers).count, (reference["readers"] as! [Any]).count)
            XCTAssertEqual(nodule.patient, expected["patient_id"] as! String)
        }
        // LIDC's rule: 4.5 malignant, 2 benign, 3 left out.
        XCTAssertEqual(dataset.count, 2)
        let labels = (0..<dataset.count).map { dataset.info(at: $0).label! }
        XCTAssertEqual(labels.sorted(), [0, 1])
        for index in 0..<dataset.count {
            let sample = try dataset.sample(at: index)
            XCTAssertEqual(sample.image.shape, [124, 124, 1])
            XCTAssertEqual(sample.image.values[62 * 124 + 62], Float(expected["nodule_hu"] as! Double), "the nodule's HU at the patch centre")
            XCTAssertTrue(sample.image.values.contains(Float(expected["background_hu"] as! Double)))
            XCTAssertEqual(dataset.info(at: index).group, "LIDC-IDRI-0001")
        }
        // A threshold rule keeps the indeterminate nodule (median 3 >= 3: malignant).
        let threshold = try DatasetFactory.make(
            source: "lidc", options: ["path": .scalar(try lidc("LIDC-IDRI-0001").path), "label_rule": "threshold", "threshold": "3", "size": "32"])
        XCTAssertEqual((0..<threshold.count).map { threshold.info(at: $0).label! }.sorted(), [0, 1, 1])
        XCTAssertEqual(try threshold.sample(at: 0).image.shape, [32, 32, 1])
        // Two readers required: the benign nodule only one reader saw is left out.
        let two = try LIDCDataset(root: try lidc("LIDC-IDRI-0001"), rule: .threshold(3), minimumReaders: 2)
        XCTAssertEqual(two.count, 2)
    }

    func testLIDCXMLThatDoesNotMatchItsSeriesIsNamed() throws {
        let expected = try json(try lidc("expected.json"))["mismatch"] as! [String: Any]
        XCTAssertThrowsError(try LIDCDataset(root: try lidc("mismatch"))) { error in
            let error = error as! DataError
            XCTAssertTrue(error.source.hasSuffix(".xml"), error.source)
            XCTAssertTrue(error.message.contains(expected["xml_series_instance_uid"] as! String), error.message)
            XCTAssertTrue(error.message.contains(expected["series_instance_uid"] as! String), error.message)
        }
    }
}

/// Two arrays of doubles equal within `accuracy`, element by element.
func assertClose(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(message): \(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        XCTFail("\(message): \(a) vs \(b)", file: file, line: line)
        return
    }
}
