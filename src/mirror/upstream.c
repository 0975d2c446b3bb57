/* upstream.c - the mirror's HTTP client: calls to the Prometheus-compatible
 * backend with libcurl's multi interface, the allowlist of upstreams, the
 * guard against cloud metadata addresses, and secret-free excerpts of what
 * an upstream answered. One struct upstream lives as long as its worker, so
 * connections, DNS answers and TLS sessions are reused across requests. */
/* the build's config.h (PACKAGE_VERSION), not mirror/config.h */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "aws/creds.h"
#include "aws/sigv4.h"
#include "common/excerpt.h"
#include "common/log.h"
#include "common/strlist.h"
#include "mirror/upstream.h"

/* A built query string may not grow past this; Prometheus servers refuse far
 * shorter request lines anyway. */
#define QUERY_MAX ((size_t)4 << 20)

/* Cap on parallel connections to one host, so a long query_range split into
 * many chunks does not open a hundred sockets at once; further transfers
 * wait for a free connection (inside their own timeout). */
#define MAX_HOST_CONNECTIONS 8L

/* Idle connections kept for reuse per worker. */
#define MAX_CACHED_CONNECTIONS 16L

#define DEFAULT_TIMEOUT_MS 30000L

/* Longest host name shown in an error text. */
#define HOST_MAX 256

/* An allowlist entry: a URL prefix. */
struct allow {
	char *prefix;
	size_t len;
};

/* A metadata address the allowlist names explicitly, as 16 bytes of IPv6
 * (IPv4 in its mapped form ::ffff:a.b.c.d). */
struct addr16 {
	unsigned char b[16];
};

struct upstream {
	CURLM *multi;             /* runs the transfers of one upstream_run */
	CURLSH *share;            /* connections, DNS, TLS sessions */
	struct allow *allow;      /* entries other than "*" */
	size_t n_allow;
	int any;                  /* "*" was listed */
	struct addr16 *meta_ok;   /* metadata addresses listed explicitly */
	size_t n_meta_ok;
	size_t max_reply;         /* ceiling on one reply body */
	double seconds;           /* time in upstream_run since the last take */
	struct creds_cache *creds; /* AWS credentials of this worker */
};

/* The parts of a URL the allowlist and the error texts look at. */
struct url_parts {
	const char *scheme;       /* before "://" */
	size_t scheme_len;
	const char *host;         /* without brackets for IPv6 literals */
	size_t host_len;
	const char *port;         /* digits, or NULL when absent */
	size_t port_len;
	size_t authority_end;     /* offset of the first '/', '?', '#' or the end */
	int has_userinfo;         /* an '@' in the authority */
	int bad_char;             /* a byte in the authority no host has */
};

/* One transfer of upstream_run. */
struct xfer {
	CURL *easy;
	struct upstream_call *call;
	const struct upstream *u;
	struct curl_slist *headers;
	struct buf body;          /* moved to call->body only when all succeed */
	enum err write_rc;        /* why on_data refused the reply, or OK */
	int metadata;             /* on_open_socket refused a metadata address */
	int added;                /* in the multi handle */
};

/* ---- small helpers ---- */

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* host_byte: bytes that may appear in the authority of the URLs we accept
 * (reg-name, IPv4, bracketed IPv6 with a %25 zone, port). */
static int host_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-._~:[]%", c));
}

/* url_split: finds scheme, host and port in s[0..n). Returns 0 when s has
 * no "scheme://" or no host; *p is then unusable. The parse is only as deep
 * as the allowlist needs: curl parses the URL again when connecting, and the
 * resolved address is checked again there. */
static int url_split(const char *s, size_t n, struct url_parts *p)
{
	const char *sep, *auth, *end, *colon;
	size_t i;

	memset(p, 0, sizeof(*p));
	sep = memchr(s, ':', n);
	if (!sep || sep == s || (size_t)(s + n - sep) < 3 || sep[1] != '/' ||
	    sep[2] != '/')
		return 0;
	p->scheme = s;
	p->scheme_len = (size_t)(sep - s);
	auth = sep + 3;
	for (i = (size_t)(auth - s); i < n; i++)
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			break;
	p->authority_end = i;
	end = s + i;
	for (i = 0; auth + i < end; i++) {
		if (auth[i] == '@')
			p->has_userinfo = 1;
		else if (!host_byte((unsigned char)auth[i]))
			p->bad_char = 1;
	}
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(end - auth));

		if (!close)
			return 0;
		p->host = auth + 1;
		p->host_len = (size_t)(close - auth - 1);
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
		p->host = auth;
		p->host_len = (size_t)((colon ? colon : end) - auth);
	}
	if (colon) {
		p->port = colon + 1;
		p->port_len = (size_t)(end - colon - 1);
	}
	return p->host_len > 0;
}

/* has_dot_segment: 1 when the path of url (from authority_end on) has a
 * "." or ".." segment, also spelt with %2e. Servers and curl remove them,
 * so "http://prom/tenant/../other" would leave the prefix "http://prom/tenant/"
 * that an allowlist entry grants. */
