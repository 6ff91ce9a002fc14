// libpng 1.6 (pkg-config `libpng`). Writing uses the simplified API (png_image) from Swift.
// Reading uses the classic API through vt_png_decode_rgb8 below: libpng reports errors by
// longjmp, which must never cross Swift frames, so the whole decode lives in C.
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    char message[240];
    jmp_buf jump;
} vt_png_reader;

static inline void vt_png_error_fn(png_structp png, png_const_charp message) {
    vt_png_reader *reader = (vt_png_reader *)png_get_error_ptr(png);
    snprintf(reader->message, sizeof reader->message, "%s", message ? message : "libpng error");
    longjmp(reader->jump, 1);
}

static inline void vt_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // warnings (bad ancillary chunks) are ignored, as PIL does
}

static inline void vt_png_read_fn(png_structp png, png_bytep out, png_size_t count) {
    vt_png_reader *reader = (vt_png_reader *)png_get_io_ptr(png);
    if (reader->size - reader->position < count) {
        png_error(png, "file is truncated (unexpected end of data)");
    }
    memcpy(out, reader->data + reader->position, count);
    reader->position += count;
}

/// Decodes a PNG held in memory to 8-bit RGB, interleaved, row-major. Any colour type and bit
/// depth: palettes expand, gray becomes R=G=B, 16-bit keeps the high byte, alpha and tRNS are
/// dropped (as PIL's Image.convert("RGB")); gAMA is ignored. On success returns 0 and sets
/// *pixels (free with free()), *width, *height. On failure returns non-zero with a one-line
/// reason in message.
static inline int vt_png_decode_rgb8(const unsigned char *data, size_t size, unsigned char **pixels,
                                     uint32_t *width, uint32_t *height, char *message, size_t message_capacity) {
    *pixels = NULL; *width = 0; *height = 0;
    if (message_capacity > 0) message[0] = 0;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(message, message_capacity, "not a PNG file (missing PNG signature)");
        return 1;
    }
    vt_png_reader *reader = (vt_png_reader *)calloc(1, sizeof(vt_png_reader));
    if (!reader) { snprintf(message, message_capacity, "out of memory"); return 1; }
    reader->data = data; reader->size = size; reader->position = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, vt_png_error_fn, vt_png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        free(reader);
        snprintf(message, message_capacity, "cannot initialise libpng");
        return 1;
    }
    // Touched between setjmp and a possible longjmp, so volatile (C11 7.13.2.1).
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(reader->jump)) {
        snprintf(message, message_capacity, "%s", reader->message);
        png_destroy_read_struct(&png, &info, NULL);
        free(buffer); free(rows); free(reader);
        return 1;
    }
    png_set_read_fn(png, reader, vt_png_read_fn);
    // Refuse absurd dimensions before allocating (a corrupt header must not exhaust memory).
    png_set_user_limits(png, 65536, 65536);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int bit_depth = png_get_bit_depth(png, info), color_type = png_get_color_type(png, info);
    if ((uint64_t)w * (uint64_t)h > (uint64_t)1 << 28) png_error(png, "image is too large (over 268 million pixels)");
    // Palettes are mapped here rather than by png_set_palette_to_rgb, which would also turn
    // tRNS into an alpha channel that png_set_strip_alpha does not remove.
    int is_palette = color_type == PNG_COLOR_TYPE_PALETTE;
    png_colorp palette = NULL;
    int palette_size = 0;
    if (is_palette) {
        if (png_get_PLTE(png, info, &palette, &palette_size) == 0) png_error(png, "palette image without a PLTE chunk");
        png_set_packing(png);  // one index per byte
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row_bytes = (size_t)w * (is_palette ? 1 : 3);
    if (png_get_rowbytes(png, info) != row_bytes) png_error(png, "unexpected row layout after conversion to RGB");
    buffer = (unsigned char *)malloc((size_t)w * h * 3);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h ? h : 1));
    if (!buffer || !rows) png_error(png, "out of memory");
    // Palette indices are read into the last third of each RGB row, then expanded in place
    // left to right (the write position never overtakes the read position).
    size_t index_offset = is_palette ? (size_t)w * 2 : 0;
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + (size_t)y * w * 3 + index_offset;
    png_read_image(png, rows);
    if (is_palette) {
        for (png_uint_32 y = 0; y < h; y++) {
            unsigned char *row = buffer + (size_t)y * w * 3;
            const unsigned char *indices = row + index_offset;
            for (png_uint_32 x = 0; x < w; x++) {
                int k = indices[x];
                unsigned char r = 0, g = 0, b = 0;  // an index past the palette reads as black
                if (k < palette_size) { r = palette[k].red; g = palette[k].green; b = palette[k].blue; }
                row[3 * x] = r; row[3 * x + 1] = g; row[3 * x + 2] = b;
            }
        }
    }
    png_read_end(png, NULL);  // checks the trailing chunks too, so a cut-off file is an error
    png_destroy_read_struct(&png, &info, NULL);
    free(rows); free(reader);
    *pixels = buffer; *width = w; *height = h;
    return 0;
}
