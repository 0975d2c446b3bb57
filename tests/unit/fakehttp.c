/* fakehttp.c - the fake upstream the unit tests share: a forked child that
 * serves keep-alive HTTP/1.1 on 127.0.0.1 and hands every complete request
 * (head, and a body by Content-Length) to the test's handler. It takes no
 * cmocka assertions: a failed one in the child would jump back into the
 * test runner's copy. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakehttp.h"

#define MAX_CLIENTS 32

/* What a connection's buffer holds at most: one head and one body. */
#define CLIENT_MAX (FAKEHTTP_REQ_MAX + FAKEHTTP_BODY_MAX)

/* One connection and what it sent that is not answered yet. */
struct client {
	int fd;                 /* -1: a free slot */
	int number;             /* 1 = the first connection accepted */
	size_t len;
	char req[CLIENT_MAX];
};

/* The child's whole state. */
struct server {
	int lfd;
	int port;
	int accepted;
	enum fakehttp_next (*handler)(int fd, const struct fakehttp_request *req,
				      void *arg);
	void *arg;
	struct client cl[MAX_CLIENTS];
	char target[FAKEHTTP_REQ_MAX];
	char body[FAKEHTTP_BODY_MAX + 1];
};

/* write_all: all of p[0..n) to fd, or as much as goes before an error. */
static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void fakehttp_reply(int fd, int status, const char *headers, const char *body,
		    size_t len)
{
	char head[1024];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
		     "%s\r\n", status, len, headers ? headers : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		/* a test's mistake; the client will see no answer */
		fprintf(stderr, "fakehttp: reply headers too long\n");
		return;
	}
	write_all(fd, head, (size_t)n);
	write_all(fd, body, len);
}

int fakehttp_listen(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* take_client: accepts one connection into a free slot; with every slot
 * taken it is closed at once. */
static void take_client(struct server *s)
{
	int fd = accept(s->lfd, NULL, NULL);
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd < 0) {
			s->cl[i].fd = fd;
			s->cl[i].number = ++s->accepted;
			s->cl[i].len = 0;
			return;
		}
	close(fd);
}

/* copy_target: the target of the request line in head[0..len) (between the
 * first and the second space) into out, NUL-terminated; "" without one. */
static void copy_target(const char *head, size_t len, char *out, size_t size)
{
	const char *p = memchr(head, ' ', len), *end = head + len;
	size_t n = 0;

	if (p)
		for (p++; p < end && *p != ' ' && *p != '\r' && n + 1 < size; p++)
			out[n++] = *p;
	out[n] = '\0';
}

/* content_length: the Content-Length of head[0..len) (any case, blanks
 * around the value allowed) into *out: 0 when there is none. Returns 0, or
 * -1 for a value that is no number or over FAKEHTTP_BODY_MAX. */
static int content_length(const char *head, size_t len, size_t *out)
{
	static const char name[] = "\r\ncontent-length:";
	const size_t nlen = sizeof(name) - 1;
	unsigned long long v;
	const char *p, *end = head + len;
	char digits[24];
	char *stop;
	size_t i, n;

	*out = 0;
	for (p = head; (size_t)(end - p) > nlen; p++) {
		for (i = 0; i < nlen; i++)
			if (tolower((unsigned char)p[i]) != name[i])
				break;
		if (i < nlen)
			continue;
		p += nlen;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (n = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (n + 1 >= sizeof(digits))
				return -1;
			digits[n++] = *p;
		}
		digits[n] = '\0';
		if (!n)
			return -1;
		errno = 0;
		v = strtoull(digits, &stop, 10);
		if (errno || *stop || v > FAKEHTTP_BODY_MAX)
			return -1;
		*out = (size_t)v;
		return 0;
	}
	return 0;
}

