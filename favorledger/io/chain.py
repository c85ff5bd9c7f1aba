"""The digest chain that makes a stored log tamper-evident.

Every stored entry carries a digest of its body chained to the digest of the
entry before it, the idea behind git's commits and Certificate Transparency
logs::

    digest(1) = sha256(GENESIS   + "\\n" + body(1))
    digest(n) = sha256(digest(n-1) + "\\n" + body(n))

``body`` is the entry's JSON line exactly as stored
(:func:`~favorledger.io.jsonl.dumps_entry`), and digests are lowercase hex.
Changing, removing, inserting or reordering any entry changes the digest of
every entry after it, so the last one (the *head*) vouches for the whole log.
A head remembered or published elsewhere lets ``check`` detect even a log
rewritten end to end, which a chain alone cannot (see ``docs/storage.md``).

Examples
--------
>>> head = GENESIS
>>> for body in ['{"id": "f1"}', '{"id": "f2"}']:
...     head = link(head, body)
>>> first_break(['{"id": "f1"}', '{"id": "f2"}'], [link(GENESIS, '{"id": "f1"}'),
...                                                 head])
>>> first_break(['{"id": "f1"}', '{"id": "f3"}'], [link(GENESIS, '{"id": "f1"}'),
...                                                 head])
1
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = ["GENESIS", "broken_link", "first_break", "is_digest", "last_broken", "link"]

_sha256: Final = hashlib.sha256

GENESIS: Final = "0" * 64
"""The digest the first entry is chained to."""


def link(previous: str, body: str) -> str:
    """The digest of ``body`` chained to the ``previous`` entry's digest.

    Examples
    --------
    >>> link(GENESIS, "{}")[:12]
    '5649d09ed68c'
    """
    return _sha256(f"{previous}\n{body}".encode()).hexdigest()


def first_break(bodies: Iterable[str], digests: Iterable[str]) -> int | None:
    """The index of the first entry whose digest does not match, else ``None``.

    ``bodies`` and ``digests`` are read in step, from the first entry.
    """
    head, sha256 = GENESIS, _sha256
    for index, (body, digest) in enumerate(zip(bodies, digests, strict=True)):
        head = sha256(f"{head}\n{body}".encode()).hexdigest()  # link, inline
        if head != digest:
            return index
    return None


def is_digest(text: object) -> bool:
    """Whether ``text`` looks like a digest: 64 lowercase hex digits.

    Examples
    --------
    >>> is_digest(GENESIS), is_digest("abc")
    (True, False)
    """
    return (
        isinstance(text, str)
        and len(text) == 64
        and all(c in "0123456789abcdef" for c in text)
    )


def last_broken(rows: Sequence[tuple[int, str, str]]) -> int | None:
    """The ``seq`` of the last entry if its digest does not follow from its
    body and the digest before it, else ``None``: a store's quick look on
    opening. ``rows`` are the log's last two ``(seq, body, digest)``, the
    newest first (fewer for a shorter log).

    Examples
    --------
    >>> one = link(GENESIS, "a")
    >>> last_broken([(2, "b", link(one, "b")), (1, "a", one)]) is None
    True
    >>> last_broken([(2, "edited", link(one, "b")), (1, "a", one)])
    2
    """
    if not rows:
        return None
    seq, body, digest = rows[0]
    before = rows[1][2] if len(rows) > 1 else GENESIS
    return None if link(before, body) == digest else seq


def broken_link(name: str, seq: int) -> str:
    """How ``check`` words an entry whose digest does not follow.

    Examples
    --------
    >>> broken_link("favors.db", 7)[:50]
    'favors.db: entry 7: its digest does not match its '
    """
    return (
        f"{name}: entry {seq}: its digest does not match its body and the"
        " entries before it: the log was changed behind favorledger's back"
        " from here on"
    )
