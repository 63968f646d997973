#include <sqlite3.h>
// SQLITE_TRANSIENT / SQLITE_STATIC are macros over casts that Swift can't import.
static inline sqlite3_destructor_type riskdesk_sqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type riskdesk_sqlite_static(void) { return SQLITE_STATIC; }
