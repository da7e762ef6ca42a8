"""A small synthetic LIDC-IDRI case, in LIDC-IDRI's folder layout and XML schema, for ZooData's
LIDC reader (ZooDataTests.ClinicalDataTests). The data are made up (noise-free, so the tests
check exact HU); the layout and the XML follow the real collection, so the reader meets what
a downloaded case holds: a series folder with the DICOM slices and the readers' XML beside them,
nodule outlines as edge maps in pixel coordinates tied to slices by SOP Instance UID and z,
per-reader nodule IDs that do not match across readers, tiny nodules marked by a single point
without characteristics, and non-nodules with a locus.

Files, in OUT_DIR (default `$ZOO_FIXTURES/lidc`, else `~/.cache/zoo/fixtures/lidc`); a folder
holding `complete` (written last) is left alone:

    LIDC-IDRI-0001/<StudyInstanceUID>/<SeriesInstanceUID>/1-NNN.dcm
        20 axial CT slices, 160x160 int16, explicit VR little endian, rescale slope 1 and
        intercept -1024, pixel spacing 0.7 mm, slice thickness and spacing 2.5 mm.
        InstanceNumber n lies at z = -50 - 2.5 (n - 1), so z falls as n rises, and the file
        numbers NNN are a fixed shuffle: name order, instance order and position order all differ.
        Background -800 HU, nodules +40 HU (spheres, voxel centres within the radius).
    LIDC-IDRI-0001/<StudyInstanceUID>/<SeriesInstanceUID>/069.xml
        two reading sessions (LidcReadMessage, xmlns http://www.nih.gov).
    mismatch/LIDC-IDRI-0002/<StudyInstanceUID>/<SeriesInstanceUID>/
        the same pixels under new study/series/SOP UIDs and patient LIDC-IDRI-0002, with the
        first case's 069.xml unchanged: the XML names a series that is not beside it.
    expected.json   what a reader should find (schema in `main`).

Conventions the expected values use:
- slice index k counts slices in position order, k = 0 the smallest z (inferior-most);
  z(k) = -97.5 + 2.5 k, InstanceNumber = 20 - k.
- pixel (row r, column c) has its centre at (x, y) = (c, r) in edge-map coordinates
  (xCoord = column, yCoord = row, 0-based).
- an outline's region: the pixels whose centre lies on the closed polygon through its edgeMap
  points (on a segment between consecutive points, including last to first) or inside it by
  the even-odd rule. All coordinates are integers, so the test is exact.
- outlines of different readers on the same slice belong to one nodule when their regions
  share a pixel; nodules are the connected groups of that relation across slices.
- centroid: the mean (k, row, column) over every (reader outline, pixel) membership, so a pixel
  two readers both include counts twice; central_slice and center_voxel round it (no ties occur).
- label: median of the readers' malignancy; < 3 benign, > 3 malignant, 3 excluded.
- ignored: unblindedReadNodule without characteristics (LIDC's < 3 mm nodules, one edgeMap
  point) and nonNodule.

Usage: python Tests/Fixtures/lidc_fixture.py [OUT_DIR]
"""
import json
import os
import shutil
import sys
import uuid
import xml.etree.ElementTree as ET

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

SLICES, ROWS, COLUMNS = 20, 160, 160
PIXEL_SPACING = 0.7
SLICE_SPACING = 2.5
BACKGROUND_HU, NODULE_HU = -800, 40
INTERCEPT = -1024
XML_NAMESPACE = "http://www.nih.gov"
READERS = ("540461523", "912874365")  # servicingRadiologistID, as LIDC gives them: opaque numbers

# The nodules painted into the volume (centre in voxels: k, row, column; radius in mm). B's
# centre sits between slices so it crosses exactly two (k 14 and 15).
SPHERES = {
    "A": {"center": (6.0, 70.0, 90.0), "radius": 6.0},
    "B": {"center": (14.3, 40.0, 120.0), "radius": 3.2},
    "C": {"center": (16.0, 112.0, 48.0), "radius": 4.0},
    "tiny": {"center": (3.0, 130.0, 130.0), "radius": 1.2},
}


def z_of(k):
    return -97.5 + SLICE_SPACING * k


def uid(*parts):
    """A deterministic UUID-derived 2.25 UID, so reruns write the same files. (pydicom's
    generate_uid ignores its entropy sources under the 2.25 root.)"""
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_URL, "zoo-lidc-fixture/" + "/".join(parts)).int)


