"""What every request must pass before it reaches a page: the token, the Host header, CSRF, headers.

- The access token (random, printed once in the address) is taken from `?token=` on the first
  request, kept in an HttpOnly, SameSite=Strict cookie, and then removed from the address bar by a
  redirect; `Authorization: token T` works for scripts. A request without it gets a page saying how
  to open the workspace, and nothing else.
- The Host header must name this server as it was started (127.0.0.1, localhost or [::1], or the
  host asked for with --host) with its port: a page on another site that rebinds its own name to
  127.0.0.1 (DNS rebinding) sends its own name, and is refused.
- Every form carries a CSRF token bound to the access token; a POST without it, or with a foreign
  Origin, is refused before anything is read.
- Every response forbids anything from elsewhere (Content-Security-Policy), framing, sniffing,
  caching, and referrers to other sites.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

COOKIE = "dynamics_token"
CSRF_FIELD = "csrf"
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")

#: nothing from elsewhere: styles, scripts and images come from this server only; forms post here only
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",   # never sent elsewhere; kept here so forms carry their Origin
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def new_token() -> str:
    """Return a fresh access token: 24 random bytes, URL-safe."""
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    """The access token and the host names this server answers to."""
    token: str
    host: str
    port: int
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def hosts(self) -> frozenset[str]:
        """Return the Host header values accepted: each local name (and --host) with the port."""
        names = set(LOCAL_NAMES)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            names.add(f"[{self.host}]" if ":" in self.host else self.host)
        return frozenset(f"{name}:{self.port}" for name in names) | frozenset(names if self.port == 80 else ())

    def host_ok(self, header: str | None) -> bool:
        """Return True when a Host header names this server."""
        return header is not None and header.lower() in self.hosts

    def origin_ok(self, origin: str | None) -> bool:
        """Return True when an Origin header is absent or names this server."""
        if origin is None:
            return True   # a same-origin form post from an older browser; the CSRF token still applies
        scheme, _, rest = origin.partition("://")
        return scheme == "http" and rest.lower() in self.hosts

    def token_ok(self, given: str | None) -> bool:
        """Return True when a token matches the access token (compared in constant time)."""
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"),
                                                         self.token.encode("utf-8"))

    @property
    def csrf(self) -> str:
        """Return the CSRF token forms carry: bound to the access token and this server's secret."""
        return hmac.new(self.secret, b"csrf:" + self.token.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, given: str | None) -> bool:
        """Return True when a form's CSRF token is this server's."""
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), self.csrf.encode())

    def address(self, scheme: str = "http") -> str:
        """Return the address to open, with the token: the one line `dynamics serve` prints."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{shown}:{self.port}/?{urlencode({'token': self.token})}"