static int has_dot_segment(const char *url, size_t n, size_t authority_end)
{
	size_t i = authority_end, seg, dots;

	while (i < n && url[i] == '/') {
		seg = ++i;
		dots = 0;
		while (i < n && url[i] != '/' && url[i] != '?' && url[i] != '#') {
			if (url[i] == '.') {
				i++;
			} else if (n - i >= 3 && url[i] == '%' && url[i + 1] == '2' &&
				   lower((unsigned char)url[i + 2]) == 'e') {
				i += 3;
			} else {
				dots = 3;       /* anything else: a plain segment */
				i++;
				continue;
			}
			dots++;
		}
		if (i > seg && dots <= 2)
			return 1;
	}
	return 0;
}

static int scheme_is_http(const struct url_parts *p)
{
	return (p->scheme_len == 4 && ieq(p->scheme, "http", 4)) ||
	       (p->scheme_len == 5 && ieq(p->scheme, "https", 5));
}

/* host_address: the address a host literal stands for, as 16 bytes of
 * IPv6. IPv4 goes through inet_aton, which takes every spelling the
 * resolver takes (2852039166, 0xa9fea9fe, 0251.0376.0251.0376). Returns 1
 * when host[0..n) is a literal address, else 0. */
static int host_address(const char *host, size_t n, struct addr16 *out)
{
	char tmp[INET6_ADDRSTRLEN + 16];
	const char *zone;
	struct in_addr v4;
	struct in6_addr v6;

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, host, n);
	tmp[n] = '\0';
	zone = strchr(tmp, '%');
	if (zone)
		tmp[zone - tmp] = '\0';
	memset(out, 0, sizeof(*out));
	if (strchr(tmp, ':')) {
		if (inet_pton(AF_INET6, tmp, &v6) != 1)
			return 0;
		memcpy(out->b, &v6, 16);
		return 1;
	}
	if (zone || inet_aton(tmp, &v4) == 0)
		return 0;
	out->b[10] = 0xff;
	out->b[11] = 0xff;
	memcpy(out->b + 12, &v4.s_addr, 4);
	return 1;
}

/* is_metadata: 169.254.0.0/16 (also as ::ffff:169.254.x.x) and
 * fd00:ec2::254, where clouds answer instance metadata and credentials. */
static int is_metadata(const struct addr16 *a)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const unsigned char ec2[16] = {
		0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54,
	};

	if (memcmp(a->b, mapped, 12) == 0)
		return a->b[12] == 169 && a->b[13] == 254;
	return memcmp(a->b, ec2, 16) == 0;
}

static int meta_listed(const struct upstream *u, const struct addr16 *a)
{
	size_t i;

	for (i = 0; i < u->n_meta_ok; i++)
		if (memcmp(u->meta_ok[i].b, a->b, 16) == 0)
			return 1;
	return 0;
}

/* ---- the allowlist ---- */

/* add_entry: stores one trimmed, non-empty entry s[0..n); an entry whose
 * host is a metadata address also lists that address for the connect-time
 * check. */
static enum err add_entry(struct upstream *u, const char *s, size_t n)
{
	struct url_parts p;
	struct addr16 a;
	void *grown;
	char *copy;

	if (n == 1 && s[0] == '*') {
		u->any = 1;
		return OK;
	}
	if (url_split(s, n, &p) && host_address(p.host, p.host_len, &a) &&
	    is_metadata(&a)) {
		if (u->n_meta_ok >= ((size_t)-1) / sizeof(*u->meta_ok) - 1)
			return ERR_NOMEM;
		grown = realloc(u->meta_ok, (u->n_meta_ok + 1) * sizeof(*u->meta_ok));
		if (!grown)
			return ERR_NOMEM;
		u->meta_ok = grown;
		u->meta_ok[u->n_meta_ok++] = a;
	}
	if (u->n_allow >= ((size_t)-1) / sizeof(*u->allow) - 1)
		return ERR_NOMEM;
	grown = realloc(u->allow, (u->n_allow + 1) * sizeof(*u->allow));
	if (!grown)
		return ERR_NOMEM;
	u->allow = grown;
	copy = malloc(n + 1);
	if (!copy)
		return ERR_NOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	u->allow[u->n_allow].prefix = copy;
	u->allow[u->n_allow].len = n;
	u->n_allow++;
	return OK;
}

/* parse_allowlist: splits the comma list, trims blanks around entries and
 * skips empty ones. */
static enum err parse_allowlist(struct upstream *u, const char *list)
{
	const char *s = list, *end, *a, *b;
	enum err rc;

	while (*s) {
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		a = s;
		b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			rc = add_entry(u, a, (size_t)(b - a));
			if (rc)
				return rc;
		}
		s = *end ? end + 1 : end;
	}
	return OK;
}

