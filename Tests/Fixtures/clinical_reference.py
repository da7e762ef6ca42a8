"""pydicom's and nibabel's readings of real DICOM and NIfTI files, for ZooData's clinical readers
(ZooDataTests.ClinicalDataTests).

The inputs are test files pydicom and nibabel ship in their wheels (pydicom/data/test_files,
nibabel/tests/data), so the Swift tests compare GDCM and niftilib, as Zoo drives them, with two
independent readers on files other tools wrote. Every array is float32 in C order (the .npy
header says so; no Fortran-order files).

Files, in OUT_DIR (default `$ZOO_FIXTURES/clinical`, else `~/.cache/zoo/fixtures/clinical`); a
folder holding `complete` (written last) is left alone:

    dicom/<name>.dcm            copies of pydicom test files (DICOM_FILES below); the MONOCHROME1
                                radiograph dicomdirtests/77654033/CR1/6154 is copied as CR1_6154.dcm
    dicom/<stem>.npy            (frames, rows, columns, samples) `ds.pixel_array` through
                                `pydicom.pixels.apply_modality_lut`: slope/intercept (HU for CT),
                                no MONOCHROME1 inversion, no VOI window, RT Dose Grid Scaling NOT
                                applied (it is not a modality LUT). YBR_FULL and YBR_FULL_422 come
                                out as RGB, pydicom 3's default.
    dicom/unsupported_syntax.dcm  MR_small.dcm relabelled HTJ2K lossless (1.2.840.10008.1.2.4.201)
                                with junk encapsulated pixel data: a syntax GDCM 3.0.21 lacks.
    dicom/unsupported_syntax_mpeg2.dcm  the same relabelled MPEG2 Main Profile @ Main Level
                                (1.2.840.10008.1.2.4.100): GDCM reads it but has no codec.
    dicom.json                  {stem: {source, transfer_syntax_uid, photometric, rows, columns,
                                frames, samples_per_pixel, bits_allocated, bits_stored,
                                pixel_representation, rescale_slope, rescale_intercept,
                                pixel_spacing, image_position, image_orientation,
                                series_instance_uid, patient_id, modality, decoded, decode_error,
                                decoded_photometric, converted_to_rgb, npy}}
    series/CT5N/                one real CT series of 5 slices (dicomdirtests/98892001/CT5N; see
                                SERIES for why not 77654033/CT2), its volume in series_CT5N.npy
    series/CT5N_gap/            the same without its middle slice (missing-slice error)
    series/mixed/               CT5N plus MR_small.dcm (mixed-series error)
    series/CT2/                 dicomdirtests/77654033/CT2 as shipped: one series whose slices sit
                                at 202.5, 1.25 and 1.25 mm apart (slices were dropped upstream)
    series_CT5N.npy             (k, j, i) HU after nibabel.as_closest_canonical
    series.json                 {CT5N: {...}, CT2: {...}} (keys in `series_reference`)
    nifti/<file>                copies of nibabel test data (NIFTI_FILES)
    nifti/<stem>_raw.npy        (k, j, i, c) img.get_fdata(dtype=float32); c runs over dims 4..7
                                in file order (dim 4 fastest), 1 for a 3-D image
    nifti/<stem>_canonical.npy  the same for nibabel.as_closest_canonical(img)
    nifti/singular_affine.nii   sform_code 1 with a rank-2 sform, qform_code 0 (error test)
    nifti.json                  {stem: {format, shape, affine, canonical_affine, sform_code,
                                qform_code, sform, qform, zooms, scl_slope, scl_inter, datatype,
                                axcodes, canonical_axcodes, raw_npy, canonical_npy}}

Usage: python Tests/Fixtures/clinical_reference.py [OUT_DIR]
"""
import glob
import json
import os
import shutil
import sys

import nibabel
import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_modality_lut, get_decoder

PYDICOM_FILES = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
NIBABEL_FILES = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data")

