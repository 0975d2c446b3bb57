/* fakehttp.h - a tiny HTTP/1.1 server for the unit tests that need a fake
 * upstream: a forked child on 127.0.0.1 (never anything but loopback) with a
 * port the kernel chose, keep-alive, one poll loop, and a handler of the
 * test's own that answers each request. */
#ifndef TESTS_FAKEHTTP_H
#define TESTS_FAKEHTTP_H

#include <stddef.h>
#include <sys/types.h>

/* The longest request head a connection may hold; one that grows past it
 * without a complete head is closed. */
#define FAKEHTTP_REQ_MAX 16384

/* The longest request body (given by Content-Length) a connection may send;
 * a request announcing more is not answered and its connection closed. */
#define FAKEHTTP_BODY_MAX 65536

/* One complete request, as the handler sees it. All pointers are the
 * server's and valid only during the call. A body is read when the head
 * has a Content-Length (no chunked encoding). */
struct fakehttp_request {
	const char *head;       /* request line and headers, blank line included;
				 * not NUL-terminated at head_len */
	size_t head_len;
	const char *target;     /* the request target ("/path?query"), as sent,
				 * NUL-terminated; "" when the line has none */
	int conn;               /* which connection: 1 = the first accepted */
	int port;               /* the port the server listens on */
	const char *body;       /* the request body, NUL-terminated at
				 * body_len (it may hold NULs itself); ""
				 * when there is none */
	size_t body_len;
};

/* What a handler returns: whether the server goes on reading the
 * connection. */
enum fakehttp_next {
	FAKEHTTP_KEEP = 0,      /* answered (or not); go on with the next request */
	FAKEHTTP_HANG,          /* never answer: drop whatever else came on this
				 * connection so far, and keep it open */
};

/* A server the test started; pid is 0 when there is none. */
struct fakehttp {
	pid_t pid;
	int port;
};

/* fakehttp_start: forks a child that listens on 127.0.0.1 and reports its
 * port back through a pipe; there it calls handler(fd, req, arg) once for
 * every complete request (head and body), and handler writes its answer
 * to fd (with fakehttp_reply). arg is the child's copy of what it points to: what the
 * handler counts there stays in the child. Returns 0 and fills *s, or -1
 * (with *s untouched and no child left) when the server could not start.
 * Stop it with fakehttp_stop. */
int fakehttp_start(struct fakehttp *s,
		   enum fakehttp_next (*handler)(int fd,
						 const struct fakehttp_request *req,
						 void *arg),
		   void *arg);

/* fakehttp_stop: kills the child by its PID and reaps it; s may be NULL or
 * a server already stopped. */
void fakehttp_stop(struct fakehttp *s);

/* fakehttp_reply: writes one answer to fd: the status line, Content-Length
 * of len, headers (zero or more "Name: value\r\n" lines, NULL for none),
 * then body[0..len). Write errors are ignored: the client has gone. */
void fakehttp_reply(int fd, int status, const char *headers, const char *body,
		    size_t len);

/* fakehttp_listen: a listening TCP socket on 127.0.0.1 with a port the
 * kernel chose. Returns the fd (the caller closes it) and sets *port, or
 * returns -1 and leaves *port alone. */
int fakehttp_listen(int *port);

#endif
