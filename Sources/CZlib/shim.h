// zlib, for gzip-compressed IDX files (Fashion-MNIST) and nothing else.
#include <zlib.h>
