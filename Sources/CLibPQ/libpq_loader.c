/* Lazy libpq: every PQ* function riskdesk uses, forwarded to libpq.so.5 opened by dlopen on
 * first use (see include/CLibPQ.h). Each definition below has libpq's exact prototype: the
 * compiler checks it against libpq-fe.h, which declares the same names.
 *
 * To use another libpq function from Swift, add one line to PQ_FUNCTIONS (or PQ_VOID_FUNCTIONS)
 * with its prototype from libpq-fe.h; an unlisted one fails at link time. */
#include "CLibPQ.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__APPLE__)
const char *const riskdesk_pq_library = "libpq.5.dylib";
#else
const char *const riskdesk_pq_library = "libpq.so.5";
#endif

/* X(return type, name, (parameters), (arguments)) */
#define PQ_FUNCTIONS(X) \
    X(int, PQbackendPID, (const PGconn *conn), (conn)) \
    X(int, PQcancel, (PGcancel *cancel, char *errbuf, int errbufsize), (cancel, errbuf, errbufsize)) \
    X(char *, PQcmdTuples, (PGresult *res), (res)) \
    X(PGconn *, PQconnectdbParams, (const char *const *keywords, const char *const *values, int expand_dbname), \
      (keywords, values, expand_dbname)) \
    X(int, PQconsumeInput, (PGconn *conn), (conn)) \
    X(char *, PQerrorMessage, (const PGconn *conn), (conn)) \
    X(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query)) \
    X(PGresult *, PQexecParams, (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, \
                                 const char *const *paramValues, const int *paramLengths, \
                                 const int *paramFormats, int resultFormat), \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat)) \
    X(char *, PQfname, (const PGresult *res, int field_num), (res, field_num)) \
    X(Oid, PQftype, (const PGresult *res, int field_num), (res, field_num)) \
    X(PGcancel *, PQgetCancel, (PGconn *conn), (conn)) \
    X(int, PQgetCopyData, (PGconn *conn, char **buffer, int async), (conn, buffer, async)) \
    X(PGresult *, PQgetResult, (PGconn *conn), (conn)) \
    X(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(int, PQnfields, (const PGresult *res), (res)) \
    X(PGnotify *, PQnotifies, (PGconn *conn), (conn)) \
    X(int, PQntuples, (const PGresult *res), (res)) \
    X(int, PQputCopyData, (PGconn *conn, const char *buffer, int nbytes), (conn, buffer, nbytes)) \
    X(int, PQputCopyEnd, (PGconn *conn, const char *errormsg), (conn, errormsg)) \
    X(char *, PQresStatus, (ExecStatusType status), (status)) \
    X(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode)) \
    X(char *, PQresultErrorMessage, (const PGresult *res), (res)) \
    X(ExecStatusType, PQresultStatus, (const PGresult *res), (res)) \
    X(int, PQsendQueryParams, (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, \
                               const char *const *paramValues, const int *paramLengths, \
                               const int *paramFormats, int resultFormat), \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat)) \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg)) \
    X(int, PQsetSingleRowMode, (PGconn *conn), (conn)) \
    X(int, PQsocket, (const PGconn *conn), (conn)) \
    X(ConnStatusType, PQstatus, (const PGconn *conn), (conn)) \
    X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn)) \
    X(unsigned char *, PQunescapeBytea, (const unsigned char *strtext, size_t *retbuflen), (strtext, retbuflen))

#define PQ_VOID_FUNCTIONS(X) \
    X(void, PQclear, (PGresult *res), (res)) \
    X(void, PQfinish, (PGconn *conn), (conn)) \
    X(void, PQfreeCancel, (PGcancel *cancel), (cancel)) \
    X(void, PQfreemem, (void *ptr), (ptr))

/* The resolved functions, filled once by load() and published whole (release/acquire). */
struct pq_table {
#define FIELD(ret, name, params, args) ret (*name) params;
    PQ_FUNCTIONS(FIELD)
    PQ_VOID_FUNCTIONS(FIELD)
#undef FIELD
};

static struct pq_table table;
static const struct pq_table *ready; /* &table once every symbol resolved; NULL otherwise */
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    /* RTLD_LOCAL: libpq's symbols stay out of the global namespace (ours are the PQ* ones). */
    void *handle = dlopen(riskdesk_pq_library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "%s", e ? e : "dlopen failed");
        return;
    }
    void *sym;
#define RESOLVE(ret, name, params, args) \
    sym = dlsym(handle, #name); \
    if (!sym) { \
        snprintf(load_error, sizeof load_error, "%s has no %s (libpq too old?)", riskdesk_pq_library, #name); \
        dlclose(handle); \
        return; \
    } \
    memcpy(&table.name, &sym, sizeof sym);
    PQ_FUNCTIONS(RESOLVE)
    PQ_VOID_FUNCTIONS(RESOLVE)
#undef RESOLVE
    __atomic_store_n(&ready, &table, __ATOMIC_RELEASE);
}

int riskdesk_pq_load(char *err, size_t n) {
    pthread_once(&once, load);
    if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) return 1;
    if (err && n > 0) snprintf(err, n, "%s", load_error);
    return 0;
}

/* The table, loading libpq if no one has; a PQ* call without libpq is a programming error
 * (PGConnection checks riskdesk_pq_load before connecting), so it aborts with the reason. */
static const struct pq_table *pq(const char *name) {
    const struct pq_table *t = __atomic_load_n(&ready, __ATOMIC_ACQUIRE);
    if (__builtin_expect(t != NULL, 1)) return t;
    pthread_once(&once, load);
    t = __atomic_load_n(&ready, __ATOMIC_ACQUIRE);
    if (t) return t;
    fprintf(stderr, "riskdesk: %s called but %s could not be loaded: %s\n", name, riskdesk_pq_library, load_error);
    abort();
}

#define FORWARD(ret, name, params, args) \
    ret name params { return pq(#name)->name args; }
#define FORWARD_VOID(ret, name, params, args) \
    ret name params { pq(#name)->name args; }
PQ_FUNCTIONS(FORWARD)
PQ_VOID_FUNCTIONS(FORWARD_VOID)
