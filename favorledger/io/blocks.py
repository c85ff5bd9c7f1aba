"""Sealed blocks: a store's plain favors kept by column, so that reopening a
store need not read and parse each of their rows.

A *block* covers :data:`BLOCK` consecutive entries of a store (``seq``
``first`` to ``last``). Its body holds the block's plain favors (the
commonest favor: no referrer, reason, tags, pledge or text that JSON
escapes, and a time in UTC), column by column: the distinct person ids,
kinds and amounts once, and for each favor its id, indexes into those and
its time as microseconds since 1970-01-01 UTC. The seqs of the block's
other entries are listed: reopening reads those rows from the log and
merges them by ``seq``.

The body is JSON (parsed by ``json``'s C decoder; no pickle, nothing
executed) and is validated in bulk before any of it is used, by the rules a
row of a plain favor meets (:func:`unseal`): anything wrong and the block is
not used (the store reads the range's rows instead).

Examples
--------
>>> from favorledger import Favor, Person
>>> favors = [Favor(giver="ann", receiver="bob", value=2, id=f"f{n}",
...                 at="2024-01-01T00:00:00+00:00") for n in range(3)]
>>> body = seal([favors[0], Person(id="cat"), favors[1], favors[2]], 5)
>>> made, others = unseal(body, 5, 8)
>>> made == [favors[0], favors[1], favors[2]], others
(True, [6])
>>> unseal(body.replace('"bob"', '"ann"'), 5, 8) is None  # a favor to oneself
True
"""

from __future__ import annotations

import json
import operator
import re
import sys
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from favorledger._collector import untrack
from favorledger.io.stored import _SMALL, _favor_value, dumps_stored
from favorledger.model import (
    _EPOCH,
    _PLAIN_MORE,
    NO_TAGS,
    Entry,
    Favor,
    _more,
    _plain_favor,
)

__all__ = ["BLOCK", "difference", "seal", "unseal"]

BLOCK: Final = 4096
"""How many entries a block covers (``benchmarks/README.md``, "Reopening
from sealed blocks", measured 1024 to 16384)."""

FORMAT: Final = 1
"""The first item of every block's body: the layout of what follows."""

_CLEAN: Final = r'[^"\\\x00-\x1f]'
_JOINED: Final = re.compile(f"{_CLEAN}+(?:\x1f{_CLEAN}+)*")
"""Texts joined by U+001F, each non-empty and holding nothing JSON escapes
(U+001F included): what a plain favor's line holds, checked in one match."""

_ZERO: Final = timedelta(0)
_US: Final = timedelta(microseconds=1)
_EARLIEST: Final = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _US
_LATEST: Final = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _US
"""The microsecond counts a ``datetime`` can stand for."""

_id: Final = operator.attrgetter("id")
_giver: Final = operator.attrgetter("giver")
_receiver: Final = operator.attrgetter("receiver")
_value: Final = operator.attrgetter("value")
_held_more: Final = operator.attrgetter("_more")
_held_at: Final = operator.attrgetter("_at")


def _clean(texts: list[str]) -> bool:
    """Whether every text is a non-empty ``str`` JSON would not escape."""
    if not texts:
        return True
    try:
        joined = "\x1f".join(texts)
    except TypeError:
        return False
    return _JOINED.fullmatch(joined) is not None


def _plain(more: Any) -> bool:
    return (
        more.via is None
        and not more.reason
        and not more.tags
        and more.referral_share is None
        and more.fulfils is None
    )


def _sealable(
    entries: Sequence[Entry | None], first: int
) -> tuple[list[Favor], list[int]]:
    """The plain favors with a time in UTC, and the seqs of the others."""
    plains: list[Favor] = []
    others: list[int] = []
    known: dict[int, bool] = {}  # each shared _More's verdict, by identity
    for seq, entry in enumerate(entries, first):
        if type(entry) is Favor:
            more, at = entry._more, entry._at  # type: ignore[attr-defined]
            plain = known.get(id(more))
            if plain is None:
                plain = known[id(more)] = _plain(more)
            if plain and (type(at) is int or at.utcoffset() == _ZERO):
                plains.append(entry)
                continue
        others.append(seq)
    if plains and not _clean([*map(_id, plains), *map(_giver, plains)]):
        return _cleaned(plains, others, entries, first)
    if plains and not _clean([*map(_receiver, plains), *(m.kind for m in plains)]):
        return _cleaned(plains, others, entries, first)
    return plains, others


