"""The bad-input catalogue: every kind of bad request the project knows, for both apps.

Categories (each a function returning :class:`Case` objects):
- ``methods``: every method on every path of both apps, anonymous and with real credentials;
- ``json``: broken JSON, wrong types, hostile numbers, deep nesting, bad encodings and wrong
  content types on every route that takes a body;
- ``forms``: broken urlencoded and multipart bodies on the HTML form routes;
- ``framing``: oversized bodies (declared and chunked), broken chunked framing, lying or
  conflicting Content-Length / Transfer-Encoding;
- ``encodings``: bad percent-escapes, raw and overlong bytes, traversal, huge values in paths
  and query strings;
- ``headers``: a huge header, thousands of headers, broken header lines, garbage in the headers
  the apps read;
- ``cookies``: malformed, huge, duplicated and forged cookies;
- ``tokens``: bad, expired, foreign, forged and swapped tokens and passes wherever one is read.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from loadtests.bad_input_context import BODY_METHODS, Context, RouteInfo
from loadtests.raw_http import request_head
from waitroom.connector import session_cookie_name
from waitroom.fan.cookies import VISITOR_COOKIE, position_cookie_name

METHODS = (
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "BREW",
)
CHUNK_BYTES = 64 * 1024
OVERSIZED_BYTES = 64 * 1024
"""Twice the waiting room's 32 KB body limit, and far more header than any client needs."""
POSITION_SALT, PASS_SALT = "waitroom.position", "waitroom.pass"


@dataclass(frozen=True)
class Sizes:
    """How big the big cases are: the test suite's short form keeps them small."""

    body_bytes: int = 50 * 1024 * 1024
    header_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    category: str
    target: str
    """``waitroom`` or ``shop``."""
    label: str
    head: bytes
    body: Callable[[], Iterable[bytes]] = field(default=lambda: ())
    path: str = ""
    timeout_seconds: float = 10.0
    oversized: bool = False
    """Head or body over OVERSIZED_BYTES: a server with size limits refuses it."""


def _fill(template: str, values: dict[str, str], override: dict[str, str] | None = None) -> str:
    path = template
    for name, value in {**values, **(override or {})}.items():
        path = path.replace("{" + name + "}", value)
    return path


def _case(
    category: str, target: str, label: str, method: str, path: str | bytes,
    headers: Iterable[tuple[bytes, bytes]] = (), body: bytes | None = None,
    content_type: bytes | None = None, host: str = "", timeout_seconds: float = 10.0,
) -> Case:
    fields = list(headers)
    if content_type is not None:
        fields.append((b"Content-Type", content_type))
    if body is not None:
        fields.append((b"Content-Length", str(len(body)).encode()))
    target_path = path if isinstance(path, bytes) else path.encode()
    head = request_head(method.encode(), target_path, host, fields)
    chunks = () if body is None else (body,)
    text_path = target_path.decode("latin-1")
    oversized = max(len(head), len(body or b"")) > OVERSIZED_BYTES
    return Case(
        category, target, label, head, lambda: chunks, text_path, timeout_seconds, oversized
    )