# Uncompressed (explicit/implicit little, big endian), RLE, JPEG baseline/extended, JPEG-LS,
# JPEG 2000; gray, RGB, YBR; 8/16/32 bits; multi-frame; a 1-bit SEG Zoo refuses; a plan with no
# pixels. JPGExtended.dcm is pydicom's repaired copy of JPEG-lossy.dcm (which pylibjpeg rejects),
# so 12-bit JPEG extended still has a reference.
DICOM_FILES = [
    "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "CT_small.dcm", "SC_rgb_rle.dcm",
    "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_jpeg_dcmtk.dcm",
    "SC_ybr_full_422_uncompressed.dcm", "JPEG2000.dcm", "JPEG-lossy.dcm", "JPGExtended.dcm",
    "rtdose.dcm", "examples_ybr_color.dcm", "examples_rgb_color.dcm", "liver_1frame.dcm", "rtplan.dcm",
    # Deflated explicit VR little endian; and a file whose pixel data stops 62 bytes short,
    # which pydicom refuses and a reader must not pad silently.
    "image_dfl.dcm", "MR_truncated.dcm",
]
# MONOCHROME1 files shipped with pixel data: dicomdirtests/77654033/CR{1,2,3}/* (16x16 CR). The
# charset_files chrJapMulti.dcm, chrJapMultiExplicitIR6.dcm and chrKoreanMulti.dcm also say
# MONOCHROME1 but have no Pixel Data. One suffices; `monochrome1_files` re-checks the claim.
MONOCHROME1 = ("dicomdirtests/77654033/CR1/6154", "CR1_6154.dcm")

NIFTI_FILES = ["anatomical.nii", "example4d.nii.gz", "functional.nii", "reoriented_anat_moved.nii",
               "standard.nii.gz", "example_nifti2.nii.gz"]

HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
MPEG2_MAIN = "1.2.840.10008.1.2.4.100"  # MPEG2 Main Profile @ Main Level

# dicomdirtests/77654033/CT2 is one CT series with positions, but only instances 18, 180, 181 and
# 182 survive (the README: files were removed to keep the wheel small), 202.5 mm then 1.25 mm
# apart, so its spacing says nothing. 98892001/CT5N holds instances 6-10 at a regular 2.5 mm with z
# falling as InstanceNumber rises, so position order is the reverse of instance order.
SERIES = ("CT5N", "dicomdirtests/98892001/CT5N")
IRREGULAR_SERIES = ("CT2", "dicomdirtests/77654033/CT2")
OTHER_SERIES_FILE = "MR_small.dcm"


def floats(value):
    """A DICOM multi-value (or single value) as a list of floats, None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [float(v) for v in value]
    return [float(value)]


def number(value):
    return None if value is None or value == "" else float(value)


def save(path, array):
    # np.save writes a transposed array in Fortran order; Zoo's reader expects C order.
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def monochrome1_files():
    """Relative paths of every shipped test file whose header says MONOCHROME1."""
    found = []
    for path in sorted(glob.glob(os.path.join(PYDICOM_FILES, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
            found.append(os.path.relpath(path, PYDICOM_FILES))
    return found


def dicom_reference(path, stem, out):
    """Header fields and, when pydicom decodes the pixels, the modality-LUT values as .npy."""
    ds = pydicom.dcmread(path)
    meta = getattr(ds, "file_meta", None)
    photometric = ds.get("PhotometricInterpretation")
    frames = ds.get("NumberOfFrames")
    entry = {
        "transfer_syntax_uid": str(meta.TransferSyntaxUID) if meta is not None and "TransferSyntaxUID" in meta else None,
        "photometric": str(photometric) if photometric is not None else None,
        "rows": ds.get("Rows"),
        "columns": ds.get("Columns"),
        "frames": int(frames) if frames not in (None, "") else (1 if "PixelData" in ds else None),
        "samples_per_pixel": ds.get("SamplesPerPixel"),
        "bits_allocated": ds.get("BitsAllocated"),
        "bits_stored": ds.get("BitsStored"),
        "pixel_representation": ds.get("PixelRepresentation"),
        "rescale_slope": number(ds.get("RescaleSlope")),
        "rescale_intercept": number(ds.get("RescaleIntercept")),
        "pixel_spacing": floats(ds.get("PixelSpacing")),
        "image_position": floats(ds.get("ImagePositionPatient")),
        "image_orientation": floats(ds.get("ImageOrientationPatient")),
        "series_instance_uid": str(ds.get("SeriesInstanceUID")) if "SeriesInstanceUID" in ds else None,
        "patient_id": str(ds.get("PatientID")) if "PatientID" in ds else None,
        "modality": str(ds.get("Modality")) if "Modality" in ds else None,
        "decoded": False,
        "decode_error": None,
        "decoded_photometric": None,
        "converted_to_rgb": False,
        "npy": None,
    }
    try:
        pixels = ds.pixel_array
    except Exception as error:  # no plugin decodes it, or no pixel data at all
        entry["decode_error"] = f"{type(error).__name__}: {error}"
        return entry
    # The decoder reports the photometric interpretation of what it returned, which is how we
    # know pydicom turned YBR into RGB; its array must be the one pixel_array gave.
    array, info = get_decoder(meta.TransferSyntaxUID).as_array(ds)
    assert np.array_equal(array, pixels), stem
    decoded_photometric = str(info.get("photometric_interpretation", photometric))
    entry["decoded"] = True
    entry["decoded_photometric"] = decoded_photometric
    entry["converted_to_rgb"] = str(photometric).startswith("YBR") and decoded_photometric == "RGB"
    values = np.asarray(apply_modality_lut(pixels, ds), dtype=np.float64)
    frame_count, samples = entry["frames"], int(entry["samples_per_pixel"])
    values = values.reshape(frame_count, int(entry["rows"]), int(entry["columns"]), samples)
    save(os.path.join(out, f"{stem}.npy"), values)
    entry["npy"] = f"dicom/{stem}.npy"
    return entry


def write_unsupported_syntax(out, name, syntax):
    """MR_small.dcm relabelled with a compressed syntax, its pixels junk no codec would accept."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, "MR_small.dcm"))
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([b"junk, not a codestream, for the unsupported-syntax test"])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    path = os.path.join(out, name)
    ds.save_as(path, enforce_file_format=True)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == syntax
    return path


