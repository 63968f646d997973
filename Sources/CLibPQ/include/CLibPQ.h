#ifndef RISKDESK_CLIBPQ_H
#define RISKDESK_CLIBPQ_H

/* libpq for the team store, loaded lazily.
 *
 * The types, constants and PQ* prototypes come from libpq's own header (libpq-dev), but
 * riskdesk does not link libpq: libpq_loader.c defines each PQ* function riskdesk uses with
 * libpq's exact signature and forwards it to libpq.so.5, opened by dlopen the first time a
 * PostgreSQL store is opened. A run that never touches a team store (most of them) never
 * loads libpq nor the ~20 libraries it pulls in (gnutls, krb5, ldap, ...).
 *
 * The header is found through -I (Package.swift); the absolute fallbacks keep the Swift
 * side (which imports this module without the C target's flags) building too. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#elif __has_include("/usr/include/postgresql/libpq-fe.h")
#include "/usr/include/postgresql/libpq-fe.h"
#elif __has_include("/opt/homebrew/opt/libpq/include/libpq-fe.h")
#include "/opt/homebrew/opt/libpq/include/libpq-fe.h"
#elif __has_include("/usr/local/opt/libpq/include/libpq-fe.h")
#include "/usr/local/opt/libpq/include/libpq-fe.h"
#else
#error "libpq-fe.h not found: install libpq-dev (Debian/Ubuntu) or libpq (Homebrew)"
#endif

#include <stddef.h>

/* The file name riskdesk_pq_load opens. */
extern const char *const riskdesk_pq_library;

/* Loads libpq (once per process; thread-safe) and resolves every PQ* function riskdesk uses.
 * Returns 1 when libpq is ready. Returns 0 when it could not be loaded, with the reason
 * (dlerror's message, or the missing symbol) in err (NUL-terminated, at most n bytes); every
 * later call fails the same way. Call it before any PQ* function: one called without a
 * successful load prints the reason and aborts. */
int riskdesk_pq_load(char *err, size_t n);

#endif
