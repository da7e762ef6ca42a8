// C shims around libpng and libjpeg-turbo. Both libraries report errors by calling a handler
// that must not return; the handlers here copy the message and longjmp back into the entry
// point that set the jump, which releases what it allocated and returns an error code. Nothing
// ever longjmps across a Swift frame.
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

static void copy_message(char *message, size_t message_size, const char *text) {
    if (message == NULL || message_size == 0) return;
    snprintf(message, message_size, "%s", text ? text : "unknown error");
}

void cic_free(void *buffer) { free(buffer); }

static int host_is_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

// MARK: - PNG

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_size;
    const unsigned char *data;
    size_t size;
    size_t offset;
} png_context;

static void png_error_handler(png_structp png, png_const_charp text) {
    png_context *context = (png_context *)png_get_error_ptr(png);
    copy_message(context->message, context->message_size, text);
    longjmp(context->jump, 1);
}

// Warnings (bad ancillary chunks, for instance) are not fatal and go nowhere: a library
// must not print to stderr.
static void png_warning_handler(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void png_read_memory(png_structp png, png_bytep out, size_t count) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (count > context->size - context->offset) {
        png_error(png, "file is truncated");
    }
    memcpy(out, context->data + context->offset, count);
    context->offset += count;
}

int cic_png_decode(const unsigned char *data, size_t size, cic_image_info *info,
                   void **pixels, char *message, size_t message_size) {
    *pixels = NULL;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        copy_message(message, message_size, "not a PNG file (bad signature)");
        return CIC_ERROR_DECODE;
    }
    png_context context = {.message = message, .message_size = message_size,
                           .data = data, .size = size, .offset = 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context,
                                             png_error_handler, png_warning_handler);
    if (png == NULL) {
        copy_message(message, message_size, "out of memory");
        return CIC_ERROR_MEMORY;
    }
    png_infop png_info = png_create_info_struct(png);
    // Volatile: they change between setjmp and a possible longjmp.
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile int code = CIC_ERROR_DECODE;
    if (png_info == NULL || setjmp(context.jump)) {
        if (png_info == NULL) copy_message(message, message_size, "out of memory");
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, png_info ? &png_info : NULL, NULL);
        return png_info == NULL ? CIC_ERROR_MEMORY : code;
    }
    png_set_read_fn(png, &context, png_read_memory);
    // libpng then refuses longer sides while reading IHDR; the pixel count is checked below.
    png_set_user_limits(png, CIC_MAX_SIDE, CIC_MAX_SIDE);
    png_read_info(png, png_info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, png_info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if ((unsigned long long)width * height > CIC_MAX_PIXELS) {
        code = CIC_ERROR_UNSUPPORTED;
        char text[160];
        snprintf(text, sizeof text, "declares %lu x %lu pixels, more than the limit of %llu",
                 (unsigned long)width, (unsigned long)height, CIC_MAX_PIXELS);
        png_error(png, text);
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, png_info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, png_info);

    const int channels = png_get_channels(png, png_info);
    const int out_depth = png_get_bit_depth(png, png_info);
    if ((out_depth != 8 && out_depth != 16) || channels < 1 || channels > 4) {
        code = CIC_ERROR_UNSUPPORTED;
        png_error(png, "unsupported bit depth or channel count after expansion");
    }
    const size_t row_bytes = png_get_rowbytes(png, png_info);
    if (width == 0 || height == 0 || row_bytes == 0 ||
        (size_t)height > CIC_MAX_DECODED_BYTES / row_bytes) {
        code = CIC_ERROR_UNSUPPORTED;
        png_error(png, "image dimensions are zero or too large");
    }
    buffer = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (buffer == NULL || rows == NULL) {
        code = CIC_ERROR_MEMORY;
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = buffer + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    info->width = (int)width;
    info->height = (int)height;
    info->channels = channels;
    info->bit_depth = out_depth;
    *pixels = buffer;
    free(rows);
    png_destroy_read_struct(&png, &png_info, NULL);
    return CIC_OK;
}

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_size;
    unsigned char *data;
    size_t size;
    size_t capacity;
} png_write_context;