def disk(center_row, center_column, radius_mm):
    """Boolean (ROWS, COLUMNS) mask of pixel centres within radius_mm of the centre."""
    rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
    return ((rows - center_row) * PIXEL_SPACING) ** 2 + ((columns - center_column) * PIXEL_SPACING) ** 2 <= radius_mm ** 2


def sphere_section(name, k):
    """The sphere's cross-section on slice k as a mask, or None when it misses the slice."""
    sphere = SPHERES[name]
    ck, row, column = sphere["center"]
    dz = (k - ck) * SLICE_SPACING
    if abs(dz) > sphere["radius"]:
        return None
    return disk(row, column, np.sqrt(sphere["radius"] ** 2 - dz ** 2))


def volume_hu():
    volume = np.full((SLICES, ROWS, COLUMNS), BACKGROUND_HU, dtype=np.int16)
    for name in SPHERES:
        for k in range(SLICES):
            section = sphere_section(name, k)
            if section is not None:
                volume[k][section] = NODULE_HU
    return volume


def trace_boundary(mask):
    """Moore-neighbour tracing: the 8-connected chain of boundary pixels as (row, column),
    clockwise on screen from the top-left pixel, closed by repeating the first point (as LIDC's
    edge maps are)."""
    pixels = np.argwhere(mask)
    start = tuple(int(v) for v in pixels[0])  # top row, leftmost pixel: its west is outside
    if len(pixels) == 1:
        return [start]
    around = [(0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1)]  # W, NW, N, ... SW

    def inside(point):
        return 0 <= point[0] < ROWS and 0 <= point[1] < COLUMNS and mask[point]

    chain, current, back = [start], start, 0
    for _ in range(4 * mask.size):
        for turn in range(1, 9):
            direction = (back + turn) % 8
            step = around[direction]
            candidate = (current[0] + step[0], current[1] + step[1])
            if inside(candidate):
                break
        behind = around[(direction - 1) % 8]
        behind_pixel = (current[0] + behind[0], current[1] + behind[1])
        back = around.index((behind_pixel[0] - candidate[0], behind_pixel[1] - candidate[1]))
        current = candidate
        chain.append(current)
        if current == start:
            return chain
    raise RuntimeError("boundary trace did not close")


def in_region(x, y, polygon):
    """Pixel centre (x, y) on the closed polygon or inside it by the even-odd rule; exact."""
    inside = False
    count = len(polygon)
    for index in range(count):
        x1, y1 = polygon[index]
        x2, y2 = polygon[(index + 1) % count]
        if (x2 - x1) * (y - y1) == (y2 - y1) * (x - x1) and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return True
        if (y1 > y) != (y2 > y):
            # Crossing left of the point: x < x1 + (y - y1)(x2 - x1)/(y2 - y1), without division.
            left, right = (x - x1) * (y2 - y1), (y - y1) * (x2 - x1)
            if (left < right) if y2 > y1 else (left > right):
                inside = not inside
    return inside


