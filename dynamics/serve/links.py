"""Private intake links: one per partner, single-use, expiring, each opening only that partner's form.

A link is a random token in the address (`/intake/TOKEN`); the server keeps only a digest of it, with
the case and partner it opens, its expiry, whether it was used, and the partner's answers so far (the
draft, so a reload or a sleeping tablet loses nothing). All of this lives in the server's memory and
nowhere else: stopping the server ends every open link and its draft, and nothing is written to disk
until the partner sends the form, which goes into the case file and ends the link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

#: how long a link stays open by default (the time of a session and some)
LIFETIME = 4 * 3600


class State(Enum):
    """Where a link stands."""
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass
class Link:
    """One partner's intake: the case and partner it opens, when it closes, and the answers so far."""
    case: str
    partner: str
    expires: float
    used: bool = False
    sending: bool = False
    draft: dict[str, str] = field(default_factory=dict)
    step: int = 0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Links:
    """The open intake links (thread-safe)."""

    def __init__(self, lifetime: float = LIFETIME, clock=time.time):
        self.lifetime = lifetime
        self.clock = clock
        self._links: dict[str, Link] = {}
        self._lock = threading.Lock()
        self.secret = secrets.token_bytes(32)

    def issue(self, case: str, partner: str) -> str:
        """Open a link for one partner of a case; return its token (shown once, in the address)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_old()
            self._links[_digest(token)] = Link(case, partner, self.clock() + self.lifetime)
        return token

    def _forget_old(self) -> None:
        now = self.clock()
        for key in [k for k, link in self._links.items() if link.expires + 24 * 3600 < now]:
            del self._links[key]

    def find(self, token: str) -> tuple[State, Link | None]:
        """Return a link's state and the link (None when no such link was issued)."""
        with self._lock:
            link = self._links.get(_digest(token))
            if link is None:
                return State.UNKNOWN, None
            if link.used:
                return State.USED, link
            if self.clock() >= link.expires:
                link.draft.clear()
                return State.EXPIRED, link
            return State.OPEN, link

    def csrf(self, token: str) -> str:
        """Return the CSRF token of one link's forms."""
        return hmac.new(self.secret, b"intake:" + token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def csrf_ok(self, token: str, given: str | None) -> bool:
        """Return True when a form's CSRF token belongs to this link."""
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), self.csrf(token).encode())

    def keep(self, token: str, answers: dict[str, str], step: int | None = None) -> None:
        """Keep answers in an open link's draft (a later answer replaces an earlier one)."""
        with self._lock:
            link = self._links.get(_digest(token))
            if link is not None and not link.used:
                link.draft.update(answers)
                if step is not None:
                    link.step = step

    def claim(self, token: str) -> Link | None:
        """Take an open link for sending, once: None when it is used, expired or being sent already."""
        with self._lock:
            link = self._links.get(_digest(token))
            if link is None or link.used or link.sending or self.clock() >= link.expires:
                return None
            link.sending = True
            return link

    def finish(self, token: str, sent: bool) -> None:
        """End a claim: a sent link is used and its draft dropped; an unsent one is open again."""
        with self._lock:
            link = self._links.get(_digest(token))
            if link is None:
                return
            link.sending = False
            if sent:
                link.used = True
                link.draft.clear()

    def open_for(self, case: str) -> list[Link]:
        """Return the links of a case still open (for the case page)."""
        now = self.clock()
        with self._lock:
            return [link for link in self._links.values() if link.case == case and not link.used
                    and now < link.expires]
