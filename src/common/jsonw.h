/* jsonw.h - writing JSON text by hand into a buf. jansson reads every JSON
 * we take in, but its number format is not the shortest round-trip form the
 * Mirror API needs, so answers are written with these helpers. */
#ifndef COMMON_JSONW_H
#define COMMON_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FMT_DOUBLE_MAX 32

/* fmt_double: the shortest decimal text that reads back (strtod) as the same
 * double, in %g style: "0.1", "1", "1e+20", "-2.5e-07", "NaN", "+Inf",
 * "-Inf" (the Prometheus spellings). Writes at most FMT_DOUBLE_MAX bytes
 * including the NUL into out; returns out. */
char *fmt_double(double v, char out[FMT_DOUBLE_MAX]);

/* jsonw_double: appends a finite double as a JSON number, shortest form,
 * with ".0" on integral values ("1.0", "0.2", "1e+20"). A value that is not
 * finite is a caller bug and is written as null. */
enum err jsonw_double(struct buf *b, double v);

/* jsonw_int: appends a 64-bit integer. */
enum err jsonw_int(struct buf *b, int64_t v);

/* jsonw_string: appends s[0..n) as a quoted JSON string, escaping quotes,
 * backslashes and every control byte. */
enum err jsonw_string(struct buf *b, const char *s, size_t n);

/* jsonw_str: jsonw_string for a NUL-terminated string. */
enum err jsonw_str(struct buf *b, const char *s);

#endif