def region(points):
    """The (row, column) pixels of an outline given as edge-map (x, y) points."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return {(y, x) for y in range(min(ys), max(ys) + 1) for x in range(min(xs), max(xs) + 1) if in_region(x, y, points)}


def outline(mask):
    """Edge-map points (x = column, y = row) around a mask; its region must be the mask itself."""
    points = [(column, row) for row, column in trace_boundary(mask)]
    assert region(points) == {tuple(int(v) for v in p) for p in np.argwhere(mask)}, "outline does not fill its mask"
    return points


def readings():
    """What each reader marked. Outlines: {k: edge-map points}. Reader 2 draws nodule A one column
    to the right and 0.5 mm wider than it is, and C on two of its three slices, as real readers
    differ; its nodule IDs are its own."""
    def sphere_outlines(name, slices, shift_column=0, widen_mm=0.0):
        ck, row, column = SPHERES[name]["center"]
        result = {}
        for k in slices:
            dz = (k - ck) * SLICE_SPACING
            radius = np.sqrt(SPHERES[name]["radius"] ** 2 - dz ** 2) + widen_mm
            result[k] = outline(disk(row, column + shift_column, radius))
        return result

    tiny_k, tiny_row, tiny_column = (int(v) for v in SPHERES["tiny"]["center"])
    return {
        READERS[0]: {
            "nodules": [
                {"id": "Nodule 001", "malignancy": 4, "sphere": "A", "outlines": sphere_outlines("A", range(4, 9)),
                 "characteristics": {"subtlety": 5, "internalStructure": 1, "calcification": 6, "sphericity": 4,
                                     "margin": 4, "lobulation": 2, "spiculation": 2, "texture": 5}},
                {"id": "Nodule 002", "malignancy": 2, "sphere": "B", "outlines": sphere_outlines("B", (14, 15)),
                 "characteristics": {"subtlety": 3, "internalStructure": 1, "calcification": 6, "sphericity": 5,
                                     "margin": 5, "lobulation": 1, "spiculation": 1, "texture": 5}},
                {"id": "Nodule 003", "malignancy": 3, "sphere": "C", "outlines": sphere_outlines("C", (15, 16, 17)),
                 "characteristics": {"subtlety": 4, "internalStructure": 1, "calcification": 6, "sphericity": 4,
                                     "margin": 3, "lobulation": 2, "spiculation": 1, "texture": 4}},
            ],
            "non_nodules": [],
        },
        READERS[1]: {
            "nodules": [
                {"id": "IL057_127364", "malignancy": 5, "sphere": "A",
                 "outlines": sphere_outlines("A", range(4, 9), shift_column=1, widen_mm=0.5),
                 "characteristics": {"subtlety": 5, "internalStructure": 1, "calcification": 6, "sphericity": 3,
                                     "margin": 3, "lobulation": 3, "spiculation": 4, "texture": 5}},
                {"id": "IL057_127365", "malignancy": 3, "sphere": "C", "outlines": sphere_outlines("C", (16, 17)),
                 "characteristics": {"subtlety": 4, "internalStructure": 1, "calcification": 6, "sphericity": 4,
                                     "margin": 4, "lobulation": 1, "spiculation": 1, "texture": 5}},
                # LIDC's < 3 mm nodules: one point, no characteristics.
                {"id": "IL057_127366", "malignancy": None, "sphere": "tiny",
                 "outlines": {tiny_k: [(tiny_column, tiny_row)]}, "characteristics": None},
            ],
            "non_nodules": [{"id": "Non-nodule 001", "k": 11, "row": 30, "column": 30}],
        },
    }


def write_series(folder, volume, patient_id, study_uid, series_uid, names):
    """One DICOM file per slice; returns the SOP Instance UIDs by position index k."""
    os.makedirs(folder, exist_ok=True)
    frame_of_reference = uid(series_uid, "frame")
    sop_uids = []
    for k in range(SLICES):
        instance = SLICES - k
        sop_uid = uid(series_uid, "sop", str(instance))
        sop_uids.append(sop_uid)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = sop_uid
        ds.StudyDate = "20000101"
        ds.Modality = "CT"
        ds.Manufacturer = "Zoo synthetic"
        ds.PatientName = patient_id
        ds.PatientID = patient_id
        ds.SliceThickness = SLICE_SPACING
        ds.KVP = 120
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 3000566
        ds.InstanceNumber = instance
        ds.ImagePositionPatient = [-56.0, -56.0, z_of(k)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.FrameOfReferenceUID = frame_of_reference
        ds.SliceLocation = z_of(k)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = ROWS, COLUMNS
        ds.PixelSpacing = [PIXEL_SPACING, PIXEL_SPACING]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 1
        ds.WindowCenter, ds.WindowWidth = -600, 1500
        ds.RescaleIntercept = INTERCEPT
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        ds.PixelData = (volume[k].astype(np.int32) - INTERCEPT).astype("<i2").tobytes()
        ds.save_as(os.path.join(folder, names[instance]), enforce_file_format=True)
    return sop_uids


def element(parent, tag, text=None):
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def write_xml(path, study_uid, series_uid, sop_uids, reads):
    root = ET.Element("LidcReadMessage", {
        "uid": uid(series_uid, "xml"), "xmlns": XML_NAMESPACE,
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "http://www.nih.gov http://troll.rad.med.umich.edu/lidc/LidcReadMessage.xsd"})
    header = element(root, "ResponseHeader")
    element(header, "Version", "1.8.1")
    element(header, "MessageId", "-421198203")
    element(header, "DateRequest", "2007-11-01")
    element(header, "TimeRequest", "12:30:50")
    element(header, "RequestingSite", "removed")
    element(header, "ServicingSite", "removed")
    element(header, "TaskDescription", "Second unblinded read")
    element(header, "CtImageFile", "removed")
    element(header, "SeriesInstanceUid", series_uid)
    element(header, "DateService", "2004-08-02")
    element(header, "TimeService", "22:55:21")
    element(header, "ResponseDescription", "1 - Reading complete")
    element(header, "StudyInstanceUID", study_uid)
    for reader, read in reads.items():
        session = element(root, "readingSession")
        element(session, "annotationVersion", "3.12")
        element(session, "servicingRadiologistID", reader)
        for nodule in read["nodules"]:
            node = element(session, "unblindedReadNodule")
            element(node, "noduleID", nodule["id"])
            if nodule["characteristics"] is not None:
                characteristics = element(node, "characteristics")
                for name, value in nodule["characteristics"].items():
                    element(characteristics, name, value)
                element(characteristics, "malignancy", nodule["malignancy"])
            # Rois in instance order (descending z), as the readers' workstation listed them.
            for k in sorted(nodule["outlines"], reverse=True):
                roi = element(node, "roi")
                element(roi, "imageZposition", f"{z_of(k):.6f}")
                element(roi, "imageSOP_UID", sop_uids[k])
                element(roi, "inclusion", "TRUE")
                for x, y in nodule["outlines"][k]:
                    edge = element(roi, "edgeMap")
                    element(edge, "xCoord", x)
                    element(edge, "yCoord", y)
        for non_nodule in read["non_nodules"]:
            node = element(session, "nonNodule")
            element(node, "nonNoduleID", non_nodule["id"])
            element(node, "imageZposition", f"{z_of(non_nodule['k']):.6f}")
            element(node, "imageSOP_UID", sop_uids[non_nodule["k"]])
            locus = element(node, "locus")
            element(locus, "xCoord", non_nodule["column"])
            element(locus, "yCoord", non_nodule["row"])
    ET.indent(root)
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")


def expected_nodules(reads, volume):
    """Group the readers' outlines by overlap and summarise each group (conventions above)."""
    marks = []  # (reader, nodule, {k: region}) for nodules with characteristics
    for reader, read in reads.items():
        for nodule in read["nodules"]:
            if nodule["characteristics"] is None:
                continue
            marks.append((reader, nodule, {k: region(points) for k, points in nodule["outlines"].items()}))
    # Union-find over marks whose regions share a pixel on a shared slice.
    parent = list(range(len(marks)))

    def find(index):
        while parent[index] != index:
            index = parent[index]
        return index

    for a in range(len(marks)):
        for b in range(a + 1, len(marks)):
            if any(k in marks[b][2] and marks[a][2][k] & marks[b][2][k] for k in marks[a][2]):
                parent[find(a)] = find(b)
    groups = {}
    for index in range(len(marks)):
        groups.setdefault(find(index), []).append(marks[index])

    nodules = []
    for members in groups.values():
        readers = [reader for reader, _, _ in members]
        assert len(set(readers)) == len(readers), "one reader twice in a nodule"
        spheres = {nodule["sphere"] for _, nodule, _ in members}
        assert len(spheres) == 1, f"outlines of different nodules grouped: {spheres}"
        memberships = np.array([(k, row, column) for _, _, regions in members
                                for k, pixels in regions.items() for row, column in pixels], dtype=np.float64)
        centroid = memberships.mean(axis=0)
        union = np.array(sorted({tuple(m) for m in memberships.tolist()}), dtype=np.float64).mean(axis=0)
        for value in centroid:
            assert abs(value - np.floor(value) - 0.5) > 1e-6, "centroid on a rounding tie"
        center = [int(np.floor(v + 0.5)) for v in centroid]
        malignancy = [nodule["malignancy"] for _, nodule, _ in members]
        median = float(np.median(malignancy))
        label = "benign" if median < 3 else "malignant" if median > 3 else "excluded"
        sphere = SPHERES[spheres.pop()]
        nodules.append({
            "readers": readers,
            "reader_nodule_ids": [nodule["id"] for _, nodule, _ in members],
            "malignancy": malignancy,
            "median_malignancy": median,
            "label": label,
            "slices": sorted({k for _, _, regions in members for k in regions}),
            "central_slice": center[0],
            "centroid_slice": float(centroid[0]),
            "centroid_row": float(centroid[1]),
            "centroid_column": float(centroid[2]),
            "center_voxel": center,
            "hu_at_center": float(volume[tuple(center)]),
            "pixel_count": int(len(memberships)),
            "union_centroid": [float(v) for v in union],
            "truth_center": list(sphere["center"]),
            "truth_radius_mm": sphere["radius"],
        })
    nodules.sort(key=lambda n: (n["central_slice"], n["centroid_row"], n["centroid_column"]))
    return nodules


