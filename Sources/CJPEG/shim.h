// libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev, pkg-config libturbojpeg) for
// FileFormats/JPEG.swift: one call decodes a JPEG in memory to 8-bit RGB.
#ifndef VITTRAIN_CJPEG_SHIM_H
#define VITTRAIN_CJPEG_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/// Decodes `size` bytes of JPEG to a malloc'ed width×height×3 RGB buffer (*pixels, freed by the
/// caller). Returns 0 on success, else -1 with TurboJPEG's reason in `message`.
static inline int vt_jpeg_decode_rgb8(const unsigned char *data, unsigned long size, unsigned char **pixels,
                                      int *width, int *height, char *message, size_t message_size) {
    *pixels = NULL;
    tjhandle handle = tjInitDecompress();
    if (!handle) { snprintf(message, message_size, "%s", tjGetErrorStr()); return -1; }
    int subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(handle, data, size, width, height, &subsampling, &colorspace) != 0
        || *width <= 0 || *height <= 0) {
        snprintf(message, message_size, "%s", tjGetErrorStr2(handle));
        tjDestroy(handle);
        return -1;
    }
    unsigned char *out = (unsigned char *)malloc((size_t)(*width) * (size_t)(*height) * 3);
    if (!out) { snprintf(message, message_size, "out of memory"); tjDestroy(handle); return -1; }
    // Accurate DCT, as PIL decodes by default; warnings (e.g. a truncated tail) are not errors.
    if (tjDecompress2(handle, data, size, out, *width, 0, *height, TJPF_RGB, TJFLAG_ACCURATEDCT) != 0
        && tjGetErrorCode(handle) == TJERR_FATAL) {
        snprintf(message, message_size, "%s", tjGetErrorStr2(handle));
        free(out);
        tjDestroy(handle);
        return -1;
    }
    tjDestroy(handle);
    *pixels = out;
    return 0;
}
#endif
