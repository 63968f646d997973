#include <zlib.h>
// inflateInit2 is a macro; expose it as a function.
static inline int riskdesk_inflate_init2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int riskdesk_deflate_init2(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