def slice_geometry(ds):
    """(row cosine, column cosine, normal, position) of one slice as numpy vectors."""
    orientation = np.array(floats(ds.ImageOrientationPatient))
    row, column = orientation[:3], orientation[3:]
    return row, column, np.cross(row, column), np.array(floats(ds.ImagePositionPatient))


def sorted_slices(folder):
    """(file name, dataset) pairs ordered by position along the slice normal, lowest first."""
    slices = [(name, pydicom.dcmread(os.path.join(folder, name))) for name in sorted(os.listdir(folder))]
    uids = {str(ds.SeriesInstanceUID) for _, ds in slices}
    assert len(uids) == 1, f"{folder} holds {len(uids)} series"
    assert all("ImagePositionPatient" in ds and "ImageOrientationPatient" in ds for _, ds in slices), folder
    _, _, normal, _ = slice_geometry(slices[0][1])
    return sorted(slices, key=lambda item: float(slice_geometry(item[1])[3] @ normal))


def series_reference(folder, label, out):
    """The volume in HU, its LPS -> RAS affine, and nibabel's closest-canonical version of both."""
    slices = sorted_slices(folder)
    first = slices[0][1]
    row, column, normal, origin = slice_geometry(first)
    last_position = slice_geometry(slices[-1][1])[3]
    spacing = [float(v) for v in first.PixelSpacing]  # [between rows, between columns]
    count = len(slices)
    step = (last_position - origin) / (count - 1)
    lps = np.eye(4)
    lps[:3, 0] = row * spacing[1]     # i: along a row, one column further
    lps[:3, 1] = column * spacing[0]  # j: down a column, one row further
    lps[:3, 2] = step                 # k: one sorted slice further
    lps[:3, 3] = origin
    ras = lps.copy()
    ras[:2, :] *= -1  # LPS -> RAS: x and y change sign
    volume = np.stack([np.asarray(apply_modality_lut(ds.pixel_array, ds), dtype=np.float64) for _, ds in slices])
    image = nibabel.Nifti1Image(volume.transpose(2, 1, 0).astype(np.float32), ras)
    canonical = nibabel.as_closest_canonical(image)
    canonical_volume = np.asarray(canonical.dataobj, dtype=np.float32).transpose(2, 1, 0)
    save(os.path.join(out, f"series_{label}.npy"), canonical_volume)
    positions = [float(slice_geometry(ds)[3] @ normal) for _, ds in slices]
    return {
        "folder": f"series/{label}",
        "series_instance_uid": str(first.SeriesInstanceUID),
        "sorted_files": [name for name, _ in slices],
        "instance_numbers": [int(ds.InstanceNumber) for _, ds in slices],
        "positions_along_normal": positions,
        "ras_affine": ras.tolist(),
        "canonical_affine": canonical.affine.tolist(),
        "axcodes": list(nibabel.aff2axcodes(ras)),
        "canonical_axcodes": list(nibabel.aff2axcodes(canonical.affine)),
        "slice_spacing": float(np.linalg.norm(step)),
        "shape": list(canonical_volume.shape),
        "npy": f"series_{label}.npy",
    }


