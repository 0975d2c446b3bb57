#!/usr/bin/python3
"""Loopback stand-ins for the AWS endpoints prometheus-mirror talks to.

One process, four HTTP/1.1 servers on 127.0.0.1 (kernel-chosen ports):

  verifier  AMP front door: checks the SigV4 signature with botocore, then
            forwards the request to a real Prometheus (--upstream).
  sts       STS AssumeRole (signed) and AssumeRoleWithWebIdentity (unsigned),
            JSON protocol only.
  ecs       ECS container credentials endpoint.
  imds      EC2 instance metadata service, IMDSv2 (session tokens) only.

Usage:
  aws-fake.py --config CONFIG.json --upstream http://127.0.0.1:PORT \
              --ports-file PORTS.json [--log LOG.jsonl] [--expiry SECONDS] \
              [--region eu-west-1] [--verbose]

PORTS.json is written atomically once all four servers listen:
  {"verifier": P1, "sts": P2, "ecs": P3, "imds": P4}
GET /_fake/stats on any server returns counters (never secrets or tokens).
POST /_fake/expire-issued makes every credential issued so far expire at
once (a token revoked before its Expiration), for the renewal test.
SIGTERM / SIGINT stop the process with exit status 0.

Must run with Debian's /usr/bin/python3 (python3-botocore); standard
library and botocore only.
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    from botocore.compat import HTTPHeaders
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("aws-fake: botocore is required (run with /usr/bin/python3): %s\n" % exc)
    sys.exit(2)


MAX_BODY = 16 * 1024 * 1024
CLOCK_SKEW = 300
STS_VERSION = "2011-06-15"
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
HEADER_NAME_RE = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]*$", re.ASCII)
HOST_RE = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")
WORKSPACE_RE = re.compile(r"^/workspaces/([A-Za-z0-9._-]+)(/.*)$", re.DOTALL)
ID_ALPHABET = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

MSG_INVALID_TOKEN = "The security token included in the request is invalid."
MSG_EXPIRED = "The security token included in the request is expired"
MSG_MISMATCH = ("The request signature we calculated does not match the signature "
                "you provided. Check your AWS Secret Access Key and signing method. "
                "Consult the service documentation for details.")

# Rejection kind -> (AMP status, AMP x-amzn-ErrorType, STS status, STS code)
SIG_ERRORS = {
    "missing_auth": (403, "MissingAuthenticationTokenException", 403, "MissingAuthenticationToken"),
    "bad_auth_header": (403, "IncompleteSignatureException", 400, "IncompleteSignature"),
    "missing_date": (403, "IncompleteSignatureException", 400, "IncompleteSignature"),
    "unknown_key": (403, "UnrecognizedClientException", 403, "InvalidClientTokenId"),
    "bad_token": (403, "UnrecognizedClientException", 403, "InvalidClientTokenId"),
    "expired": (403, "ExpiredTokenException", 400, "ExpiredToken"),
    "bad_region": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
    "bad_service": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
    "bad_scope_date": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
    "clock_skew": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
    "unsigned_required_header": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
    "content_sha256_mismatch": (400, "XAmzContentSHA256Mismatch", 400, "XAmzContentSHA256Mismatch"),
    "signature_mismatch": (403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
}


class SigError(Exception):
    """A SigV4 verification failure: kind (see SIG_ERRORS) and message."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message


class _ReceivedHeadersSigV4(botocore.auth.SigV4Auth):
    """botocore's SigV4 computation, fed exactly the headers the client signed.

    Stock SigV4Auth.headers_to_sign() drops 'user-agent', 'expect' and
    'x-amzn-trace-id' (SIGNED_HEADERS_BLACKLIST) and would invent a 'host'
    header from the URL.  Only signed headers are placed in the request we
    build, so use all of them, lower-cased, every value in received order.
    Everything else (canonical path/query/headers, payload hash, string to
    sign, key derivation) is botocore's own code.
    """

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map


def now():
    return time.time()


def iso8601(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def amz_stamp(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def java_double(value):
    """Render an integer the way Java's Double.toString does (1.7723232E9)."""
    value = int(value)
    if value == 0:
        return "0.0"
    neg = value < 0
    digits = str(abs(value))
    if abs(value) < 10 ** 7:
        text = digits + ".0"
    else:
        exponent = len(digits) - 1
        significant = digits.rstrip("0")
        text = "%s.%sE%d" % (significant[0], significant[1:] or "0", exponent)
    return ("-" + text) if neg else text


def safe_equal(a, b):
    if a is None or b is None:
        return False
    if isinstance(a, str):
        a = a.encode("utf-8", "surrogateescape")
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(a, b)


def gen_key_id():
    return "ASIA" + "".join(secrets.choice(ID_ALPHABET) for _ in range(16))


def gen_role_id():
    return "AROA" + "".join(secrets.choice(ID_ALPHABET) for _ in range(17))


def gen_secret():
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))


