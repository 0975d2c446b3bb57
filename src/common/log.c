/* log.c - one-line log records on stderr; see log.h. A line is built whole
 * and written with one write(2), so lines of concurrent workers sharing the
 * same stderr do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static int threshold = LOG_INFO;
static const char *program = "prometheus-mirror";
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(int level)
{
	threshold = level;
}

void log_program(const char *name)
{
	program = name;
}

int log_parse_level(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_msg(int level, const char *fmt, ...)
{
	char raw[4096], line[8192];
	size_t i, n = 0;
	int len;
	va_list ap;

	if (level > threshold || level < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	len = snprintf(line, sizeof(line), "%s %s[%ld]: ", level_names[level],
		       program, (long)getpid());
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	n = (size_t)len;
	for (i = 0; raw[i] && n + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c == 0x7f) {
			static const char hex[] = "0123456789abcdef";

			line[n++] = '\\';
			line[n++] = 'x';
			line[n++] = hex[c >> 4];
			line[n++] = hex[c & 15];
		} else {
			line[n++] = (char)c;
		}
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