static void png_write_error_handler(png_structp png, png_const_charp text) {
    png_write_context *context = (png_write_context *)png_get_error_ptr(png);
    copy_message(context->message, context->message_size, text);
    longjmp(context->jump, 1);
}

static void png_write_memory(png_structp png, png_bytep bytes, size_t count) {
    png_write_context *context = (png_write_context *)png_get_io_ptr(png);
    if (count > context->capacity - context->size) {
        size_t capacity = context->capacity ? context->capacity : 4096;
        while (count > capacity - context->size) capacity *= 2;
        unsigned char *grown = realloc(context->data, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        context->data = grown;
        context->capacity = capacity;
    }
    memcpy(context->data + context->size, bytes, count);
    context->size += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

int cic_png_encode(const void *pixels, int width, int height, int channels, int bit_depth,
                   int compression_level, unsigned char **out, size_t *out_size,
                   char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4) ||
        (bit_depth != 8 && bit_depth != 16) || (bit_depth == 16 && channels != 1)) {
        copy_message(message, message_size,
                     "PNG writer takes 8-bit gray, RGB or RGBA, or 16-bit gray");
        return CIC_ERROR_ARGUMENT;
    }
    png_write_context context = {.message = message, .message_size = message_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context,
                                              png_write_error_handler, png_warning_handler);
    if (png == NULL) {
        copy_message(message, message_size, "out of memory");
        return CIC_ERROR_MEMORY;
    }
    png_infop png_info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (png_info == NULL || setjmp(context.jump)) {
        if (png_info == NULL) copy_message(message, message_size, "out of memory");
        free(rows);
        free(context.data);
        png_destroy_write_struct(&png, png_info ? &png_info : NULL);
        return CIC_ERROR_MEMORY;
    }
    png_set_write_fn(png, &context, png_write_memory, png_flush_memory);
    png_set_compression_level(png, compression_level);
    const int color = channels == 1 ? PNG_COLOR_TYPE_GRAY
                      : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_set_IHDR(png, png_info, (png_uint_32)width, (png_uint_32)height, bit_depth, color,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, png_info);
    if (bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    const size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    rows = malloc(sizeof(png_bytep) * height);
    if (rows == NULL) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &png_info);
    *out = context.data;
    *out_size = context.size;
    return CIC_OK;
}

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr base;  // first, so the library's pointer is also ours
    jmp_buf jump;
    char *message;
    size_t message_size;
} jpeg_context;

