"""Partner names wherever a partner id is accepted: --partner Maya, --step Maya:bid, partners.Maya.strategy.

A case file always stores the id; what the clinician types may be the id or the partner's name
(case-insensitive). A word that fits both partners is ambiguous and refused, as is a word that
fits neither; both errors list the ids with their names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..case.model import Partner
from ..errors import InputError, shorten, suggest
from ..knowledge import labels


def listing(partners: Sequence[Partner]) -> str:
    """Return 'A (Maya) and B (Tom)': each id, with its name when the name differs."""
    shown = [p.id if p.name == p.id else f"{p.id} ({p.name})" for p in partners]
    return " and ".join(shown)


def matches(partners: Sequence[Partner], word: str) -> list[str]:
    """Return the ids of the partners a word names: an id exactly, else a name or id ignoring case."""
    exact = [p.id for p in partners if p.id == word]
    folded = word.strip().casefold()
    by_name = [p.id for p in partners if p.name.casefold() == folded and p.id not in exact]
    found = exact + by_name
    if not found:
        found = [p.id for p in partners if p.id.casefold() == folded]
    return list(dict.fromkeys(found))


def partner_id(partners: Sequence[Partner], word: str, *, file: str, line: int | None = None,
               column: int | None = None) -> str:
    """Return the id of the partner that word names, or raise a located InputError listing the partners."""
    found = matches(partners, word) if isinstance(word, str) else []
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError(f"partner '{shorten(word)}' is ambiguous: it names both {listing(partners)}",
                         file=file, line=line, column=column, value=word,
                         hint=f"use the partner's id, {' or '.join(found)}")
    words = [p.id for p in partners] + [p.name for p in partners]
    guess = suggest(word, words)
    raise InputError(f"unknown partner '{shorten(word)}'", file=file, line=line, column=column, value=word,
                     hint=(f"{guess} " if guess else "") + f"the partners are {listing(partners)}")


def conclusion_path(partners: Sequence[Partner], path: str, option: str = "CONCLUSION") -> str:
    """Return a conclusion path with a partner's name replaced by its id (partners.Maya.strategy).

    A path naming no partner, or a partner no name or id fits, is returned unchanged for the
    caller's unknown-conclusion check; a name that fits both partners is refused here.
    """
    word = labels.partner_in(path)
    if word is None or word in (p.id for p in partners):
        return path
    found = matches(partners, word)
    if len(found) > 1:
        partner_id(partners, word, file=option)
    return labels.strategy_path(found[0]) if found else path