def main():
    default = os.path.join(os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures")), "lidc")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    if os.path.exists(os.path.join(out, "complete")):
        return
    shutil.rmtree(out, ignore_errors=True)

    volume = volume_hu()
    # File numbers by InstanceNumber, shuffled with a fixed seed; neither name order nor its
    # reverse may coincide with instance order, so only positions sort the slices right.
    shuffle = np.random.default_rng(69).permutation(SLICES) + 1
    assert not (np.all(np.diff(shuffle) > 0) or np.all(np.diff(shuffle) < 0))
    names = {instance: f"1-{int(shuffle[instance - 1]):03d}.dcm" for instance in range(1, SLICES + 1)}

    patient_id = "LIDC-IDRI-0001"
    study_uid, series_uid = uid("study", patient_id), uid("series", patient_id)
    series_dir = os.path.join(patient_id, study_uid, series_uid)
    sop_uids = write_series(os.path.join(out, series_dir), volume, patient_id, study_uid, series_uid, names)
    reads = readings()
    xml_path = os.path.join(out, series_dir, "069.xml")
    write_xml(xml_path, study_uid, series_uid, sop_uids, reads)

    # The mismatch case: same pixels, new identity, the first case's XML beside it.
    other_patient = "LIDC-IDRI-0002"
    other_study, other_series = uid("study", other_patient), uid("series", other_patient)
    other_dir = os.path.join("mismatch", other_patient, other_study, other_series)
    write_series(os.path.join(out, other_dir), volume, other_patient, other_study, other_series, names)
    shutil.copyfile(xml_path, os.path.join(out, other_dir, "069.xml"))

    # Round trip: pydicom sorted by position gives back the volume, and the HU are exact.
    slices = [pydicom.dcmread(os.path.join(out, series_dir, name)) for name in sorted(names.values())]
    slices.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    reread = np.stack([ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept) for ds in slices])
    assert np.array_equal(reread, volume)

    expected = {
        "patient_id": patient_id,
        "study_instance_uid": study_uid,
        "series_instance_uid": series_uid,
        "series_dir": series_dir,
        "xml": os.path.join(series_dir, "069.xml"),
        "shape": [SLICES, ROWS, COLUMNS],
        "pixel_spacing": [PIXEL_SPACING, PIXEL_SPACING],
        "slice_spacing": SLICE_SPACING,
        "background_hu": BACKGROUND_HU,
        "nodule_hu": NODULE_HU,
        "slice_z": [z_of(k) for k in range(SLICES)],
        "slice_instance_numbers": [SLICES - k for k in range(SLICES)],
        "slice_files": [names[SLICES - k] for k in range(SLICES)],
        "slice_sop_uids": sop_uids,
        "convention": {
            "slice_index": "k = 0 is the smallest z (inferior-most); z(k) = -97.5 + 2.5 k; InstanceNumber = 20 - k",
            "pixel": "row r, column c has its centre at edge-map (x, y) = (c, r); 0-based",
            "region": "pixel centres on the closed edgeMap polygon (any segment, last point to first included) or inside it by the even-odd rule",
            "grouping": "outlines of different readers are one nodule when their regions share a pixel on the same slice; groups are connected components",
            "centroid": "mean (k, row, column) over all (reader outline, pixel) memberships; a pixel in two readers' regions counts twice",
            "center_voxel": "centroid rounded to the nearest integer per axis (no ties occur)",
            "label": "median malignancy < 3 benign, > 3 malignant, == 3 excluded",
            "ignored": "unblindedReadNodule without characteristics (< 3 mm, one edgeMap point) and nonNodule",
            "order": "nodules sorted by (central_slice, centroid_row, centroid_column)",
        },
        "nodules": expected_nodules(reads, volume),
        "ignored": {
            "small_nodules": [{"reader": READERS[1], "id": "IL057_127366", "slice": int(SPHERES["tiny"]["center"][0]),
                               "row": int(SPHERES["tiny"]["center"][1]), "column": int(SPHERES["tiny"]["center"][2])}],
            "non_nodules": [{"reader": READERS[1], "id": n["id"], "slice": n["k"], "row": n["row"], "column": n["column"]}
                            for n in reads[READERS[1]]["non_nodules"]],
        },
        "mismatch": {
            "patient_id": other_patient,
            "series_dir": other_dir,
            "series_instance_uid": other_series,
            "xml_series_instance_uid": series_uid,
        },
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    open(os.path.join(out, "complete"), "w").close()


if __name__ == "__main__":
    main()