class Catalogue:
    """Builds every case against the two apps of one running system."""

    def __init__(
        self, context: Context, routes: dict[str, list[RouteInfo]], hosts: dict[str, str],
        sizes: Sizes,
    ) -> None:
        self.context = context
        self.routes = routes
        self.hosts = hosts
        self.sizes = sizes
        self.values = context.path_values()

    def all_cases(self) -> list[Case]:
        # token attacks last: wrong bearer tokens get an address throttled (429), which must
        # not keep the other categories from reaching the code behind authentication
        builders = (self.json, self.forms, self.framing, self.encodings, self.methods,
                    self.headers, self.cookies, self.tokens)
        return [case for build in builders for case in build()]

    def _make(self, category: str, target: str, label: str, method: str, path: str | bytes,
              credentials: bool = True, **kwargs: Any) -> Case:
        text_path = path if isinstance(path, str) else path.decode("latin-1")
        headers = list(kwargs.pop("headers", ()))
        if credentials:
            headers = self.context.credentials(target, text_path) + headers
        return _case(category, target, label, method, path, headers,
                     host=self.hosts[target], **kwargs)

    def _body_routes(self) -> Iterator[tuple[str, str, str]]:
        for target, routes in self.routes.items():
            for route in routes:
                for method in route.methods:
                    if method in BODY_METHODS:
                        yield target, method, _fill(route.path, self.values)

    # -- every method on every path --------------------------------------------------------
    def methods(self) -> list[Case]:
        cases = []
        for target, routes in self.routes.items():
            for route in routes:
                path = _fill(route.path, self.values)
                for method in METHODS:
                    for credentials in (False, True):
                        body = b"" if method in BODY_METHODS else None
                        who = "with credentials" if credentials else "anonymous"
                        cases.append(self._make(
                            "methods", target, f"{method} {route.path} {who}", method, path,
                            credentials, body=body,
                        ))
        return cases

    # -- JSON bodies -----------------------------------------------------------------------
    def json(self) -> list[Case]:
        bodies: list[tuple[str, bytes, bytes]] = [
            (label, body, b"application/json") for label, body in _json_bodies()
        ]
        bodies += [
            ("JSON as text/plain", b"{}", b"text/plain"),
            ("JSON as a form", b"{}", b"application/x-www-form-urlencoded"),
            ("JSON as multipart without boundary", b"{}", b"multipart/form-data"),
            ("bogus charset", b"{}", b"application/json; charset=bogus-9"),
            ("latin-1 charset with UTF-8 bytes", '{"name": "ü"}'.encode(),
             b"application/json; charset=latin-1"),
            ("garbage content type", b"{}", b"\x01\x02;;=="),
        ]
        return [
            self._make("json", target, f"{method} {path}: {label}", method, path,
                       body=body, content_type=content_type)
            for target, method, path in self._body_routes()
            for label, body, content_type in bodies
        ]

    # -- HTML forms ------------------------------------------------------------------------
    def forms(self) -> list[Case]:
        form = b"application/x-www-form-urlencoded"
        boundary = b"multipart/form-data; boundary=xyz"
        bodies: list[tuple[str, bytes, bytes]] = [
            ("bad percent-escapes", b"%ZZ=%&%=%%", form),
            ("invalid UTF-8", b"name=\xff\xfe&code=\xc0\xaf", form),
            ("NUL and bidi characters", b"name=a%00b%E2%80%AE", form),
            ("a 1 MB field", b"code=" + b"x" * 1024 * 1024, form),
            ("20,000 fields", b"&".join(b"k%d=v" % index for index in range(20_000)), form),
            ("multipart without closing boundary", b"--xyz\r\nContent-Disposition: form-data; "
             b"name=\"code\"\r\n\r\nabc\r\n", boundary),
            ("multipart with a broken part header", b"--xyz\r\nContent-Disposition\r\n\r\n"
             b"abc\r\n--xyz--\r\n", boundary),
            ("multipart with a 1 MB file", b"--xyz\r\nContent-Disposition: form-data; "
             b"name=\"f\"; filename=\"a.bin\"\r\n\r\n" + b"\0" * 1024 * 1024 + b"\r\n--xyz--\r\n",
             boundary),
            ("multipart, wrong boundary", b"--abc\r\n\r\n--abc--\r\n", boundary),
            ("multipart without boundary", b"--xyz--\r\n", b"multipart/form-data"),
        ]
        return [
            self._make("forms", target, f"{method} {path}: {label}", method, path,
                       body=body, content_type=content_type)
            for target, method, path in self._body_routes()
            if not path.startswith("/api/")
            for label, body, content_type in bodies
        ]

    # -- body framing ----------------------------------------------------------------------
    def _sample_body_routes(self) -> list[tuple[str, str, str]]:
        """The body routes every kind of client reaches: fans, organizers, buyers, staff."""
        c = self.context
        wanted = {
            ("waitroom", f"/api/v1/queues/{c.queue_id}/join"),
            ("waitroom", f"/api/v1/queues/{c.queue_id}/codes/redeem"),
            ("waitroom", f"/api/v1/admin/queues/{c.queue_id}"), ("waitroom", "/admin/login"),
            ("shop", "/api/v1/holds"), ("shop", "/api/v1/checkout"),
            ("shop", "/api/v1/staff/scan"), ("shop", "/staff/login"),
        }
        return [route for route in self._body_routes() if (route[0], route[2]) in wanted]

    def framing(self) -> list[Case]:
        size = self.sizes.body_bytes
        cases = []
        for target, method, path in self._sample_body_routes():
            head = request_head(
                method.encode(), path.encode(), self.hosts[target],
                [*self.context.credentials(target, path), (b"Content-Type", b"application/json")],
            )
            base = head[:-2]  # without the blank line: more header lines follow
            where = f"{method} {path}"
            cases += [
                Case("framing", target, f"{where}: {size} bytes declared and sent",
                     base + b"Content-Length: %d\r\n\r\n" % size, partial(_zeros, size), path,
                     oversized=True),
                Case("framing", target, f"{where}: {size} bytes chunked",
                     base + b"Transfer-Encoding: chunked\r\n\r\n", partial(_chunked, size), path,
                     oversized=True),
            ]
            cases += [
                Case("framing", target, f"{where}: {label}", base + extra + b"\r\n",
                     partial(_one, body), path, timeout_seconds=5.0)
                for label, extra, body in _framing_variants()
            ]
        return cases

    # -- paths and query strings -----------------------------------------------------------
    def encodings(self) -> list[Case]:
        cases = []
        for target, routes in self.routes.items():
            for route in routes:
                names = [name for name in self.values if "{" + name + "}" in route.path]
                for label, value in _bad_segments():
                    for name in names:
                        marked = _fill(route.path, self.values, {name: "\0"}).encode()
                        cases.append(self._make(
                            "encodings", target, f"{route.path} with {name} = {label}",
                            route.methods[0], marked.replace(b"\0", value),
                            body=b"" if route.methods[0] in BODY_METHODS else None,
                        ))
                filled = _fill(route.path, self.values).encode()
                for label, query in _bad_queries():
                    cases.append(self._make(
                        "encodings", target, f"{route.path}?{label}", route.methods[0],
                        filled + b"?" + query,
                        body=b"" if route.methods[0] in BODY_METHODS else None,
                    ))
        return cases

    def _sample_paths(self) -> list[tuple[str, str]]:
        """One path of each kind: fan API, queue page, admin API, shop API, shop page, health."""
        c = self.context
        return [
            ("waitroom", f"/api/v1/queues/{c.queue_id}/status"), ("waitroom", f"/q/{c.queue_id}"),
            ("waitroom", f"/api/v1/admin/queues/{c.queue_id}"), ("waitroom", "/admin"),
            ("waitroom", "/healthz"), ("shop", "/api/v1/events"), ("shop", "/"),
            ("shop", f"/api/v1/orders/{c.order_id}"), ("shop", "/staff/scan"),
        ]

    # -- headers ---------------------------------------------------------------------------
    def headers(self) -> list[Case]:
        big = self.sizes.header_bytes
        variants: list[tuple[str, list[tuple[bytes, bytes]]]] = [
            (f"a {big}-byte header", [(b"X-Big", b"a" * big)]),
            ("10,000 headers", [(b"X-H%d" % index, b"v") for index in range(10_000)]),
            ("header name with a space", [(b"Bad Header", b"x")]),
            ("header line without a colon", [(b"NoColonHere", b"")]),
            ("folded header line", [(b"X-Folded", b"a\r\n  b")]),
            ("bytes outside latin-1", [(b"X-U", "ü€".encode())]),
            ("control bytes in a value", [(b"X-C", b"a\x01\x7fb")]),
            ("second Host header", [(b"Host", b"evil.example")]),
            ("huge Accept-Language", [(b"Accept-Language", b"en;q=0.5," * 8000)]),
            ("garbage Accept-Language", [(b"Accept-Language", b"*;q=abc,,;;=,\xff")]),
            ("garbage Accept", [(b"Accept", b"\xff/\xfe;q=;")]),
            ("garbage X-Forwarded-For", [(b"X-Forwarded-For", b"not-an-ip, ::::, 999.1.1.1")]),
            ("1,000 forwarded addresses",
             [(b"X-Forwarded-For", b", ".join(b"10.0.0.%d" % (i % 250) for i in range(1000)))]),
            ("empty bearer", [(b"Authorization", b"Bearer ")]),
            ("bearer with spaces", [(b"Authorization", b"Bearer a b c")]),
            ("basic auth garbage", [(b"Authorization", b"Basic !!!")]),
            ("64 KB authorization", [(b"Authorization", b"Bearer " + b"a" * 65536)]),
            ("garbage Range", [(b"Range", b"bytes=garbage-")]),
            ("garbage If-Modified-Since", [(b"If-Modified-Since", b"yesterday at noon")]),
            ("garbage Content-Type on GET", [(b"Content-Type", b";;;=\xff")]),
            ("Idempotency-Key of 64 KB", [(b"Idempotency-Key", b"k" * 65536)]),
        ]
        return [
            self._make("headers", target, f"{path}: {label}", "GET", path, credentials=False,
                       headers=extra, timeout_seconds=20.0)
            for target, path in self._sample_paths()
            for label, extra in variants
        ]

    # -- cookies ---------------------------------------------------------------------------
    def cookies(self) -> list[Case]:
        c = self.context
        position, site_cookie = position_cookie_name(c.queue_id), session_cookie_name(c.queue_id)
        forged_session = base64.urlsafe_b64encode(b'{"admin":true}').decode() + ".x.y"
        variants = [
            ("only separators", ";;;;"), ("no name", "=x"), ("no value", VISITOR_COOKIE),
            ("quoted value", f'{VISITOR_COOKIE}="a;b"'), ("invalid UTF-8", "wr_vid=\udcff"),
            ("duplicated visitor", f"{VISITOR_COOKIE}=a; {VISITOR_COOKIE}=b"),
            ("1,000 cookies", "; ".join(f"c{index}=v" for index in range(1000))),
            ("64 KB visitor id", f"{VISITOR_COOKIE}={'v' * 65536}"),
            ("garbage position cookie", f"{VISITOR_COOKIE}={c.fan_visitor}; {position}=garbage"),
            ("position cookie of another visitor",
             f"{VISITOR_COOKIE}=someone-else; {position}={c.fan_token}"),
            ("garbage site session cookie",
             f"{VISITOR_COOKIE}={c.fan_visitor}; {site_cookie}=x.y.z"),
            ("forged admin session", f"wr_admin={forged_session}"),
            ("forged staff session", f"wr_staff={forged_session}"),
            ("garbage login cookie", "wr_admin_login=\x01\x02"),
        ]
        return [
            self._make("cookies", target, f"{path}: {label}", "GET", path, credentials=False,
                       headers=[(b"Cookie", value.encode("utf-8", "surrogateescape"))])
            for target, path in self._sample_paths()
            for label, value in variants
        ]

    # -- tokens and passes -----------------------------------------------------------------
    def tokens(self) -> list[Case]:
        c = self.context
        fan_paths = [f"/api/v1/queues/{c.queue_id}/{name}" for name in (
            "status", "content", "profile", "receipt", "lane", "challenge")]
        shop_paths = ["/api/v1/events", f"/api/v1/events/{c.event_id}",
                      f"/api/v1/orders/{c.order_id}", f"/api/v1/holds/{c.hold_id}"]
        cases = []
        for label, token in self._bad_tokens(c.fan_token, POSITION_SALT, c.buyer_pass):
            for path in fan_paths:
                cases.append(self._make(
                    "tokens", "waitroom", f"{path}: position token {label}", "GET", path,
                    credentials=False, headers=[(b"Authorization", b"Bearer " + token),
                                                (b"Cookie", f"{VISITOR_COOKIE}={c.fan_visitor}"
                                                 .encode())]))
            cases.append(self._make(
                "tokens", "waitroom", f"join with a position cookie {label}", "POST",
                f"/api/v1/queues/{c.queue_id}/join", credentials=False, body=b"",
                headers=[(b"Cookie", f"{VISITOR_COOKIE}={c.fan_visitor}; "
                          f"{position_cookie_name(c.queue_id)}=".encode() + token)]))
        for label, token in self._bad_tokens(c.buyer_pass, PASS_SALT, c.fan_token):
            for path in shop_paths:
                cases.append(self._make(
                    "tokens", "shop", f"{path}: pass {label}", "GET", path, credentials=False,
                    headers=[(b"Authorization", b"Bearer " + token),
                             (b"Cookie", c.buyer_cookies.encode())]))
            cases.append(self._make(
                "tokens", "shop", f"shop page with ?waitroom_pass= {label}", "GET",
                b"/?waitroom_pass=" + token, credentials=False,
                headers=[(b"Cookie", c.buyer_cookies.encode())]))
        return cases

    def _bad_tokens(self, real: str, salt: str, other_kind: str) -> list[tuple[str, bytes]]:
        payload = _payload(real)
        tampered = real.replace(real[2], "A" if real[2] != "A" else "B", 1)
        return [
            ("empty", b""), ("garbage", b"garbage"), ("dots only", b"..."),
            ("4 KB random", secrets.token_urlsafe(3072).encode()),
            ("100 KB", b"a" * 100_000), ("non-ASCII", "tökën.ä.ö".encode()),
            ("NUL byte", real.encode()[:10] + b"%00" + real.encode()[10:]),
            ("with a tampered payload", tampered.encode()),
            ("with a cut signature", real[:-5].encode()),
            ("of the other kind", other_kind.encode()),
            ("signed with another key", _sign(payload, ("another-key-" + "k" * 20,), salt)),
            ("expired (signed 30 days ago)",
             _sign(payload, self.context.secret_keys, salt, time.time() - 30 * 86400)),
            ("from the future", _sign(payload, self.context.secret_keys, salt,
                                      time.time() + 30 * 86400)),
            ("of another queue", self.context.other_queue_token.encode()),
            ("with a payload that is not an object", _sign([1, 2], self.context.secret_keys, salt)),
            ("with claims of the wrong types", _sign(
                {key: [value] for key, value in payload.items()}, self.context.secret_keys, salt)),
        ]


