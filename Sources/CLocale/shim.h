// libc's wcwidth and locale set-up: not visible from Glibc in Swift.
#ifndef RISKDESK_LOCALE_SHIM_H
#define RISKDESK_LOCALE_SHIM_H
#define _XOPEN_SOURCE 700
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <wchar.h>

/// Sets the locale from the environment, falling back to C.UTF-8 when that isn't UTF-8.
/// Returns 1 when the character set is UTF-8 afterwards.
static inline int rd_locale_utf8(void) {
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    if (cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0)) return 1;
    if (setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "en_US.UTF-8")) {
        cs = nl_langinfo(CODESET);
        return cs && strcmp(cs, "UTF-8") == 0;
    }
    return 0;
}
static inline int rd_wcwidth(unsigned int c) { return wcwidth((wchar_t)c); }
#endif