/* drop_client: closes c and frees its slot. */
static void drop_client(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* serve_client: reads what c sent and hands every complete request in it
 * (a head, then as many body bytes as its Content-Length says) to the
 * handler, in order. c is closed at end of file, on a read error, when its
 * head grows past FAKEHTTP_REQ_MAX without an end, or when a request
 * announces a body it cannot hold. */
static void serve_client(struct server *s, struct client *c)
{
	struct fakehttp_request req;
	size_t head, body;
	char *end;
	ssize_t r;

	r = read(c->fd, c->req + c->len, CLIENT_MAX - 1 - c->len);
	if (r < 0 && errno == EINTR)
		return;
	if (r <= 0) {
		drop_client(c);
		return;
	}
	c->len += (size_t)r;
	c->req[c->len] = '\0';
	while ((end = strstr(c->req, "\r\n\r\n")) != NULL) {
		head = (size_t)(end - c->req) + 4;
		if (head > FAKEHTTP_REQ_MAX ||
		    content_length(c->req, head, &body) != 0) {
			drop_client(c);
			return;
		}
		if (c->len - head < body)
			return;         /* the rest of the body is on its way */
		copy_target(c->req, head, s->target, sizeof(s->target));
		memcpy(s->body, c->req + head, body);
		s->body[body] = '\0';
		req.head = c->req;
		req.head_len = head;
		req.target = s->target;
		req.conn = c->number;
		req.port = s->port;
		req.body = s->body;
		req.body_len = body;
		if (s->handler(c->fd, &req, s->arg) == FAKEHTTP_HANG) {
			c->len = 0;
			c->req[0] = '\0';
			return;
		}
		memmove(c->req, c->req + head + body, c->len - head - body + 1);
		c->len -= head + body;
	}
	if (c->len >= FAKEHTTP_REQ_MAX - 1)
		drop_client(c);
}

/* serve: the child's loop over the listening socket and every connection;
 * never returns (the parent kills the child). */
static void serve(struct server *s)
{
	struct pollfd pf[MAX_CLIENTS + 1];
	size_t i;

	for (;;) {
		pf[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (i = 0; i < MAX_CLIENTS; i++)
			pf[i + 1] = (struct pollfd){ .fd = s->cl[i].fd, .events = POLLIN };
		if (poll(pf, MAX_CLIENTS + 1, -1) < 0)
			continue;
		if (pf[0].revents & POLLIN)
			take_client(s);
		for (i = 0; i < MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 &&
			    (pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				serve_client(s, &s->cl[i]);
	}
}

/* run_child: the child's life: listen, write the port to the pipe end
 * report, serve. Exits with 1 when it cannot listen or report, which the
 * parent sees as a short read. */
static void run_child(int report,
		      enum fakehttp_next (*handler)(int fd,
						    const struct fakehttp_request *req,
						    void *arg),
		      void *arg)
{
	struct server *s = calloc(1, sizeof(*s));
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (!s)
		_exit(1);
	s->lfd = fakehttp_listen(&s->port);
	if (s->lfd < 0)
		_exit(1);
	s->handler = handler;
	s->arg = arg;
	for (i = 0; i < MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	if (write(report, &s->port, sizeof(s->port)) != (ssize_t)sizeof(s->port))
		_exit(1);
	close(report);
	serve(s);
	_exit(0);
}

/* reap: kills pid and waits for it, so that no child outlives a test. */
static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int fakehttp_start(struct fakehttp *s,
		   enum fakehttp_next (*handler)(int fd,
						 const struct fakehttp_request *req,
						 void *arg),
		   void *arg)
{
	int p[2], port = -1;
	ssize_t r;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		run_child(p[1], handler, arg);
	}
	close(p[1]);
	do
		r = read(p[0], &port, sizeof(port));
	while (r < 0 && errno == EINTR);
	close(p[0]);
	if (r != (ssize_t)sizeof(port) || port <= 0) {
		reap(pid);
		return -1;
	}
	s->pid = pid;
	s->port = port;
	return 0;
}

void fakehttp_stop(struct fakehttp *s)
{
	if (!s || s->pid <= 0)
		return;
	reap(s->pid);
	s->pid = 0;
}