def _payload(token: str) -> dict[str, Any]:
    """The (unsigned, readable) payload of an itsdangerous token."""
    encoded = token.split(".", 1)[0]
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    value = orjson.loads(raw)
    return value if isinstance(value, dict) else {}


def _sign(payload: Any, keys: Iterable[str], salt: str, at: float | None = None) -> bytes:
    """A token per the contract (itsdangerous, HMAC-SHA256, salt per kind), signed at ``at``."""
    when = int(time.time() if at is None else at)

    class SignedAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return when

    serializer = URLSafeTimedSerializer(
        list(keys), salt=salt, signer=SignedAt, signer_kwargs={"digest_method": hashlib.sha256}
    )
    return str(serializer.dumps(payload)).encode()


def _json_bodies() -> list[tuple[str, bytes]]:
    wrong_types = (b'{"items": "x", "event_id": 5, "hold_id": [], "rate_per_minute": "fast", '
                   b'"state": 7, "token": {}, "code": null, "answers": "x", "name": ["x"], '
                   b'"email": 12, "card_number": 4242, "quantity": {"a": 1}, "seats": 1}')
    return [
        ("cut-off JSON", b'{"a":'), ("a single brace", b"{"), ("unclosed array", b"[1,2"),
        ("not JSON", b"nul"), ("empty body", b""), ("whitespace", b"   \n"),
        ("null", b"null"), ("an array", b"[]"), ("a string", b'"text"'), ("a number", b"123"),
        ("true", b"true"), ("wrong types for every known field", wrong_types),
        ("negative quantity", b'{"items": [{"tier_id": "standing", "quantity": -1}]}'),
        ("huge number", b'{"quantity": 1e308, "rate_per_minute": 1e999}'),
        ("5,000-digit integer", b'{"rate_per_minute": ' + b"9" * 5000 + b"}"),
        ("NaN and Infinity", b'{"rate_per_minute": NaN, "burst": Infinity}'),
        ("duplicate keys", b'{"quantity": 1, "quantity": "x"}'),
        ("100,000-deep array", b"[" * 100_000 + b"]" * 100_000),
        ("5,000-deep object", b'{"a":' * 5000 + b"1" + b"}" * 5000),
        ("invalid UTF-8", b'{"name": "\xff\xfe\xc0\xaf"}'),
        ("lone surrogate escape", b'{"name": "\\ud800"}'),
        ("NUL and bidi escapes", b'{"name": "a\\u0000b\\u202e\\u2066"}'),
        ("UTF-16 with BOM", '{"name": "x"}'.encode("utf-16")),
        ("UTF-8 BOM", b"\xef\xbb\xbf{}"),
        ("a 1 MB string", b'{"name": "' + b"a" * 1024 * 1024 + b'"}'),
        ("100,000 keys", b"{" + b",".join(b'"k%d": 1' % i for i in range(100_000)) + b"}"),
    ]