def _cleaned(
    plains: list[Favor], others: list[int], entries: Sequence[Entry | None], first: int
) -> tuple[list[Favor], list[int]]:
    """``plains`` without the favors whose text JSON escapes (rare), which
    join the others."""
    bad = {id(f) for f in plains if not _clean([f.id, f.giver, f.receiver, f.kind])}
    kept = [f for f in plains if id(f) not in bad]
    moved = [seq for seq, e in enumerate(entries, first) if id(e) in bad]
    return kept, sorted(others + moved)


def _distinct(
    objects: list[Any], text: Callable[[Any], str]
) -> tuple[list[str], list[int]]:
    """The distinct texts of ``objects`` in order of first use, and each
    object's index into them (objects looked at once by identity)."""
    by_object: dict[int, int] = {}
    texts: dict[str, int] = {}
    for thing in objects:
        key = id(thing)
        if key not in by_object:
            by_object[key] = texts.setdefault(text(thing), len(texts))
    return list(texts), [by_object[id(thing)] for thing in objects]


def _count(at: int | datetime) -> int:
    return at if type(at) is int else (at - _EPOCH) // _US  # type: ignore[operator]


def seal(entries: Sequence[Entry | None], first: int) -> str:
    """The body of the block of ``entries`` (one for each seq from ``first``;
    ``None`` for an entry not at hand, which is read from its row).

    The body depends on the entries' values alone (not on which objects
    are shared), so a block rebuilt from the rows is the same text.

    Examples
    --------
    >>> from favorledger import Favor
    >>> f = Favor(giver="ann", receiver="bob", value="1/3", id="f1",
    ...           at="2024-01-01T00:00:00.5+00:00")
    >>> seal([f, None], 1)
    '[1,["f1"],["ann","bob"],[0],[1],["favor"],[0],["1/3"],[0],[1704067200500000],[2]]'
    """
    plains, others = _sealable(entries, first)
    givers, receivers = list(map(_giver, plains)), list(map(_receiver, plains))
    people = list(dict.fromkeys(givers + receivers))
    where = {person: n for n, person in enumerate(people)}
    kinds, kind_of = _distinct(
        list(map(_held_more, plains)), operator.attrgetter("kind")
    )
    values, value_of = _distinct(list(map(_value, plains)), str)
    columns = [
        FORMAT,
        list(map(_id, plains)),
        people,
        list(map(where.__getitem__, givers)),
        list(map(where.__getitem__, receivers)),
        kinds,
        kind_of,
        values,
        value_of,
        list(map(_count, map(_held_at, plains))),
        others,
    ]
    return json.dumps(columns, ensure_ascii=False, separators=(",", ":"))


def _indexes(column: object, size: int, count: int) -> bool:
    """Whether ``column`` is a list of ``count`` ints in ``range(size)``."""
    if type(column) is not list or len(column) != count:
        return False
    if not count:
        return True
    if set(map(type, column)) != {int}:
        return False
    return bool(min(column) >= 0 and max(column) < size)


def _times(column: object, count: int) -> bool:
    if type(column) is not list or len(column) != count:
        return False
    if not count:
        return True
    if set(map(type, column)) != {int}:
        return False
    return bool(min(column) >= _EARLIEST and max(column) <= _LATEST)


def _others(column: object, first: int, last: int, count: int) -> bool:
    """Whether ``column`` lists, in increasing order, the ``count`` seqs
    of the range that are not in the body."""
    if type(column) is not list or len(column) != last - first + 1 - count:
        return False
    if not column:
        return True
    if set(map(type, column)) != {int}:
        return False
    return (
        first <= column[0]
        and column[-1] <= last
        and all(map(operator.lt, column, column[1:]))
    )


