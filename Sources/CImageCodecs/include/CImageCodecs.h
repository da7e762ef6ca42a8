// C shims around libpng and libjpeg-turbo: their errors longjmp, which Swift cannot survive,
// so every entry point here catches the jump and returns an error code with a message.
#pragma once
#include <stddef.h>

/// What a decoder produced: `channels` interleaved samples per pixel (1 gray, 2 gray+alpha,
/// 3 RGB, 4 RGBA), each 1 byte (`bit_depth` 8) or a native-endian uint16 (`bit_depth` 16).
typedef struct {
    int width;
    int height;
    int channels;
    int bit_depth;
} cic_image_info;

/// Return codes: 0 success, otherwise an error whose message is in the caller's buffer.
enum {
    CIC_OK = 0,
    CIC_ERROR_DECODE = 1,
    CIC_ERROR_UNSUPPORTED = 2,
    CIC_ERROR_MEMORY = 3,
    CIC_ERROR_ARGUMENT = 4
};

/// The largest decoded image accepted, in bytes: a corrupt header cannot ask for more.
#define CIC_MAX_DECODED_BYTES ((size_t)1 << 31)

/// The most pixels (width x height) a decoder accepts, checked from the header before any
/// pixel memory is allocated: 2^28, a 16384 x 16384 image, which as 4-channel floats is
/// already 4 GiB. A header claiming more is damaged or hostile.
#define CIC_MAX_PIXELS 268435456ULL // 2^28

/// The longest side accepted (libpng's user limit; PNG allows 2^31 - 1).
#define CIC_MAX_SIDE 1000000

/// Decodes a PNG held in memory (any bit depth, gray, gray+alpha, RGB, RGBA or palette).
/// Bit depths below 8 and palettes are expanded to 8 bits; a tRNS chunk becomes an alpha
/// channel. On success `*pixels` is a buffer to release with `cic_free`.
int cic_png_decode(const unsigned char *data, size_t size, cic_image_info *info,
                   void **pixels, char *message, size_t message_size);

/// Encodes 8-bit (1 or 3 channels) or 16-bit (1 channel, native-endian) pixels as a PNG.
/// On success `*png` is a buffer of `*png_size` bytes to release with `cic_free`.
int cic_png_encode(const void *pixels, int width, int height, int channels, int bit_depth,
                   int compression_level, unsigned char **png, size_t *png_size,
                   char *message, size_t message_size);

/// Decodes a JPEG held in memory (baseline or progressive) to 8-bit gray (1 channel) or RGB
/// (3 channels). Warnings (such as a truncated stream) are errors: a damaged image would
/// otherwise decode silently as gray filler.
int cic_jpeg_decode(const unsigned char *data, size_t size, cic_image_info *info,
                    void **pixels, char *message, size_t message_size);

/// Encodes 8-bit gray or RGB pixels as a baseline or progressive JPEG.
int cic_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                    int quality, int progressive, unsigned char **jpeg, size_t *jpeg_size,
                    char *message, size_t message_size);

/// Releases a buffer returned by this library.
void cic_free(void *buffer);