def _bad_segments() -> list[tuple[str, bytes]]:
    return [
        ("%ZZ", b"%ZZ"), ("a lone %", b"%"), ("%00", b"%00"), ("overlong %C0%AF", b"%C0%AF"),
        ("%FF%FE", b"%FF%FE"), ("a UTF-16 surrogate", b"%ED%A0%80"),
        ("bidi override", b"%E2%80%AE"),
        ("raw byte 0xFF", b"\xff"), ("raw UTF-8", "ü".encode()), ("traversal", b"..%2F..%2Fetc"),
        ("dot-dot", b".."), ("10 KB", b"a" * 10_240), ("empty", b""), ("a space", b"a%20b"),
    ]


def _bad_queries() -> list[tuple[str, bytes]]:
    return [
        ("bad escapes", b"lang=%ZZ&lang=%FF&x=%"),
        ("10,000 parameters", b"&".join(b"p%d=1" % index for index in range(10_000))),
        ("a 64 KB value", b"q=" + b"a" * 65536),
        ("garbage pass", b"waitroom_pass=%FF%00garbage"),
        ("NUL", b"a=%00&%00=b"),
    ]


def _framing_variants() -> list[tuple[str, bytes, bytes]]:
    """(label, extra header lines, body) of broken framing."""
    return [
        ("chunk size not hex", b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
        ("chunk longer than announced", b"Transfer-Encoding: chunked\r\n", b"2\r\nabcdef\r\n"),
        ("chunked without the last chunk", b"Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n"),
        ("chunk size overflow", b"Transfer-Encoding: chunked\r\n",
         b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
        ("Content-Length larger than the body", b"Content-Length: 100\r\n", b"{}"),
        ("Content-Length smaller than the body", b"Content-Length: 2\r\n",
         b"{}GARBAGE /x HTTP/1.1"),
        ("Content-Length and chunked", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
         b"0\r\n\r\n"),
        ("two different Content-Lengths", b"Content-Length: 2\r\nContent-Length: 3\r\n", b"{}"),
        ("negative Content-Length", b"Content-Length: -1\r\n", b"{}"),
        ("Content-Length not a number", b"Content-Length: abc\r\n", b"{}"),
        ("Content-Length of 20 digits", b"Content-Length: 99999999999999999999\r\n", b"{}"),
        ("unknown Transfer-Encoding", b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
        ("gzip Content-Encoding that is not gzip", b"Content-Encoding: gzip\r\n"
         b"Content-Length: 2\r\n", b"{}"),
        ("Expect: 100-continue, no body", b"Expect: 100-continue\r\nContent-Length: 10\r\n", b""),
    ]


def _one(body: bytes) -> tuple[bytes]:
    return (body,)


def _zeros(size: int) -> Iterator[bytes]:
    block = b"0" * CHUNK_BYTES
    for start in range(0, size, CHUNK_BYTES):
        yield block[: min(CHUNK_BYTES, size - start)]


def _chunked(size: int) -> Iterator[bytes]:
    for block in _zeros(size):
        yield b"%x\r\n" % len(block) + block + b"\r\n"
    yield b"0\r\n\r\n"
