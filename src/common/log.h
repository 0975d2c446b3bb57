/* log.h - one-line log records on stderr, with control bytes escaped. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* log_set_level / log_parse_level: the threshold; parse returns -1 for an
 * unknown name ("error", "warn", "info", "debug"). */
void log_set_level(int level);
int log_parse_level(const char *name);

/* log_msg: writes "LEVEL prog[pid]: message" on stderr when level passes the
 * threshold. Bytes below 0x20 and 0x7f are written as \xNN. */
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* log_program: the name shown in each line ("prometheus-mirror"). */
void log_program(const char *name);

#endif