def write_series(out):
    label, source = SERIES
    target = os.path.join(out, "series", label)
    shutil.copytree(os.path.join(PYDICOM_FILES, source), target)
    reference = {label: series_reference(target, label, out)}
    spacings = np.diff(reference[label]["positions_along_normal"])
    assert np.allclose(spacings, spacings[0], atol=1e-3), spacings  # regular, so gap tests mean something

    # Without the middle slice by position, the spacing doubles once: a missing slice.
    sorted_files = reference[label]["sorted_files"]
    removed = sorted_files[len(sorted_files) // 2]
    gap = os.path.join(out, "series", f"{label}_gap")
    shutil.copytree(target, gap, ignore=lambda _, names: [n for n in names if n == removed])
    reference[label]["gap_folder"] = f"series/{label}_gap"
    reference[label]["gap_removed_file"] = removed

    mixed = os.path.join(out, "series", "mixed")
    shutil.copytree(target, mixed)
    shutil.copyfile(os.path.join(PYDICOM_FILES, OTHER_SERIES_FILE), os.path.join(mixed, OTHER_SERIES_FILE))
    reference[label]["mixed_folder"] = "series/mixed"
    reference[label]["mixed_extra_file"] = OTHER_SERIES_FILE

    # CT2 as shipped, described but not turned into a volume: its spacing is not regular.
    irregular, irregular_source = IRREGULAR_SERIES
    irregular_target = os.path.join(out, "series", irregular)
    shutil.copytree(os.path.join(PYDICOM_FILES, irregular_source), irregular_target)
    slices = sorted_slices(irregular_target)
    normal = slice_geometry(slices[0][1])[2]
    positions = [float(slice_geometry(ds)[3] @ normal) for _, ds in slices]
    reference[irregular] = {
        "folder": f"series/{irregular}",
        "series_instance_uid": str(slices[0][1].SeriesInstanceUID),
        "sorted_files": [name for name, _ in slices],
        "instance_numbers": [int(ds.InstanceNumber) for _, ds in slices],
        "positions_along_normal": positions,
        "spacings": np.diff(positions).tolist(),
        "regular": False,
    }
    with open(os.path.join(out, "series.json"), "w") as f:
        json.dump(reference, f, indent=1)


def nifti_array(image):
    """(k, j, i, c) float32: dims 4..7 folded into c in file order (dim 4 fastest)."""
    data = image.get_fdata(dtype=np.float32)
    i, j, k = data.shape[:3]
    data = data.reshape(i, j, k, -1, order="F")
    return data.transpose(2, 1, 0, 3)


def write_nifti(out):
    folder = os.path.join(out, "nifti")
    os.makedirs(folder, exist_ok=True)
    reference = {}
    for name in NIFTI_FILES:
        shutil.copyfile(os.path.join(NIBABEL_FILES, name), os.path.join(folder, name))
        stem = name.split(".")[0]
        image = nibabel.load(os.path.join(folder, name))
        if isinstance(image, nibabel.Nifti2Image):
            reference[stem] = {"format": "NIfTI-2"}
            continue
        assert isinstance(image, nibabel.Nifti1Image), name
        header = image.header
        canonical = nibabel.as_closest_canonical(image)
        save(os.path.join(folder, f"{stem}_raw.npy"), nifti_array(image))
        save(os.path.join(folder, f"{stem}_canonical.npy"), nifti_array(canonical))
        reference[stem] = {
            "format": "NIfTI-1",
            "shape": [int(n) for n in image.shape],
            "affine": image.affine.tolist(),
            "canonical_affine": canonical.affine.tolist(),
            "sform_code": int(header["sform_code"]),
            "qform_code": int(header["qform_code"]),
            # Both matrices, since niftilib exposes each and img.affine is the sform when its
            # code is set, else the qform.
            "sform": header.get_sform().tolist(),
            "qform": header.get_qform().tolist(),
            "zooms": [float(z) for z in header.get_zooms()],
            # nibabel moves scl_slope/scl_inter out of the header on load; the data object keeps
            # them (functional.nii is scaled int16, anatomical.nii big-endian).
            "scl_slope": float(image.dataobj.slope),
            "scl_inter": float(image.dataobj.inter),
            "datatype": header.get_data_dtype().str,
            "axcodes": list(nibabel.aff2axcodes(image.affine)),
            "canonical_axcodes": list(nibabel.aff2axcodes(canonical.affine)),
            "raw_npy": f"nifti/{stem}_raw.npy",
            "canonical_npy": f"nifti/{stem}_canonical.npy",
        }

    # The k column repeats the i column: the 3x3 part has rank 2, so no inverse and no
    # orientation; with qform_code 0 there is no fallback either.
    singular = np.array([[2.0, 0.0, 2.0, -10.0], [0.0, 2.0, 0.0, -20.0], [0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 1.0]])
    image = nibabel.Nifti1Image(np.arange(4 * 4 * 4, dtype=np.int16).reshape(4, 4, 4), None)
    image.header.set_zooms((2.0, 2.0, 2.0))
    image.header.set_sform(singular, code=1)
    image.header.set_qform(None, code=0)
    path = os.path.join(folder, "singular_affine.nii")
    image.to_filename(path)
    header = nibabel.load(path).header
    assert int(header["sform_code"]) == 1 and int(header["qform_code"]) == 0
    assert np.allclose(header.get_sform(), singular) and abs(np.linalg.det(singular[:3, :3])) == 0
    reference["singular_affine"] = {"format": "NIfTI-1", "shape": [4, 4, 4], "sform_code": 1, "qform_code": 0,
                                    "sform": singular.tolist()}
    with open(os.path.join(out, "nifti.json"), "w") as f:
        json.dump(reference, f, indent=1)


def main():
    default = os.path.join(os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures")), "clinical")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    if os.path.exists(os.path.join(out, "complete")):
        return
    # A partial folder from an interrupted run is rebuilt from nothing.
    shutil.rmtree(out, ignore_errors=True)
    dicom = os.path.join(out, "dicom")
    os.makedirs(dicom)

    shipped_monochrome1 = monochrome1_files()
    assert MONOCHROME1[0] in shipped_monochrome1, shipped_monochrome1
    sources = [(name, name) for name in DICOM_FILES] + [MONOCHROME1]
    reference = {}
    for source, name in sources:
        shutil.copyfile(os.path.join(PYDICOM_FILES, source), os.path.join(dicom, name))
        stem = os.path.splitext(name)[0]
        reference[stem] = {"source": source, **dicom_reference(os.path.join(dicom, name), stem, dicom)}
    # GDCM 3.0.21 predates HTJ2K: it cannot even parse a file declaring it (gdcm::Reader fails
    # on the meta header), so naming the syntax takes reading group 0002 without GDCM. MPEG-2 it
    # knows by name but has no codec for: the header reads, GetBuffer fails.
    for name, syntax in (("unsupported_syntax.dcm", HTJ2K_LOSSLESS), ("unsupported_syntax_mpeg2.dcm", MPEG2_MAIN)):
        stem = os.path.splitext(name)[0]
        path = write_unsupported_syntax(dicom, name, syntax)
        reference[stem] = {"source": f"MR_small.dcm relabelled {syntax}, junk pixel data", **dicom_reference(path, stem, dicom)}
        assert not reference[stem]["decoded"], stem
    with open(os.path.join(out, "dicom.json"), "w") as f:
        json.dump(reference, f, indent=1)

    write_series(out)
    write_nifti(out)
    open(os.path.join(out, "complete"), "w").close()


if __name__ == "__main__":
    main()