def gen_token():
    # Real session tokens are base64 and start with "IQoJb3JpZ2luX2Vj".
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(213)).decode("ascii")


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"))


class State:
    """Configuration plus everything shared by the four servers."""

    def __init__(self, config, args):
        self.lock = threading.Lock()
        self.args = args
        self.region = args.region
        self.expiry = int(args.expiry)
        self.account = str(config.get("account", "123456789012"))
        self.users = {}
        for u in config.get("users", []) or []:
            self.users[str(u["key_id"])] = {
                "secret": str(u["secret"]),
                "name": str(u.get("name", "user")),
                "arn": "arn:aws:iam::%s:user/%s" % (self.account, u.get("name", "user")),
            }
        self.sessions = {}
        for s in config.get("sessions", []) or []:
            self.sessions[str(s["key_id"])] = {
                "secret": str(s["secret"]),
                "token": str(s["token"]),
                "expires": float(s.get("expires", 0)),
                "source": "config",
                "arn": str(s.get("arn") or "arn:aws:sts::%s:assumed-role/preissued/%s"
                           % (self.account, s["key_id"])),
            }
        self.roles = {}
        for r in config.get("roles", []) or []:
            self.roles[str(r["arn"])] = r
        self.ecs = config.get("ecs") or {}
        self.imds = config.get("imds") or {}
        self.imds_role = str(self.imds.get("role", "mirror-instance-role"))
        self.issued = {}
        self.imds_tokens = {}
        self.stats = {
            "assume_role": 0,
            "assume_role_ok": 0,
            "web_identity": 0,
            "web_identity_ok": 0,
            "ecs_ok": 0,
            "imds_ok": 0,
            "verified": 0,
            "sts_verified": 0,
            "forwarded": 0,
            "rejected": {},
            "issued": [],
            "verified_keys": {},
        }
        self.log_file = None
        if args.log:
            self.log_file = open(args.log, "a", encoding="utf-8")

    # -- credentials -------------------------------------------------------

    def lookup(self, key_id):
        """Return (kind, entry-copy) for a key id, or (None, None)."""
        with self.lock:
            if key_id in self.users:
                return "user", dict(self.users[key_id])
            if key_id in self.sessions:
                return "session", dict(self.sessions[key_id])
            if key_id in self.issued:
                return "issued", dict(self.issued[key_id])
        return None, None

    def issue(self, source, arn, lifetime):
        """Create a temporary credential; expiry rounded to whole seconds."""
        lifetime = max(1, int(lifetime))
        expires = int(now()) + lifetime
        cred = {
            "key_id": gen_key_id(),
            "secret": gen_secret(),
            "token": gen_token(),
            "expires": expires,
            "source": source,
            "arn": arn,
        }
        with self.lock:
            self.issued[cred["key_id"]] = {k: v for k, v in cred.items() if k != "key_id"}
            self.stats["issued"].append(
                {"key_id": cred["key_id"], "source": source, "expires": expires})
        return cred

    def expire_issued(self):
        """Revoke early: every credential handed out so far expires now, as
        when AWS refuses a session token before its Expiration.  Returns
        how many."""
        with self.lock:
            for cred in self.issued.values():
                cred["expires"] = min(cred["expires"], now() - 1)
            return len(self.issued)

    # -- counters / log ----------------------------------------------------

    def count(self, name, delta=1):
        with self.lock:
            self.stats[name] = self.stats.get(name, 0) + delta

    def reject(self, reason):
        with self.lock:
            rej = self.stats["rejected"]
            rej[reason] = rej.get(reason, 0) + 1

    def verified_key(self, key_id):
        with self.lock:
            self.stats["verified"] += 1
            vk = self.stats["verified_keys"]
            vk[key_id] = vk.get(key_id, 0) + 1

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.stats))

    def log(self, record):
        if self.log_file is None:
            return
        line = jdump(record) + "\n"
        with self.lock:
            try:
                self.log_file.write(line)
                self.log_file.flush()
            except (OSError, ValueError):
                pass


# ---------------------------------------------------------------------------
# SigV4 verification (shared by the verifier and STS)
# ---------------------------------------------------------------------------

