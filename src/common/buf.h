/* buf.h - a growable byte buffer with a size ceiling fixed at creation
 * (after curl's dynbuf). The contents are always NUL-terminated, so a
 * buffer of text can be handed to C string functions; len excludes the NUL. */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

#include "err.h"

struct buf {
	char *data;     /* NULL until the first append */
	size_t len;     /* bytes used, not counting the terminating NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* ceiling on len */
};

/* buf_init: an empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* buf_append: appends n bytes. On failure (ERR_NOMEM, or ERR_TOO_LARGE when
 * the ceiling would be passed) the buffer frees its contents, is left empty
 * and reports the error; later appends fail the same way. */
enum err buf_append(struct buf *b, const void *p, size_t n);

/* buf_puts: appends a NUL-terminated string. */
enum err buf_puts(struct buf *b, const char *s);

/* buf_printf: appends formatted text; same failure rules as buf_append. */
enum err buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* buf_reset: empties the buffer and keeps its memory and ceiling. */
void buf_reset(struct buf *b);

/* buf_free: releases the memory; b may be NULL. The buffer can be reused
 * after buf_init. */
void buf_free(struct buf *b);

/* buf_wipe: buf_free for a buffer that held a secret: its contents are
 * zeroed (OPENSSL_cleanse, which the compiler cannot drop) first. */
void buf_wipe(struct buf *b);

/* buf_cstr: the contents as a string ("" when nothing was appended). */
const char *buf_cstr(const struct buf *b);

/* buf_steal: hands the contents to the caller (to free()) and empties b.
 * Returns a NUL-terminated string, never NULL unless memory runs out. */
char *buf_steal(struct buf *b);

#endif