def _columns(body: str, first: int, last: int) -> list[Any] | None:
    """The body's columns, if their shapes, indexes, texts and times are
    what :func:`seal` writes; else ``None``."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if type(data) is not list or len(data) != 11 or data[0] != FORMAT:
        return None
    (
        _,
        ids,
        people,
        givers,
        receivers,
        kinds,
        kind_of,
        values,
        value_of,
        times,
        others,
    ) = data
    if type(ids) is not list or len(set(ids) if _clean(ids) else ()) != len(ids):
        return None
    count = len(ids)
    if not (
        type(people) is list
        and type(kinds) is list
        and type(values) is list
        and _clean(people)
        and len(set(people)) == len(people)  # else a favor to oneself could hide
        and _clean(kinds)
        and _indexes(givers, len(people), count)
        and _indexes(receivers, len(people), count)
        and _indexes(kind_of, len(kinds), count)
        and _indexes(value_of, len(values), count)
        and _times(times, count)
        and _others(others, first, last, count)
        and not any(map(operator.eq, givers, receivers))
    ):
        return None
    return data


def _amounts(texts: list[Any]) -> list[Any] | None:
    """Each amount made from its text, as a row's is; ``None`` if one is
    not what a write makes."""
    try:
        return [
            _SMALL.get(text) or _favor_value(text) if type(text) is str else None
            for text in texts
        ]
    except (ValueError, ArithmeticError):
        return None


def unseal(body: str, first: int, last: int) -> tuple[list[Favor], list[int]] | None:
    """The plain favors of the block ``first`` to ``last`` (in seq order,
    taken off the collector) and the seqs of its other entries; ``None`` if
    the body is not one :func:`seal` could have written for that range.

    Every distinct person id, kind and amount is checked once, by the rules
    a row of a plain favor meets; the ids, indexes and times in bulk.
    """
    data = _columns(body, first, last)
    if data is None:
        return None
    (
        _,
        ids,
        people,
        givers,
        receivers,
        kinds,
        kind_of,
        values,
        value_of,
        times,
        others,
    ) = data
    amounts = _amounts(values)
    if amounts is None or None in amounts:
        return None
    intern = sys.intern
    names = [intern(person) for person in people]
    mores = [
        _PLAIN_MORE.get(kind) or _more(intern(kind), None, "", NO_TAGS, None, None)
        for kind in kinds
    ]
    favors = list(
        map(
            _plain_favor,
            ids,
            map(names.__getitem__, givers),
            map(names.__getitem__, receivers),
            map(amounts.__getitem__, value_of),
            times,
            map(mores.__getitem__, kind_of),
        )
    )
    deque(map(untrack, favors), maxlen=0)
    return favors, others


def _listed(favors: list[Favor], others: list[int], first: int, last: int) -> list[Any]:
    """``(seq, line)`` of each favor, the seqs of ``others`` left out."""
    skipped = set(others)
    seqs = [seq for seq in range(first, last + 1) if seq not in skipped]
    return list(zip(seqs, map(dumps_stored, favors), strict=False))


def difference(
    body: str, entries: Sequence[Entry | None], first: int, last: int
) -> str | None:
    """What is wrong with the body of the block ``first`` to ``last``, given
    the entries its rows hold (``None`` for a row that cannot be read), or
    ``None`` if it holds what they do.

    Examples
    --------
    >>> from favorledger import Favor
    >>> f = Favor(giver="ann", receiver="bob", value=2, id="f1",
    ...           at="2024-01-01T00:00:00+00:00")
    >>> difference(seal([f], 1), [f], 1, 1) is None
    True
    >>> difference(seal([f], 1).replace('"2"', '"3"'), [f], 1, 1)
    'entry 1 differs from its row'
    >>> difference("[]", [f], 1, 1)
    'its body is not one favorledger writes'
    """
    sealed = unseal(body, first, last)
    if sealed is None:
        return "its body is not one favorledger writes"
    if len(entries) != last - first + 1:
        return f"it covers {last - first + 1} entries; the rows hold {len(entries)}"
    held = _listed(*sealed, first, last)
    expected = _listed(*_sealable(entries, first), first, last)
    for (seq, line), (row_seq, row_line) in zip(held, expected, strict=False):
        if (seq, line) != (row_seq, row_line):
            return f"entry {min(seq, row_seq)} differs from its row"
    if len(held) != len(expected):
        return "it holds a different set of favors than its rows"
    return None