/* entry_matches: the prefix rule of MIRROR_ALLOWED_UPSTREAMS. Scheme and
 * authority compare case-insensitively, the path exactly; the match must end
 * on a boundary so "http://prom:90" does not allow "http://prom:9090". An
 * entry with a trailing '/' also allows the URL without it (connection URLs
 * arrive without their trailing slash). */
static int entry_matches(const struct allow *e, const char *url, size_t n,
			 size_t authority_end)
{
	size_t i, len = e->len;
	char next;

	if (len > n) {
		if (len != n + 1 || e->prefix[len - 1] != '/')
			return 0;
		len = n;
	}
	for (i = 0; i < len; i++) {
		if (i < authority_end) {
			if (lower((unsigned char)url[i]) !=
			    lower((unsigned char)e->prefix[i]))
				return 0;
		} else if (url[i] != e->prefix[i]) {
			return 0;
		}
	}
	if (len < e->len)
		return 1;
	if (strchr("/:", e->prefix[len - 1]))
		return 1;
	next = len < n ? url[len] : '\0';
	return next == '\0' || (next && strchr("/:?#", next));
}

enum err upstream_allowed(const struct upstream *u, const char *url,
			  struct errinfo *ei)
{
	struct url_parts p;
	struct addr16 a;
	size_t i, n = strlen(url);
	int meta, named = 0;
	char host[HOST_MAX];
	const char *port;
	size_t port_len;

	if (!url_split(url, n, &p) || !scheme_is_http(&p) || p.bad_char)
		return err_set(ei, ERR_BAD_REQUEST,
			       "connectionDetails.url: not a valid http(s) URL");
	if (p.has_userinfo)
		return err_set(ei, ERR_BAD_REQUEST,
			       "connectionDetails.url: credentials in the URL "
			       "are not accepted");
	if (has_dot_segment(url, n, p.authority_end))
		return err_set(ei, ERR_BAD_REQUEST,
			       "connectionDetails.url: . or .. path segments "
			       "are not accepted");
	meta = host_address(p.host, p.host_len, &a) && is_metadata(&a);
	for (i = 0; i < u->n_allow && !named; i++)
		named = entry_matches(&u->allow[i], url, n, p.authority_end);
	if (named || (u->any && !meta))
		return OK;

	/* "scheme://host:port", never the path (long) nor anything else */
	for (i = 0; i < p.host_len && i < sizeof(host) - 1; i++)
		host[i] = (char)lower((unsigned char)p.host[i]);
	host[i] = '\0';
	port = p.port;
	port_len = p.port_len;
	if (!port || !port_len) {
		port = p.scheme_len == 5 ? "443" : "80";
		port_len = strlen(port);
	}
	return err_set(ei, ERR_FORBIDDEN,
		       "connectionDetails.url: %s://%s%s%s:%.*s is not in "
		       "MIRROR_ALLOWED_UPSTREAMS%s",
		       p.scheme_len == 5 ? "https" : "http",
		       memchr(host, ':', i) ? "[" : "", host,
		       memchr(host, ':', i) ? "]" : "",
		       (int)(port_len > 5 ? 5 : port_len), port,
		       meta ? " (cloud metadata addresses must be listed "
			      "explicitly)" : "");
}

int upstream_refuses_address(const struct upstream *u,
			     const struct sockaddr *sa, size_t len)
{
	struct addr16 a;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		a.b[10] = 0xff;
		a.b[11] = 0xff;
		memcpy(a.b + 12, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		memcpy(a.b, &in6->sin6_addr, 16);
	} else {
		return 0;
	}
	return is_metadata(&a) && !meta_listed(u, &a);
}

/* ---- life cycle ---- */