def parse_authorization(value):
    """Split an AWS4-HMAC-SHA256 Authorization header; raise SigError."""
    value = value.strip()
    algo, _, rest = value.partition(" ")
    if algo != "AWS4-HMAC-SHA256":
        raise SigError("bad_auth_header",
                       "Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
    fields = {}
    for part in rest.split(","):
        part = part.strip()
        name, eq, val = part.partition("=")
        if not eq or name not in ("Credential", "SignedHeaders", "Signature") \
                or name in fields or not val:
            raise SigError("bad_auth_header",
                           "Authorization header requires 'Credential', 'SignedHeaders' "
                           "and 'Signature' parameters.")
        fields[name] = val
    if len(fields) != 3:
        raise SigError("bad_auth_header",
                       "Authorization header requires 'Credential', 'SignedHeaders' "
                       "and 'Signature' parameters.")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise SigError("bad_auth_header",
                       "Credential should be of the form "
                       "<key>/<date>/<region>/<service>/aws4_request.")
    signed = fields["SignedHeaders"].split(";")
    if not all(HEADER_NAME_RE.match(h) for h in signed):
        raise SigError("bad_auth_header", "SignedHeaders is malformed.")
    signature = fields["Signature"]
    if not re.match(r"^[0-9a-f]{64}$", signature):
        raise SigError("bad_auth_header", "Signature is malformed.")
    return {
        "key_id": scope[0], "date": scope[1], "region": scope[2],
        "service": scope[3], "signed": signed, "signature": signature,
    }


def verify_sigv4(state, handler, path, query, body, service, ctx):
    """Verify the request in handler; return (kind, cred) or raise SigError.

    ctx["key_id"] is filled as soon as the credential is parsed (for logs).
    """
    headers = handler.headers
    auth_values = headers.get_all("Authorization") or []
    if not auth_values:
        raise SigError("missing_auth", "Missing Authentication Token")
    if len(auth_values) != 1:
        raise SigError("bad_auth_header", "Only one Authorization header is allowed.")
    auth = parse_authorization(auth_values[0])
    key_id = auth["key_id"]
    ctx["key_id"] = key_id

    kind, cred = state.lookup(key_id)
    if kind is None:
        raise SigError("unknown_key", MSG_INVALID_TOKEN)
    tokens = headers.get_all("X-Amz-Security-Token") or []
    if kind == "user":
        if tokens:
            # A long-term key never carries a session token.
            raise SigError("bad_token", MSG_INVALID_TOKEN)
    else:
        if len(tokens) != 1 or "x-amz-security-token" not in auth["signed"] \
                or not safe_equal(tokens[0], cred["token"]):
            raise SigError("bad_token", MSG_INVALID_TOKEN)
        if cred["expires"] <= now():
            raise SigError("expired", MSG_EXPIRED)

    if auth["region"] != state.region:
        raise SigError("bad_region", "Credential should be scoped to a valid region. ")
    if auth["service"] != service:
        raise SigError("bad_service",
                       "Credential should be scoped to correct service: '%s'. " % service)

    for required, label in (("host", "Host"), ("x-amz-date", "X-Amz-Date")):
        if required not in auth["signed"]:
            raise SigError("unsigned_required_header",
                           "'%s' must be a 'SignedHeader' in the AWS Authorization." % label)

    dates = headers.get_all("X-Amz-Date") or []
    if len(dates) != 1 or not AMZ_DATE_RE.match(dates[0].strip()):
        raise SigError("missing_date",
                       "Authorization header requires existence of a valid 'X-Amz-Date' header.")
    amz_date = dates[0].strip()
    try:
        ts = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise SigError("missing_date", "X-Amz-Date is not a valid ISO 8601 basic timestamp.")
    if auth["date"] != amz_date[:8]:
        raise SigError("bad_scope_date",
                       "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                       "version of date from HTTP: '%s' != '%s', from '%s'."
                       % (auth["date"], amz_date[:8], amz_date))
    t = now()
    if ts < t - CLOCK_SKEW:
        raise SigError("clock_skew",
                       "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                       % (amz_date, amz_stamp(t - CLOCK_SKEW), amz_stamp(t)))
    if ts > t + CLOCK_SKEW:
        raise SigError("clock_skew",
                       "Signature not yet current: %s is still later than %s (%s + 5 min.)"
                       % (amz_date, amz_stamp(t + CLOCK_SKEW), amz_stamp(t)))

    sha_values = headers.get_all("X-Amz-Content-SHA256") or []
    if sha_values:
        if len(sha_values) != 1 or not safe_equal(
                sha_values[0].strip().lower(), hashlib.sha256(body).hexdigest()):
            raise SigError("content_sha256_mismatch",
                           "The provided 'x-amz-content-sha256' header does not match "
                           "what was computed.")

    hosts = headers.get_all("Host") or []
    if len(hosts) != 1 or not HOST_RE.match(hosts[0].strip()):
        raise SigError("signature_mismatch", MSG_MISMATCH)
    if "#" in path or not path.startswith("/"):
        raise SigError("signature_mismatch", MSG_MISMATCH)

    # Only the signed headers, with every received value, in received order.
    req = botocore.awsrequest.AWSRequest(
        method=handler.command,
        url="http://" + hosts[0].strip() + path,
        data=body,
    )
    for name in auth["signed"]:
        for value in headers.get_all(name) or []:
            req.headers[name] = value
    req.params = [(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)]
    req.context["timestamp"] = amz_date
    signer = _ReceivedHeadersSigV4(
        botocore.credentials.Credentials(key_id, cred["secret"], cred.get("token")),
        service, state.region)
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    expected = signer.signature(string_to_sign, req)
    if state.args.verbose:
        sys.stderr.write("aws-fake: canonical request:\n%s\n" % canonical)
    if not safe_equal(expected, auth["signature"]):
        raise SigError("signature_mismatch", MSG_MISMATCH)
    return kind, cred


# ---------------------------------------------------------------------------
# Common handler machinery
# ---------------------------------------------------------------------------

class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-fake/1.0"
    sys_version = ""
    timeout = 120
    server_name = "?"
    state = None  # set on subclasses

    def log_message(self, fmt, *args):  # noqa: N802 - stdlib name
        if self.state is not None and self.state.args.verbose:
            sys.stderr.write("aws-fake[%s] %s - %s\n"
                             % (self.server_name, self.address_string(), fmt % args))

    # All methods go through one dispatcher.
    def do_GET(self):  # noqa: N802
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self):
        self.ctx = {"status": None, "reason": "ok", "key_id": None}
        self.responded = False
        path, _, query = self.path.partition("?")
        self.req_path = path
        try:
            body = self.read_body()
            if body is None:
                return
            if path == "/_fake/stats" and self.command == "GET":
                self.send_json(200, self.state.snapshot())
                return
            if path == "/_fake/expire-issued" and self.command == "POST":
                self.send_json(200, {"expired": self.state.expire_issued()})
                return
            self.handle_request(path, query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.ctx["reason"] = "client_disconnected"
        except Exception as exc:  # never let a request kill the thread
            self.ctx["reason"] = "exception:%s" % type(exc).__name__
            if self.state.args.verbose:
                traceback.print_exc()
            if not self.responded:
                try:
                    self.close_connection = True
                    self.send_json(500, {"message": "internal error in aws-fake: %s"
                                         % type(exc).__name__},
                                   reason=self.ctx["reason"])
                except Exception:
                    pass
            else:
                self.close_connection = True
        finally:
            if self.ctx["reason"] != "ok" and self.ctx["status"] is not None \
                    and self.ctx["status"] >= 400:
                self.state.reject(self.ctx["reason"])
            self.state.log({
                "t": round(now(), 3),
                "server": self.server_name,
                "method": self.command,
                "path": path,
                "status": self.ctx["status"],
                "reason": self.ctx["reason"],
                "key_id": self.ctx["key_id"],
            })

    def read_body(self):
        """Read a Content-Length-delimited body; None if already answered."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self.send_json(411, {"message": "Content-Length required (no chunked bodies)"},
                           reason="length_required")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(v.strip() for v in lengths)) != 1 or not lengths[0].strip().isdigit():
            self.close_connection = True
            self.send_json(400, {"message": "invalid Content-Length"},
                           reason="bad_content_length")
            return None
        n = int(lengths[0].strip())
        if n > MAX_BODY:
            self.close_connection = True
            self.send_json(413, {"message": "request body too large (max %d bytes)" % MAX_BODY},
                           reason="body_too_large")
            return None
        body = self.rfile.read(n) if n else b""
        if len(body) != n:
            self.close_connection = True
            self.ctx["reason"] = "short_body"
            self.responded = True  # client is gone; nothing to answer
            return None
        return body

    def send_raw(self, status, body, content_type, headers=None, reason=None):
        if reason is not None:
            self.ctx["reason"] = reason
        self.ctx["status"] = status
        self.responded = True
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        no_body = status in (204, 304) or 100 <= status < 200
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and not no_body and body:
            self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj, headers=None, reason=None):
        body = obj if isinstance(obj, (bytes, bytearray)) else jdump(obj).encode("utf-8")
        self.send_raw(status, bytes(body), "application/json", headers, reason)

    def send_text(self, status, text, headers=None, reason=None):
        self.send_raw(status, text.encode("utf-8"), "text/plain", headers, reason)

    def handle_request(self, path, query, body):  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------------------
# AMP front door
# ---------------------------------------------------------------------------

class VerifierHandler(BaseHandler):
    server_name = "verifier"
    forward_headers = ("Content-Type", "Content-Encoding",
                       "X-Prometheus-Remote-Write-Version", "User-Agent")

    def amp_error(self, status, error_type, message, reason):
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if error_type:
            headers["x-amzn-ErrorType"] = error_type
        self.send_json(status, {"message": message}, headers=headers, reason=reason)

    def handle_request(self, path, query, body):
        m = WORKSPACE_RE.match(path)
        if not m:
            self.amp_error(404, "NotFoundException", "Not Found", "not_found")
            return
        try:
            verify_sigv4(self.state, self, path, query, body, "aps", self.ctx)
        except SigError as err:
            status, etype, _, _ = SIG_ERRORS[err.kind]
            self.amp_error(status, etype, err.message, err.kind)
            return
        self.state.verified_key(self.ctx["key_id"])

        rest = m.group(2)
        if rest == "/api/v1/remote_write":
            rest = "/api/v1/write"
        self.forward(rest, query, body)

    def forward(self, rest, query, body):
        up = self.state.upstream
        target = up["prefix"] + rest + ("?" + query if query else "")
        fwd = {}
        for name in self.forward_headers:
            value = self.headers.get(name)
            if value is not None:
                fwd[name] = value
        conn = http.client.HTTPConnection(up["host"], up["port"], timeout=120)
        try:
            send_body = body if (body or self.command in ("POST", "PUT", "PATCH")) else None
            conn.request(self.command, target, body=send_body, headers=fwd)
            resp = conn.getresponse()
            data = resp.read()
            ctype = resp.getheader("Content-Type")
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            self.amp_error(502, "InternalServerException",
                           "upstream Prometheus unreachable: %s" % type(exc).__name__,
                           "upstream_error")
            return
        finally:
            conn.close()
        self.state.count("forwarded")
        self.send_raw(status, data, ctype, {"x-amzn-RequestId": str(uuid.uuid4())},
                      reason="ok")


# ---------------------------------------------------------------------------
# STS
# ---------------------------------------------------------------------------

class StsHandler(BaseHandler):
    server_name = "sts"

    def sts_error(self, status, code, message, reason, sender=True):
        rid = str(uuid.uuid4())
        self.send_json(status, {
            "Error": {"Code": code, "Message": message,
                      "Type": "Sender" if sender else "Receiver"},
            "RequestId": rid,
        }, headers={"x-amzn-RequestId": rid}, reason=reason)

    def sts_xml_error(self, status, code, message, reason):
        rid = str(uuid.uuid4())
        esc = (message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
               '  <Error>\n    <Type>Sender</Type>\n    <Code>%s</Code>\n'
               '    <Message>%s</Message>\n  </Error>\n'
               '  <RequestId>%s</RequestId>\n</ErrorResponse>\n') % (code, esc, rid)
        self.send_raw(status, xml.encode("utf-8"), "text/xml",
                      {"x-amzn-RequestId": rid}, reason=reason)

    def validation(self, message):
        self.sts_error(400, "ValidationError", message, "validation")

    def handle_request(self, path, query, body):
        if path != "/":
            self.sts_error(404, "NotFound", "fake STS serves only POST /", "not_found")
            return
        if self.command != "POST":
            self.sts_error(400, "InvalidRequest",
                           "fake STS accepts only POST with a form-encoded body",
                           "bad_method")
            return
        accept = self.headers.get("Accept") or ""
        if "application/json" not in accept.lower():
            self.sts_xml_error(400, "InvalidRequest",
                               "fake STS: expected JSON: the request must carry "
                               "'Accept: application/json' (got %r)" % accept[:100],
                               "not_json")
            return
        ctype = (self.headers.get("Content-Type") or "").lower()
        if not ctype.startswith("application/x-www-form-urlencoded"):
            self.sts_error(400, "InvalidRequest",
                           "Content-Type must be application/x-www-form-urlencoded",
                           "bad_content_type")
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self.sts_error(400, "MalformedInput", "request body is not UTF-8",
                           "bad_body")
            return
        params = {}
        for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
            params.setdefault(k, v)
        action = params.get("Action")
        if action == "AssumeRole":
            self.state.count("assume_role")
            self.assume_role(path, query, body, params)
        elif action == "AssumeRoleWithWebIdentity":
            self.state.count("web_identity")
            self.assume_role_web_identity(params)
        else:
            self.sts_error(400, "InvalidAction",
                           "Could not find operation %s for version %s"
                           % (str(action)[:64], str(params.get("Version"))[:32]),
                           "invalid_action")

    # -- shared parameter checks -------------------------------------------

    def check_version(self, params):
        if params.get("Version") != STS_VERSION:
            self.sts_error(400, "InvalidAction",
                           "Could not find operation %s for version %s"
                           % (params.get("Action"), str(params.get("Version"))[:32]),
                           "bad_version")
            return False
        return True

    def check_common(self, params, max_duration, chained=False):
        """RoleArn/RoleSessionName/DurationSeconds; returns duration or None."""
        if not params.get("RoleArn"):
            self.validation("1 validation error detected: Value null at 'roleArn' failed "
                            "to satisfy constraint: Member must not be null")
            return None
        if len(params["RoleArn"]) < 20 or len(params["RoleArn"]) > 2048:
            self.validation("1 validation error detected: Value at 'roleArn' failed to "
                            "satisfy constraint: Member must have length between 20 and 2048")
            return None
        name = params.get("RoleSessionName")
        if name is None:
            self.validation("1 validation error detected: Value null at 'roleSessionName' "
                            "failed to satisfy constraint: Member must not be null")
            return None
        if not (2 <= len(name) <= 64):
            self.validation("1 validation error detected: Value '%s' at 'roleSessionName' "
                            "failed to satisfy constraint: Member must have length "
                            "%s" % (name[:80], "greater than or equal to 2" if len(name) < 2
                                    else "less than or equal to 64"))
            return None
        if not SESSION_NAME_RE.match(name):
            self.validation("1 validation error detected: Value '%s' at 'roleSessionName' "
                            "failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [\\w+=,.@-]*" % name)
            return None
        duration = 3600
        if "DurationSeconds" in params:
            raw = params["DurationSeconds"]
            if not re.match(r"^-?\d{1,10}$", raw):
                self.validation("1 validation error detected: Value '%s' at "
                                "'durationSeconds' failed to satisfy constraint: Member "
                                "must be an integer" % raw[:32])
                return None
            duration = int(raw)
            if duration < 900:
                self.validation("1 validation error detected: Value '%d' at "
                                "'durationSeconds' failed to satisfy constraint: Member "
                                "must have value greater than or equal to 900" % duration)
                return None
            if duration > 43200:
                self.validation("1 validation error detected: Value '%d' at "
                                "'durationSeconds' failed to satisfy constraint: Member "
                                "must have value less than or equal to 43200" % duration)
                return None
            if duration > max_duration:
                if chained and max_duration == 3600:
                    self.validation("The requested DurationSeconds exceeds the 1 hour "
                                    "session limit for roles assumed by role chaining.")
                else:
                    self.validation("The requested DurationSeconds exceeds the "
                                    "MaxSessionDuration set for this role.")
                return None
        return duration

    def success(self, action, role_arn, session, duration, source, extra=None):
        state = self.state
        role_name = role_arn.rsplit("/", 1)[-1]
        assumed_arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (state.account, role_name, session)
        lifetime = min(duration, state.expiry)
        cred = state.issue(source, assumed_arn, lifetime)
        result = {
            "AssumedRoleUser": {
                "Arn": assumed_arn,
                "AssumedRoleId": "%s:%s" % (self._role_id(role_arn), session),
            },
            "Credentials": {
                "AccessKeyId": cred["key_id"],
                "Expiration": "@@EXPIRATION@@",
                "SecretAccessKey": cred["secret"],
                "SessionToken": cred["token"],
            },
            "PackedPolicySize": None,
            "SourceIdentity": None,
        }
        if extra:
            result.update(extra)
            result = dict(sorted(result.items()))
        rid = str(uuid.uuid4())
        doc = {action + "Response": {action + "Result": result,
                                     "ResponseMetadata": {"RequestId": rid}}}
        text = jdump(doc).replace('"@@EXPIRATION@@"', java_double(cred["expires"]))
        self.send_json(200, text.encode("utf-8"), headers={"x-amzn-RequestId": rid},
                       reason="ok")
        return cred

    def _role_id(self, role_arn):
        # Stable per role: "AROA" + 17 chars derived from the ARN.
        digest = hashlib.sha256(role_arn.encode("utf-8")).digest()
        return "AROA" + "".join(ID_ALPHABET[b % len(ID_ALPHABET)] for b in digest[:17])

    # -- actions -----------------------------------------------------------

    def assume_role(self, path, query, body, params):
        state = self.state
        try:
            kind, caller = verify_sigv4(state, self, path, query, body, "sts", self.ctx)
        except SigError as err:
            _, _, status, code = SIG_ERRORS[err.kind]
            self.sts_error(status, code, err.message, err.kind)
            return
        state.count("sts_verified")
        if not self.check_version(params):
            return
        role_arn = params.get("RoleArn") or ""
        role = state.roles.get(role_arn)
        # Role chaining (temporary caller credentials) is capped at one hour.
        chained = kind != "user"
        max_duration = int((role or {}).get("max_session_duration", 43200))
        if chained:
            max_duration = min(max_duration, 3600)
        duration = self.check_common(params, max_duration, chained)
        if duration is None:
            return
        denied = ("User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                  % (caller["arn"], role_arn))
        if role is None:
            self.sts_error(403, "AccessDenied", denied, "access_denied")
            return
        if role.get("external_id") is not None:
            if not safe_equal(params.get("ExternalId"), str(role["external_id"])):
                self.sts_error(403, "AccessDenied", denied, "access_denied")
                return
        self.success("AssumeRole", role_arn, params["RoleSessionName"], duration,
                     "sts:AssumeRole")
        state.count("assume_role_ok")

    def assume_role_web_identity(self, params):
        state = self.state
        if not self.check_version(params):
            return
        role_arn = params.get("RoleArn") or ""
        role = state.roles.get(role_arn)
        max_duration = int((role or {}).get("max_session_duration", 43200))
        duration = self.check_common(params, max_duration)
        if duration is None:
            return
        token = params.get("WebIdentityToken")
        if not token:
            self.validation("1 validation error detected: Value null at 'webIdentityToken' "
                            "failed to satisfy constraint: Member must not be null")
            return
        if len(token) < 4 or len(token) > 20000:
            self.validation("1 validation error detected: Value at 'webIdentityToken' "
                            "failed to satisfy constraint: Member must have length between "
                            "4 and 20000")
            return
        if role is None or role.get("web_identity_token") is None:
            self.sts_error(403, "AccessDenied",
                           "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                           "access_denied")
            return
        if not safe_equal(token, str(role["web_identity_token"])):
            self.sts_error(400, "InvalidIdentityToken", "Incorrect token audience",
                           "bad_web_identity")
            return
        extra = {
            "Audience": "sts.amazonaws.com",
            "Provider": "arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/"
                        "FAKE0123456789ABCDEF0123456789AB" % (state.account, state.region),
            "SubjectFromWebIdentityToken": str(role.get("subject",
                                                        "system:serviceaccount:ns:sa")),
        }
        cred = self.success("AssumeRoleWithWebIdentity", role_arn, params["RoleSessionName"],
                            duration, "sts:AssumeRoleWithWebIdentity", extra)
        self.ctx["key_id"] = cred["key_id"]
        state.count("web_identity_ok")


# ---------------------------------------------------------------------------
# ECS container credentials
# ---------------------------------------------------------------------------

class EcsHandler(BaseHandler):
    server_name = "ecs"

    def handle_request(self, path, query, body):
        state = self.state
        want_path = state.ecs.get("path")
        if not want_path or path != want_path:
            self.send_json(404, {"code": "NotFound", "message": "no credentials at this path"},
                           reason="not_found")
            return
        if self.command != "GET":
            self.send_json(405, {"code": "MethodNotAllowed", "message": "GET only"},
                           headers={"Allow": "GET"}, reason="bad_method")
            return
        want_auth = state.ecs.get("authorization")
        if want_auth is not None:
            got = self.headers.get_all("Authorization") or []
            if not got:
                self.send_json(401, {"code": "NoAuthorizationToken",
                                     "message": "Authorization header is missing"},
                               reason="ecs_missing_auth")
                return
            if len(got) != 1 or not safe_equal(got[0], str(want_auth)):
                self.send_json(403, {"code": "InvalidAuthorizationToken",
                                     "message": "Authorization token is not valid"},
                               reason="ecs_bad_auth")
                return
        role_arn = str(state.ecs.get("role_arn")
                       or "arn:aws:iam::%s:role/ecs-task" % state.account)
        cred = state.issue("ecs", "arn:aws:sts::%s:assumed-role/%s/ecs-task-session"
                           % (state.account, role_arn.rsplit("/", 1)[-1]), state.expiry)
        self.ctx["key_id"] = cred["key_id"]
        self.send_json(200, {
            "AccessKeyId": cred["key_id"],
            "SecretAccessKey": cred["secret"],
            "Token": cred["token"],
            "Expiration": iso8601(cred["expires"]),
            "RoleArn": role_arn,
        }, reason="ok")
        state.count("ecs_ok")


# ---------------------------------------------------------------------------
# EC2 instance metadata (IMDSv2)
# ---------------------------------------------------------------------------

class ImdsHandler(BaseHandler):
    server_name = "imds"
    TOKEN_PATH = "/latest/api/token"
    CREDS_PATH = "/latest/meta-data/iam/security-credentials"

    def handle_request(self, path, query, body):
        state = self.state
        if self.command == "PUT":
            if path != self.TOKEN_PATH:
                self.send_text(404, "Not Found", reason="not_found")
                return
            if self.headers.get("X-Forwarded-For") is not None:
                self.send_text(403, "Forbidden", reason="imds_forwarded")
                return
            ttl_values = self.headers.get_all("X-aws-ec2-metadata-token-ttl-seconds") or []
            if not ttl_values:
                self.send_text(400, "Bad Request", reason="imds_missing_ttl")
                return
            raw = ttl_values[0].strip()
            if len(ttl_values) != 1 or not raw.isdigit() or not 1 <= int(raw) <= 21600:
                self.send_text(400, "Bad Request", reason="imds_bad_ttl")
                return
            ttl = int(raw)
            token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode("ascii")
            with state.lock:
                t = now()
                for old in [k for k, exp in state.imds_tokens.items() if exp <= t]:
                    del state.imds_tokens[old]
                state.imds_tokens[token] = t + ttl
            self.send_text(200, token, headers={"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)},
                           reason="ok")
            return
        if self.command not in ("GET", "HEAD"):
            self.send_text(405, "Method Not Allowed", headers={"Allow": "GET, HEAD, PUT"},
                           reason="bad_method")
            return
        tokens = self.headers.get_all("X-aws-ec2-metadata-token") or []
        valid = False
        if len(tokens) == 1:
            with state.lock:
                exp = None
                for known, known_exp in state.imds_tokens.items():
                    if safe_equal(tokens[0].strip(), known):
                        exp = known_exp
                valid = exp is not None and exp > now()
        if not valid:
            self.send_text(401, "Unauthorized",
                           reason="imds_missing_token" if not tokens else "imds_bad_token")
            return
        if path in (self.CREDS_PATH, self.CREDS_PATH + "/"):
            self.send_text(200, state.imds_role, reason="ok")
            return
        if path == self.CREDS_PATH + "/" + state.imds_role:
            cred = state.issue("imds", "arn:aws:sts::%s:assumed-role/%s/i-0fa4e1c0ffee12345"
                               % (state.account, state.imds_role), state.expiry)
            self.ctx["key_id"] = cred["key_id"]
            doc = {
                "Code": "Success",
                "LastUpdated": iso8601(now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": cred["key_id"],
                "SecretAccessKey": cred["secret"],
                "Token": cred["token"],
                "Expiration": iso8601(cred["expires"]),
            }
            # IMDS answers with text/plain even for this JSON document.
            self.send_raw(200, json.dumps(doc, indent=2).encode("utf-8"), "text/plain",
                          reason="ok")
            state.count("imds_ok")
            return
        self.send_text(404, "Not Found", reason="not_found")


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def parse_upstream(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError("--upstream must be an http:// URL")
    return {"host": parts.hostname, "port": parts.port or 80,
            "prefix": parts.path.rstrip("/")}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake AMP/STS/ECS/IMDS endpoints for tests")
    ap.add_argument("--config", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--ports-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--expiry", type=int, default=3600)
    ap.add_argument("--region", default="eu-west-1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.expiry < 1:
        ap.error("--expiry must be >= 1")

    try:
        with open(args.config, encoding="utf-8") as f:
            config = json.load(f)
        state = State(config, args)
        state.upstream = parse_upstream(args.upstream)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.stderr.write("aws-fake: bad configuration: %s: %s\n" % (type(exc).__name__, exc))
        return 2

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    servers = {}
    for name, cls in (("verifier", VerifierHandler), ("sts", StsHandler),
                      ("ecs", EcsHandler), ("imds", ImdsHandler)):
        handler = type(cls.__name__ + "Bound", (cls,), {"state": state})
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        servers[name] = srv

    threads = []
    for name, srv in servers.items():
        t = threading.Thread(target=srv.serve_forever, name="aws-fake-" + name,
                             kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        threads.append(t)

    ports = {name: srv.server_address[1] for name, srv in servers.items()}
    tmp = "%s.tmp.%d" % (args.ports_file, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(ports, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, args.ports_file)
    if args.verbose:
        sys.stderr.write("aws-fake: listening %s\n" % jdump(ports))

    while not stop.wait(0.5):
        pass

    for srv in servers.values():
        srv.shutdown()
        srv.server_close()
    if state.log_file is not None:
        with state.lock:
            state.log_file.close()
            state.log_file = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
