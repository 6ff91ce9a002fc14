// libpng 1.6 (pkg-config `libpng`). The simplified API (png_image) is used from Swift.
#include <png.h>