struct upstream *upstream_new(const char *allowed)
{
	struct upstream *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->max_reply = UPSTREAM_MAX_REPLY_BYTES;
	if (parse_allowlist(u, allowed ? allowed : "*"))
		goto fail;
	u->share = curl_share_init();
	u->multi = curl_multi_init();
	u->creds = creds_cache_new(0);
	if (!u->share || !u->multi || !u->creds)
		goto fail;
	if (curl_share_setopt(u->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
	    curl_share_setopt(u->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(u->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		goto fail;
	if (curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			      MAX_HOST_CONNECTIONS) ||
	    curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS,
			      MAX_CACHED_CONNECTIONS))
		goto fail;
	return u;
fail:
	upstream_free(u);
	return NULL;
}

void upstream_free(struct upstream *u)
{
	size_t i;

	if (!u)
		return;
	if (u->multi)
		curl_multi_cleanup(u->multi);
	if (u->share)
		curl_share_cleanup(u->share);
	for (i = 0; i < u->n_allow; i++)
		free(u->allow[i].prefix);
	free(u->allow);
	free(u->meta_ok);
	creds_cache_free(u->creds);
	free(u);
}

void upstream_set_max_reply(struct upstream *u, size_t max)
{
	u->max_reply = max;
}

double upstream_take_seconds(struct upstream *u)
{
	double s = u->seconds;

	u->seconds = 0;
	return s;
}

/* ---- calls and parameters ---- */

void upstream_call_init(struct upstream_call *call, const char *path)
{
	call->path = path;
	buf_init(&call->query, QUERY_MAX);
	call->status = 0;
	buf_init(&call->body, UPSTREAM_MAX_REPLY_BYTES);
}

void upstream_call_free(struct upstream_call *call)
{
	if (!call)
		return;
	buf_free(&call->query);
	buf_free(&call->body);
}

enum err upstream_param(struct upstream_call *call, const char *name,
			const char *value)
{
	enum err rc = OK;

	if (call->query.len)
		rc = buf_append(&call->query, "&", 1);
	if (!rc)
		rc = sigv4_encode(name, strlen(name), &call->query);
	if (!rc)
		rc = buf_append(&call->query, "=", 1);
	/* RFC 3986 unreserved bytes as they are, the rest %XX: Prometheus reads
	 * it, and it is already SigV4's canonical form */
	if (!rc && value)
		rc = sigv4_encode(value, strlen(value), &call->query);
	return rc;
}

/* ---- excerpts without secrets ---- */

/* The secrets of a connection, in the order excerpt_text looks for them.
 * basic_b64 is the "user:password" base64 text of a Basic Authorization
 * header, which a debugging proxy may echo. */
struct secrets {
	const char **s;
	size_t *len;
	size_t n;
	size_t longest;
	unsigned char *b64;
};

static void secrets_add(struct secrets *z, const char *s, size_t len)
{
	if (!s || !len)
		return;
	z->s[z->n] = s;
	z->len[z->n] = len;
	z->n++;
	if (len > z->longest)
		z->longest = len;
}

/* secrets_collect: lists conn's secrets in z (free with secrets_free).
 * Returns ERR_NOMEM when the lists cannot be made. */
static enum err secrets_collect(const struct conn *c, struct secrets *z)
{
	size_t i, cap, ulen, plen, b64len;
	unsigned char *plain;

	memset(z, 0, sizeof(*z));
	if (!c)
		return OK;
	if (c->n_headers > ((size_t)-1) / sizeof(*z->len) - 10)
		return ERR_NOMEM;
	cap = c->n_headers + 10;
	z->s = calloc(cap, sizeof(*z->s));
	z->len = calloc(cap, sizeof(*z->len));
	if (!z->s || !z->len)
		return ERR_NOMEM;
	if (c->basic_pass)
		secrets_add(z, c->basic_pass, strlen(c->basic_pass));
	if (c->bearer)
		secrets_add(z, c->bearer, strlen(c->bearer));
	for (i = 0; i < c->n_headers; i++)
		if (c->headers[i].value)
			secrets_add(z, c->headers[i].value,
				    strlen(c->headers[i].value));
	if (c->aws) {
		const char *const aws[] = { c->aws->secret, c->aws->token,
					    c->aws->live.secret,
					    c->aws->live.token };

		for (i = 0; i < sizeof(aws) / sizeof(aws[0]); i++)
			if (aws[i])
				secrets_add(z, aws[i], strlen(aws[i]));
	}
	if (c->basic_user && c->basic_pass) {
		ulen = strlen(c->basic_user);
		plen = strlen(c->basic_pass);
		if (ulen > (size_t)INT32_MAX / 2 || plen > (size_t)INT32_MAX / 2)
			return ERR_NOMEM;
		plain = malloc(ulen + plen + 1);
		b64len = 4 * ((ulen + plen + 1 + 2) / 3);
		z->b64 = malloc(b64len + 1);
		if (!plain || !z->b64) {
			free(plain);
			free(z->b64);
			z->b64 = NULL;
			return ERR_NOMEM;
		}
		memcpy(plain, c->basic_user, ulen);
		plain[ulen] = ':';
		memcpy(plain + ulen + 1, c->basic_pass, plen);
		b64len = (size_t)EVP_EncodeBlock(z->b64, plain,
						  (int)(ulen + plen + 1));
		OPENSSL_cleanse(plain, ulen + plen + 1);
		free(plain);
		secrets_add(z, (const char *)z->b64, b64len);
	}
	return OK;
}

static void secrets_free(struct secrets *z)
{
	free(z->s);
	free(z->len);
	if (z->b64)
		OPENSSL_cleanse(z->b64, strlen((const char *)z->b64));
	free(z->b64);
}

void upstream_excerpt_text(const struct conn *conn, const char *s, size_t n,
			   size_t max, char *out, size_t outsz)
{
	struct secrets z;

	if (outsz)
		out[0] = '\0';
	if (secrets_collect(conn, &z) == OK)
		excerpt_text(z.s, z.len, z.n, s, n, max, out, outsz);
	secrets_free(&z);
}

void upstream_excerpt(const struct conn *conn, const struct buf *body,
		      char *out, size_t outsz)
{
	upstream_excerpt_text(conn, body->data, body->len,
			      UPSTREAM_EXCERPT_BYTES, out, outsz);
}

/* ---- transfers ---- */

/* on_data: collects a reply body up to the ceiling; returning less than
 * offered makes curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	enum err rc;

	rc = buf_append(&x->body, p, n);
	if (rc) {
		x->write_rc = rc;
		return 0;
	}
	return n;
}

/* on_open_socket: the last look at the address before connecting, after
 * DNS and however the URL spelt its host. Refusing here makes curl try the
 * host's next address, if it has one. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose,
				    struct curl_sockaddr *a)
{
	struct xfer *x = ud;
	int type = a->socktype;

	if (purpose == CURLSOCKTYPE_IPCXN &&
	    upstream_refuses_address(x->u, &a->addr, a->addrlen)) {
		x->metadata = 1;
		return CURL_SOCKET_BAD;
	}
#ifdef SOCK_CLOEXEC
	type |= SOCK_CLOEXEC;
#endif
	return socket(a->family, type, a->protocol);
}

static int set_long(CURL *e, CURLoption o, long v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

static int set_str(CURL *e, CURLoption o, const char *v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

/* header_ok: a header line we would send must not carry a line break (no
 * header injection) and a name must be a plain token. */
static int header_ok(const char *name, const char *value)
{
	const char *q;

	if (!name || !*name)
		return 0;
	for (q = name; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || strchr("!#$%&'*+-.^_`|~", *q)))
			return 0;
	return !value || !strpbrk(value, "\r\n");
}

/* add_header: appends "name: <vprefix><value>" to the transfer's header
 * list. The temporary line may hold a secret and is wiped. Returns OK,
 * ERR_NOMEM, or ERR_TOO_LARGE for a line over 1 MiB. */
static enum err add_header(struct xfer *x, const char *name,
			   const char *vprefix, const char *value)
{
	struct curl_slist *l;
	struct buf line;
	enum err rc;

	buf_init(&line, (size_t)1 << 20);
	/* curl drops a header given as "name:", so an empty value is "name;" */
	if (*vprefix || *value)
		rc = buf_printf(&line, "%s: %s%s", name, vprefix, value);
	else
		rc = buf_printf(&line, "%s;", name);
	if (rc)
		goto out;
	l = curl_slist_append(x->headers, buf_cstr(&line));
	if (!l) {
		rc = ERR_NOMEM;
		goto out;
	}
	x->headers = l;
out:
	buf_wipe(&line);
	return rc;
}

/* sign: adds the SigV4 headers (Host, X-Amz-Date, X-Amz-Security-Token,
 * Authorization) for a GET of url, signed with the credentials upstream_run
 * obtained for conn. Every line is wiped once curl has its copy. */
static enum err sign(struct xfer *x, const struct conn *conn, const char *url,
		     struct errinfo *ei)
{
	const struct sigv4_request rq = { .method = "GET", .url = url };
	struct strlist lines;
	struct curl_slist *l;
	size_t i;
	enum err rc;