static void jpeg_error_handler(j_common_ptr info) {
    jpeg_context *context = (jpeg_context *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    copy_message(context->message, context->message_size, text);
    longjmp(context->jump, 1);
}

// Level -1 is a warning: corrupt data or a premature end, after which libjpeg would go on and
// return a partly gray image. Treat it as the error it is; trace messages (level >= 0) are
// dropped.
static void jpeg_message_handler(j_common_ptr info, int level) {
    if (level < 0) jpeg_error_handler(info);
}

int cic_jpeg_decode(const unsigned char *data, size_t size, cic_image_info *info,
                    void **pixels, char *message, size_t message_size) {
    *pixels = NULL;
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        copy_message(message, message_size, "not a JPEG file (no start-of-image marker)");
        return CIC_ERROR_DECODE;
    }
    struct jpeg_decompress_struct decoder;
    jpeg_context context = {.message = message, .message_size = message_size};
    decoder.err = jpeg_std_error(&context.base);
    context.base.error_exit = jpeg_error_handler;
    context.base.emit_message = jpeg_message_handler;
    unsigned char *volatile buffer = NULL;
    volatile int code = CIC_ERROR_DECODE;
    if (setjmp(context.jump)) {
        free(buffer);
        jpeg_destroy_decompress(&decoder);
        return code;
    }
    jpeg_create_decompress(&decoder);
    jpeg_mem_src(&decoder, data, (unsigned long)size);
    jpeg_read_header(&decoder, TRUE);
    // Before jpeg_start_decompress, which allocates whole-image buffers for progressive files.
    if ((unsigned long long)decoder.image_width * decoder.image_height > CIC_MAX_PIXELS) {
        code = CIC_ERROR_UNSUPPORTED;
        snprintf(message, message_size, "declares %u x %u pixels, more than the limit of %llu",
                 (unsigned)decoder.image_width, (unsigned)decoder.image_height, CIC_MAX_PIXELS);
        longjmp(context.jump, 1);
    }
    switch (decoder.jpeg_color_space) {
    case JCS_GRAYSCALE:
        decoder.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        decoder.out_color_space = JCS_RGB;
        break;
    default:
        code = CIC_ERROR_UNSUPPORTED;
        copy_message(message, message_size, "unsupported JPEG color space (CMYK or YCCK)");
        longjmp(context.jump, 1);
    }
    jpeg_start_decompress(&decoder);
    const size_t channels = (size_t)decoder.output_components;
    const size_t row_bytes = (size_t)decoder.output_width * channels;
    if (row_bytes == 0 || decoder.output_height == 0 ||
        (size_t)decoder.output_height > CIC_MAX_DECODED_BYTES / row_bytes) {
        code = CIC_ERROR_UNSUPPORTED;
        copy_message(message, message_size, "image dimensions are zero or too large");
        longjmp(context.jump, 1);
    }
    buffer = malloc(row_bytes * decoder.output_height);
    if (buffer == NULL) {
        code = CIC_ERROR_MEMORY;
        copy_message(message, message_size, "out of memory");
        longjmp(context.jump, 1);
    }
    while (decoder.output_scanline < decoder.output_height) {
        JSAMPROW row = buffer + (size_t)decoder.output_scanline * row_bytes;
        jpeg_read_scanlines(&decoder, &row, 1);
    }
    jpeg_finish_decompress(&decoder);
    info->width = (int)decoder.output_width;
    info->height = (int)decoder.output_height;
    info->channels = (int)channels;
    info->bit_depth = 8;
    *pixels = buffer;
    jpeg_destroy_decompress(&decoder);
    return CIC_OK;
}

int cic_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                    int quality, int progressive, unsigned char **out, size_t *out_size,
                    char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        copy_message(message, message_size, "JPEG writer takes 8-bit gray or RGB");
        return CIC_ERROR_ARGUMENT;
    }
    struct jpeg_compress_struct encoder;
    jpeg_context context = {.message = message, .message_size = message_size};
    encoder.err = jpeg_std_error(&context.base);
    context.base.error_exit = jpeg_error_handler;
    context.base.emit_message = jpeg_message_handler;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    if (setjmp(context.jump)) {
        jpeg_destroy_compress(&encoder);
        free(buffer);
        return CIC_ERROR_DECODE;
    }
    jpeg_create_compress(&encoder);
    jpeg_mem_dest(&encoder, (unsigned char **)&buffer, &buffer_size);
    encoder.image_width = (JDIMENSION)width;
    encoder.image_height = (JDIMENSION)height;
    encoder.input_components = channels;
    encoder.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&encoder);
    jpeg_set_quality(&encoder, quality, TRUE);
    if (progressive) jpeg_simple_progression(&encoder);
    jpeg_start_compress(&encoder, TRUE);
    const size_t row_bytes = (size_t)width * channels;
    while (encoder.next_scanline < encoder.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)encoder.next_scanline * row_bytes);
        jpeg_write_scanlines(&encoder, &row, 1);
    }
    jpeg_finish_compress(&encoder);
    jpeg_destroy_compress(&encoder);
    *out = buffer;
    *out_size = buffer_size;
    return CIC_OK;
}
