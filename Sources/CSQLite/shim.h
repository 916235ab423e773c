#include <sqlite3.h>

// Swift cannot call C variadics; these wrappers pass the one argument Kith needs.
static inline int kith_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *out) {
    return sqlite3_db_config(db, op, value, out);
}