	memset(&lines, 0, sizeof(lines));
	rc = sigv4_sign(&rq, &conn->aws->live, conn->aws->region, "aps",
			time(NULL), &lines, ei);
	for (i = 0; !rc && i < lines.n; i++) {
		l = curl_slist_append(x->headers, lines.v[i]);
		if (!l)
			rc = err_set(ei, ERR_NOMEM, "out of memory signing the "
				     "upstream request");
		else
			x->headers = l;
	}
	strlist_wipe(&lines);
	return rc;
}

/* xfer_setup: the easy handle of one call with every option of the spec.
 * Returns OK, ERR_BAD_REQUEST for a header that cannot be sent, ERR_NOMEM
 * or ERR_INTERNAL; x is cleaned by the caller in every case. */
static enum err xfer_setup(struct upstream *u, const struct conn *conn,
			   struct xfer *x, struct errinfo *ei)
{
	static const char ua[] = "prometheus-mirror/" PACKAGE_VERSION;
	struct buf url;
	size_t base = strlen(conn->url), i;
	CURL *e;
	int bad = 0;
	enum err rc;

	buf_init(&url, QUERY_MAX + 65536);
	x->easy = e = curl_easy_init();
	if (!e) {
		rc = err_set(ei, ERR_NOMEM, "cannot create an HTTP transfer");
		goto out;
	}
	if (base && conn->url[base - 1] == '/')
		base--;
	rc = buf_append(&url, conn->url, base);
	if (!rc)
		rc = buf_printf(&url, "/%s", x->call->path);
	if (!rc && x->call->query.len)
		rc = buf_printf(&url, "?%s", buf_cstr(&x->call->query));
	if (rc) {
		rc = err_set(ei, rc == ERR_NOMEM ? ERR_NOMEM : ERR_BAD_REQUEST,
			     "upstream URL too long");
		goto out;
	}
	if (conn->bearer) {
		if (!header_ok("Authorization", conn->bearer)) {
			rc = err_set(ei, ERR_BAD_REQUEST,
				     "connectionDetails.bearer_token: contains a "
				     "line break");
			goto out;
		}
		rc = add_header(x, "Authorization", "Bearer ", conn->bearer);
		if (rc)
			goto header_failed;
	}
	if (conn->aws) {
		rc = sign(x, conn, buf_cstr(&url), ei);
		if (rc)
			goto out;
	}
	for (i = 0; i < conn->n_headers; i++) {
		const struct header *h = &conn->headers[i];

		if (!header_ok(h->name, h->value)) {
			rc = err_set(ei, ERR_BAD_REQUEST,
				     "connectionDetails.headers: a header name "
				     "or value that cannot be sent");
			goto out;
		}
		rc = add_header(x, h->name, "", h->value ? h->value : "");
		if (rc)
			goto header_failed;
	}

