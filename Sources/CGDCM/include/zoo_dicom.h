// A C shim around GDCM (Debian: libgdcm-dev) for ZooData's DICOM reader. GDCM is C++ and
// throws; Swift sees plain C functions that return a code and copy GDCM's complaint into a
// caller buffer. Which tags to read and what they mean is decided on the Swift side.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Reads the data set up to the pixel data and writes the value of each tag in `tags`
/// ((group << 16) | element) as text, in order, each followed by the record separator 0x1e;
/// an absent tag gives an empty record. Multi-valued elements keep DICOM's backslashes.
/// Returns 0, or -1 with a message in `error` (not DICOM, unreadable, `out` too small).
int zoo_dicom_read_header(
    const char *path, const uint32_t *tags, int tag_count, char *out, size_t out_size, char *error,
    size_t error_size);

/// The decoded image of one file, as GDCM reports it after decompression.
typedef struct {
    int columns;
    int rows;
    int frames;
    int samples_per_pixel;
    int bits_allocated;
    int bits_stored;
    /// 0 unsigned, 1 two's complement.
    int pixel_representation;
    /// After decoding: "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422",
    /// "PALETTE COLOR", ...
    char photometric[32];
    /// The file's transfer syntax UID (ZooData names it).
    char transfer_syntax_uid[72];
} zoo_dicom_image;

/// A file opened for decoding: GDCM's reader, parsed once for its layout and its pixels.
typedef struct zoo_dicom_file zoo_dicom_file;

/// Parses the file and fills `image` (layout and transfer syntax) without decoding the pixels;
/// native pixel data shorter than the image is refused here. Returns the file to decode and
/// close, or NULL with a message (no pixel data, an image GDCM cannot interpret, truncated).
zoo_dicom_file *zoo_dicom_open(const char *path, zoo_dicom_image *image, char *error, size_t error_size);

/// Decodes every frame of `file` (whose layout `image` is) into `out` (frames x rows x columns
/// x samples, samples interleaved whatever the file's planar configuration) as stored values:
/// unsigned or sign-extended integers of `bits_stored` bits, or floats; no rescale, no
/// photometric change. `count` must be that product. Returns 0, or -1 with a message naming the
/// transfer syntax when GDCM cannot decode it.
int zoo_dicom_decode(
    zoo_dicom_file *file, const zoo_dicom_image *image, float *out, size_t count, char *error, size_t error_size);

/// Releases `file`.
void zoo_dicom_close(zoo_dicom_file *file);

#ifdef __cplusplus
}
#endif