	bad |= set_str(e, CURLOPT_URL, buf_cstr(&url));
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= set_str(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= set_str(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	bad |= set_long(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
	bad |= set_long(e, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	bad |= set_long(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= set_long(e, CURLOPT_TIMEOUT_MS, conn->timeout_ms > 0 ?
			conn->timeout_ms : DEFAULT_TIMEOUT_MS);
	bad |= set_long(e, CURLOPT_CONNECTTIMEOUT_MS, conn->timeout_ms > 0 ?
			conn->timeout_ms : DEFAULT_TIMEOUT_MS);
	bad |= set_long(e, CURLOPT_NOSIGNAL, 1L);
	bad |= set_long(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= set_str(e, CURLOPT_ACCEPT_ENCODING, "");
	bad |= set_str(e, CURLOPT_USERAGENT, ua);
	bad |= set_long(e, CURLOPT_SSL_VERIFYPEER, conn->tls_insecure ? 0L : 1L);
	bad |= set_long(e, CURLOPT_SSL_VERIFYHOST, conn->tls_insecure ? 0L : 2L);
	if (conn->ca_file)
		bad |= set_str(e, CURLOPT_CAINFO, conn->ca_file);
	if (conn->basic_user) {
		bad |= set_long(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		bad |= set_str(e, CURLOPT_USERNAME, conn->basic_user);
		bad |= set_str(e, CURLOPT_PASSWORD,
			       conn->basic_pass ? conn->basic_pass : "");
	}
	if (x->headers)
		bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SHARE, u->share) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK;
	if (bad) {
		rc = err_set(ei, ERR_INTERNAL, "libcurl refused an option");
		goto out;
	}
	rc = OK;
	goto out;
header_failed:
	rc = rc == ERR_NOMEM
	     ? err_set(ei, ERR_NOMEM, "out of memory preparing the upstream request")
	     : err_set(ei, ERR_BAD_REQUEST, "connectionDetails: a header too long to send");
out:
	buf_free(&url);
	return rc;
}

/* ---- transport errors ---- */

/* What a failed transfer's text names after the table's words. */
enum detail {
	D_NONE,          /* the words alone */
	D_HOST,          /* " host" */
	D_ADDR,          /* " host:port" */
	D_ADDR_ERRNO,    /* " host:port: <strerror>" when the OS said why */
};

/* curl's result codes that the mirror words itself; anything else is
 * "upstream request failed: <curl's own short text>". Texts name the host
 * and port of the URL, never its path, query or a credential. */
static const struct curl_error_row {
	CURLcode code;
	enum err err;
	const char *text;
	enum detail detail;
} curl_errors[] = {
	{ .code = CURLE_COULDNT_RESOLVE_HOST, .err = ERR_UPSTREAM,
	  .text = "cannot resolve host", .detail = D_HOST },
	{ .code = CURLE_COULDNT_RESOLVE_PROXY, .err = ERR_UPSTREAM,
	  .text = "cannot resolve the proxy host" },
	{ .code = CURLE_COULDNT_CONNECT, .err = ERR_UPSTREAM,
	  .text = "cannot connect to", .detail = D_ADDR_ERRNO },
	{ .code = CURLE_PEER_FAILED_VERIFICATION, .err = ERR_UPSTREAM,
	  .text = "TLS certificate verification failed for", .detail = D_ADDR },
	{ .code = CURLE_SSL_CONNECT_ERROR, .err = ERR_UPSTREAM,
	  .text = "TLS handshake failed with", .detail = D_ADDR },
	{ .code = CURLE_SSL_CIPHER, .err = ERR_UPSTREAM,
	  .text = "no TLS cipher in common with", .detail = D_ADDR },
	{ .code = CURLE_SSL_CACERT_BADFILE, .err = ERR_UPSTREAM,
	  .text = "cannot use the CA file of connectionDetails.tls.ca_file" },
	{ .code = CURLE_SSL_CERTPROBLEM, .err = ERR_UPSTREAM,
	  .text = "problem with the TLS client certificate" },
	{ .code = CURLE_SEND_ERROR, .err = ERR_UPSTREAM,
	  .text = "error sending to", .detail = D_ADDR_ERRNO },
	{ .code = CURLE_RECV_ERROR, .err = ERR_UPSTREAM,
	  .text = "error receiving from", .detail = D_ADDR_ERRNO },
	{ .code = CURLE_GOT_NOTHING, .err = ERR_UPSTREAM,
	  .text = "connection closed without an answer by", .detail = D_ADDR },
	{ .code = CURLE_PARTIAL_FILE, .err = ERR_UPSTREAM,
	  .text = "reply cut short by", .detail = D_ADDR },
	{ .code = CURLE_WEIRD_SERVER_REPLY, .err = ERR_UPSTREAM,
	  .text = "not an HTTP reply from", .detail = D_ADDR },
	{ .code = CURLE_HTTP2, .err = ERR_UPSTREAM,
	  .text = "HTTP/2 error with", .detail = D_ADDR },
	{ .code = CURLE_HTTP2_STREAM, .err = ERR_UPSTREAM,
	  .text = "HTTP/2 stream error with", .detail = D_ADDR },
	{ .code = CURLE_BAD_CONTENT_ENCODING, .err = ERR_UPSTREAM,
	  .text = "undecodable compressed reply from", .detail = D_ADDR },
	{ .code = CURLE_UNSUPPORTED_PROTOCOL, .err = ERR_UPSTREAM,
	  .text = "connectionDetails.url: only http and https are supported" },
	{ .code = CURLE_URL_MALFORMAT, .err = ERR_UPSTREAM,
	  .text = "connectionDetails.url: malformed URL" },
	{ .code = CURLE_OUT_OF_MEMORY, .err = ERR_NOMEM,
	  .text = "out of memory in the HTTP client" },
};

/* transfer_error: records why x failed in ei and returns the code. */
static enum err transfer_error(const struct xfer *x, CURLcode res,
			       const struct conn *conn, struct errinfo *ei)
{
	const struct curl_error_row *row = NULL;
	struct url_parts p;
	char where[HOST_MAX + 16], why[128] = "";
	const char *port;
	size_t port_len, i;
	long os_errno = 0;

	if (x->metadata && res != CURLE_OK)
		return err_set(ei, ERR_FORBIDDEN, "upstream address is a cloud "
			       "metadata address");
	if (x->write_rc == ERR_TOO_LARGE)
		return err_set(ei, ERR_UPSTREAM, "upstream reply larger than %zu "
			       "bytes", x->u->max_reply);
	if (x->write_rc)
		return err_set(ei, ERR_NOMEM, "out of memory reading the "
			       "upstream reply");
	if (res == CURLE_OPERATION_TIMEDOUT)
		return err_set(ei, ERR_TIMEOUT, "upstream timed out after %ld ms",
			       conn->timeout_ms > 0 ? conn->timeout_ms
						    : DEFAULT_TIMEOUT_MS);
	for (i = 0; i < sizeof(curl_errors) / sizeof(curl_errors[0]); i++)
		if (curl_errors[i].code == res)
			row = &curl_errors[i];
	if (!row)
		return err_set(ei, ERR_UPSTREAM, "upstream request failed: %s",
			       curl_easy_strerror(res));
	if (row->detail == D_NONE)
		return err_set(ei, row->err, "%s", row->text);

	if (!url_split(conn->url, strlen(conn->url), &p))
		return err_set(ei, row->err, "%s the upstream", row->text);
	port = p.port;
	port_len = p.port_len;
	if (!port || !port_len) {
		port = p.scheme_len == 5 ? "443" : "80";
		port_len = strlen(port);
	}
	if (row->detail == D_HOST)
		snprintf(where, sizeof(where), "%.*s",
			 (int)(p.host_len < HOST_MAX ? p.host_len : HOST_MAX),
			 p.host);
	else
		snprintf(where, sizeof(where), "%s%.*s%s:%.*s",
			 memchr(p.host, ':', p.host_len) ? "[" : "",
			 (int)(p.host_len < HOST_MAX ? p.host_len : HOST_MAX),
			 p.host, memchr(p.host, ':', p.host_len) ? "]" : "",
			 (int)(port_len > 5 ? 5 : port_len), port);
	if (row->detail == D_ADDR_ERRNO &&
	    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
	    os_errno > 0)
		snprintf(why, sizeof(why), ": %s", strerror((int)os_errno));
	return err_set(ei, row->err, "%s %s%s", row->text, where, why);
}

/* ---- running calls ---- */

static void xfer_clean(struct upstream *u, struct xfer *x)
{
	if (x->added)
		curl_multi_remove_handle(u->multi, x->easy);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	buf_free(&x->body);
}

/* drive: runs the multi handle until every transfer is done or one failed.
 * Returns OK, or the first failure (in the order transfers finished). */
static enum err drive(struct upstream *u, const struct conn *conn,
		      struct errinfo *ei)
{
	int running = 1, left;
	CURLMsg *msg;
	CURLMcode mc;
	struct xfer *x;

	while (running) {
		mc = curl_multi_perform(u->multi, &running);
		if (mc)
			return err_set(ei, mc == CURLM_OUT_OF_MEMORY ? ERR_NOMEM
				       : ERR_INTERNAL, "HTTP client failure: %s",
				       curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(u->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
			if (x && msg->data.result != CURLE_OK)
				return transfer_error(x, msg->data.result, conn, ei);
		}
		if (!running)
			break;
		mc = curl_multi_poll(u->multi, NULL, 0, 1000, NULL);
		if (mc)
			return err_set(ei, ERR_INTERNAL, "HTTP client failure: %s",
				       curl_multi_strerror(mc));
	}
	return OK;
}

/* run_once: performs calls[0..n) in parallel, as upstream_run says. */
static enum err run_once(struct upstream *u, const struct conn *conn,
			 struct upstream_call *calls, size_t n,
			 struct errinfo *ei)
{
	struct xfer *xs = NULL;
	size_t i;
	long status;
	enum err rc;

	xs = calloc(n, sizeof(*xs));
	if (!xs) {
		rc = err_set(ei, ERR_NOMEM, "out of memory preparing upstream calls");
		goto out;
	}
	for (i = 0; i < n; i++) {
		xs[i].call = &calls[i];
		xs[i].u = u;
		buf_init(&xs[i].body, u->max_reply);
	}
	for (i = 0; i < n; i++) {
		rc = xfer_setup(u, conn, &xs[i], ei);
		if (rc)
			goto out;
		if (curl_multi_add_handle(u->multi, xs[i].easy)) {
			rc = err_set(ei, ERR_INTERNAL, "cannot start an HTTP transfer");
			goto out;
		}
		xs[i].added = 1;
	}
	rc = drive(u, conn, ei);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		status = 0;
		curl_easy_getinfo(xs[i].easy, CURLINFO_RESPONSE_CODE, &status);
		calls[i].status = status;
		buf_free(&calls[i].body);
		calls[i].body = xs[i].body;
		buf_init(&xs[i].body, 0);
	}
out:
	for (i = 0; xs && i < n; i++)
		xfer_clean(u, &xs[i]);
	free(xs);
	return rc;
}

/* token_expired: 1 when one of calls got the 403 with which AMP refuses a
 * session token that has expired. */
static int token_expired(const struct upstream_call *calls, size_t n)
{
	static const char *const says[] = {
		"security token included in the request is expired",
		"ExpiredToken",
	};
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (calls[i].status != 403 || !calls[i].body.len)
			continue;
		for (k = 0; k < sizeof(says) / sizeof(says[0]); k++)
			if (excerpt_find(calls[i].body.data, calls[i].body.len,
					 says[k], strlen(says[k])))
				return 1;
	}
	return 0;
}

/* aws_source: the creds_source of conn's aws block. */
static void aws_source(const struct conn *conn, struct creds_source *src)
{
	const struct conn_aws *a = conn->aws;

	memset(src, 0, sizeof(*src));
	src->region = a->region;
	src->key_id = a->key_id;
	src->secret = a->secret;
	src->token = a->token;
	src->role_arn = a->role_arn;
	src->external_id = a->external_id;
	src->session_name = a->session_name;
	src->duration_s = a->duration_s;
}

/* aws_credentials: puts into conn->aws->live the credentials to sign with;
 * fresh ones when renew is set (after the old ones were refused). */
static enum err aws_credentials(struct upstream *u, const struct conn *conn,
				int renew, struct errinfo *ei)
{
	struct creds_source src;

	aws_source(conn, &src);
	if (renew)
		creds_forget(u->creds, &src);
	creds_clear(&conn->aws->live);
	return creds_get(u->creds, &src, conn->aws->fresh, conn->timeout_ms,
			 &conn->aws->live, ei);
}

enum err upstream_run(struct upstream *u, const struct conn *conn,
		      struct upstream_call *calls, size_t n,
		      struct errinfo *ei)
{
	double t0 = now_seconds();
	enum err rc;

	if (ei)
		ei->upstream_status = 0;
	rc = upstream_allowed(u, conn->url, ei);
	if (rc || n == 0)
		goto out;
	if (conn->aws) {
		rc = aws_credentials(u, conn, 0, ei);
		if (rc)
			goto out;
	}
	rc = run_once(u, conn, calls, n, ei);
	/* Credentials from the cache can expire early (revoked, clock skew):
	 * renewed once when the upstream says so (spec 3.1). */
	if (!rc && conn->aws && !conn->aws->fresh && conn->aws->live.temporary &&
	    token_expired(calls, n)) {
		log_msg(LOG_INFO, "AWS credentials %s refused as expired; "
			"renewing them once", conn->aws->live.key_id);
		rc = aws_credentials(u, conn, 1, ei);
		if (!rc)
			rc = run_once(u, conn, calls, n, ei);
	}
out:
	u->seconds += now_seconds() - t0;
	return rc;
}
