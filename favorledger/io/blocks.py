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

The body is text split into fields (:func:`seal`; no pickle, nothing
executed) and is validated in bulk before any of it is used, by the rules a
recorded favor meets (:func:`unseal`): anything seal could not have written
and the block is not used (the store reads the range's rows instead).

Examples
--------
>>> from favorledger import Favor, Person
>>> favors = [Favor(giver="ann", receiver="bob", value=2, id=f"f{n}",
...                 at="2024-01-01T00:00:00+00:00") for n in range(3)]
>>> body = seal([favors[0], Person(id="cat"), favors[1], favors[2]], 5)
>>> made, others = unseal(body, 5, 8)
>>> made == [favors[0], favors[1], favors[2]], others
(True, [6])
>>> unseal(body.replace("bob", "ann"), 5, 8) is None  # a favor to oneself
True
"""

from __future__ import annotations

import operator
import sys
import unicodedata
from array import array
from base64 import b64decode, b64encode
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import repeat
from typing import Any, Final, NamedTuple

from favorledger._collector import untrack
from favorledger._exact import MAX_TEXT, _resolution_ok
from favorledger.io.stored import _SMALL, _favor_value, dumps_stored
from favorledger.model import (
    _EPOCH,
    _PLAIN_MORE,
    EARLIEST,
    LATEST,
    MAX_ID_LENGTH,
    NO_TAGS,
    Entry,
    Favor,
    _more,
    _plain_favor,
)

__all__ = ["BLOCK", "difference", "seal", "unseal"]

BLOCK: Final = 8192
"""How many entries a block covers (``benchmarks/README.md``, "Reopening
from sealed blocks": 4096, 8192 and 16384 were measured)."""

FORMAT: Final = "1"
"""The first field of every block's body: the layout of what follows."""

_FIELD: Final = "\x1e"  # between a body's fields
_ITEM: Final = "\x1f"  # between the texts of a field


_BIG_ENDIAN: Final = sys.byteorder == "big"
_ZERO: Final = timedelta(0)
_US: Final = timedelta(microseconds=1)
_EARLIEST: Final = (EARLIEST - _EPOCH) // _US
_LATEST: Final = (LATEST - _EPOCH) // _US
"""The microsecond counts of the times a favor may have (``Favor.at``:
:data:`~favorledger.model.EARLIEST` to :data:`~favorledger.model.LATEST`)."""
_is_nfc: Final = unicodedata.is_normalized

_id: Final = operator.attrgetter("id")
_giver: Final = operator.attrgetter("giver")
_receiver: Final = operator.attrgetter("receiver")
_value: Final = operator.attrgetter("value")
_held_more: Final = operator.attrgetter("_more")
_held_at: Final = operator.attrgetter("_at")
_zone: Final = operator.attrgetter("tzinfo")


def _clean(texts: list[str]) -> bool:
    """Whether every text is a ``str`` as ``Favor`` takes an id, a person
    or a kind (non-empty, no space around it, printable, in NFC, at most
    :data:`~favorledger.model.MAX_ID_LENGTH` characters) that JSON would
    not escape: :func:`_clean_field` of the texts joined."""
    if not all(type(text) is str for text in texts):
        return False
    return _clean_field(_ITEM.join(texts), texts)


def _clean_field(field: str, texts: list[str]) -> bool:
    """Whether ``field`` is ``texts`` joined by U+001F, each one an id as
    ``Favor`` takes it (``model._name``: stripped, printable, NFC, not too
    long) holding no quote or backslash (JSON escapes them), checked over
    the field as it is (C loops; the only printable space is U+0020)."""
    if not texts:
        return not field
    return (
        bool(field)
        and field.count(_ITEM) == len(texts) - 1
        and _ITEM * 2 not in field
        and field[0] not in " \x1f"
        and field[-1] not in " \x1f"
        and " " + _ITEM not in field
        and _ITEM + " " not in field
        and '"' not in field
        and "\\" not in field
        and max(map(len, texts)) <= MAX_ID_LENGTH
        and field.replace(_ITEM, " ").isprintable()
        and (field.isascii() or _is_nfc("NFC", field))
    )


def _amount_text(text: str) -> bool:
    """Whether ``text`` is an amount's text as a write makes it: the text of
    the value it reads as (its normal form), within what ``parse_amount``
    takes (positive, less than ``MAX_VALUE``, no finer than ``1e-12``)."""
    if len(text) > MAX_TEXT:
        return False
    try:
        value = _SMALL.get(text) or _favor_value(text)
    except (ValueError, ArithmeticError):
        return False
    return _resolution_ok(value) and str(value) == text


def _plain(more: Any) -> bool:
    return (
        more.via is None
        and not more.reason
        and not more.tags
        and more.referral_share is None
        and more.fulfils is None
    )


def _utc(zone: object) -> bool:
    """Whether times in ``zone`` are written with the offset ``+00:00``."""
    return zone is UTC or (type(zone) is timezone and zone.utcoffset(None) == _ZERO)


def _all_plain(entries: Sequence[Entry | None]) -> bool:
    """Whether every entry is a plain favor in UTC, looked at by column
    (the commonest block; each shared kind and zone once)."""
    if set(map(type, entries)) != {Favor}:
        return False
    mores = list(map(_held_more, entries))
    if mores.count(mores[0]) == len(mores):  # one kind, shared (the commonest)
        if not _plain(mores[0]):
            return False
    elif not all(map(_plain, dict(zip(map(id, mores), mores, strict=True)).values())):
        return False
    times = list(map(_held_at, entries))
    kinds = set(map(type, times))
    if kinds == {int}:
        return True
    if not kinds <= {int, datetime}:
        return False
    dated = times if int not in kinds else [at for at in times if type(at) is not int]
    return all(map(_utc, set(map(_zone, dated))))


def _sealable(
    entries: Sequence[Entry | None], first: int
) -> tuple[list[Favor], list[int]]:
    """The plain favors with a time in UTC, and the seqs of the others."""
    if _all_plain(entries):
        return list(entries), []  # type: ignore[arg-type]
    plains: list[Favor] = []
    others: list[int] = []
    for seq, entry in enumerate(entries, first):
        if type(entry) is Favor and _plain(entry._more):  # type: ignore[attr-defined]
            at = entry._at  # type: ignore[attr-defined]
            if type(at) is int or at.utcoffset() == _ZERO:
                plains.append(entry)
                continue
        others.append(seq)
    return plains, others


def _cleaned(
    plains: list[Favor], others: list[int], entries: Sequence[Entry | None], first: int
) -> tuple[list[Favor], list[int]]:
    """``plains`` without the favors whose text JSON escapes (rare), which
    join the others."""
    bad = {
        id(f)
        for f in plains
        if not _clean([f.id, f.giver, f.receiver, f.kind])
        or not _amount_text(str(f.value))
        or not _in_range(_counts([f._at]), _EARLIEST, _LATEST + 1)  # type: ignore[attr-defined]
    }
    kept = [f for f in plains if id(f) not in bad]
    moved = [seq for seq, e in enumerate(entries, first) if id(e) in bad]
    return kept, sorted(others + moved)


def _distinct(
    objects: list[Any], text: Callable[[Any], str]
) -> tuple[list[str], list[int]]:
    """The distinct texts of ``objects`` in order of first use, and each
    object's index into them (each distinct object's text made once)."""
    keys = list(map(id, objects))
    texts: dict[str, int] = {}
    where = {
        key: texts.setdefault(text(thing), len(texts))
        for key, thing in dict(zip(keys, objects, strict=True)).items()
    }
    return list(texts), list(map(where.__getitem__, keys))


def _counts(times: list[Any]) -> list[int]:
    """Each time as microseconds since the epoch (a favor dated now keeps
    the count itself)."""
    kinds = set(map(type, times))
    if kinds == {int}:
        return times
    if kinds == {datetime}:  # the fields of each time's distance from the epoch
        return [
            (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
            for d in map(operator.sub, times, repeat(_EPOCH))
        ]
    return [at if type(at) is int else (at - _EPOCH) // _US for at in times]


def _packed(typecode: str, numbers: list[int]) -> str:
    """``numbers`` as fixed-width little-endian integers (``typecode`` as
    :mod:`array` has it: ``I`` 32 bits unsigned, ``q`` 64 bits), in base64:
    about half the time JSON takes to write or read them."""
    packed = array(typecode, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return b64encode(packed.tobytes()).decode("ascii")


def _unpacked(typecode: str, text: str) -> list[int] | None:
    """The numbers :func:`_packed` wrote, or ``None`` if ``text`` is not
    base64 of whole numbers of that width."""
    try:
        raw = b64decode(text, validate=True)
    except ValueError:  # binascii.Error
        return None
    numbers = array(typecode)
    if len(raw) % numbers.itemsize:
        return None
    numbers.frombytes(raw)
    if _BIG_ENDIAN:
        numbers.byteswap()
    return numbers.tolist()


def _table(plains: list[Favor]) -> list[str] | None:
    """The body's columns for ``plains`` but its format and others, or
    ``None`` if a text among them is one JSON escapes."""
    ids = list(map(_id, plains))
    both = [*map(_giver, plains), *map(_receiver, plains)]
    people = list(dict.fromkeys(both))
    mores = list(map(_held_more, plains))
    if mores and mores.count(mores[0]) == len(mores):  # one kind, the commonest
        kinds, kind_of = [mores[0].kind], [0] * len(mores)
    else:
        kinds, kind_of = _distinct(mores, _kind)
    texts = [_ITEM.join(ids), _ITEM.join(people), _ITEM.join(kinds)]
    if not all(map(_clean_field, texts, (ids, people, kinds))):
        return None
    where = dict(zip(people, range(len(people)), strict=True))
    values, value_of = _distinct(list(map(_value, plains)), str)
    counts = _counts(list(map(_held_at, plains)))
    if not all(map(_amount_text, values)) or not _in_range(
        counts, _EARLIEST, _LATEST + 1
    ):
        return None
    indexes = list(map(where.__getitem__, both))
    return [
        *texts,
        _ITEM.join(values),
        _packed("I", indexes + kind_of + value_of),
        _packed("q", counts),
    ]


_kind: Final = operator.attrgetter("kind")


def seal(entries: Sequence[Entry | None], first: int) -> str:
    r"""The body of the block of ``entries`` (one for each seq from ``first``;
    ``None`` for an entry not at hand, which is read from its row).

    The body is text split in eight fields by U+001E: the format; the
    favors' ids; the distinct person ids, kinds and amounts (each field's
    texts split by U+001F, which no such text holds); in base64, the
    favors' giver, receiver, kind and amount as indexes into those (32-bit
    unsigned, little-endian, column after column), their times in
    microseconds since the epoch (64-bit) and the seqs of the block's other
    entries. It depends on the entries' values alone (not on which objects
    are shared), so a block rebuilt from the rows is the same text.

    Examples
    --------
    >>> from favorledger import Favor
    >>> f = Favor(giver="ann", receiver="bob", value="1/3", id="f1",
    ...           at="2024-01-01T00:00:00.5+00:00")
    >>> fields = seal([f, None], 1).split("\x1e")
    >>> fields[:5]
    ['1', 'f1', 'ann\x1fbob', 'favor', '1/3']
    >>> [_unpacked(code, field) for code, field in zip("Iqq", fields[5:])]
    [[0, 1, 0, 0], [1704067200500000], [2]]
    """
    _, others, table = _chosen(entries, first)
    return _FIELD.join([FORMAT, *table, _packed("q", others)])


def _chosen(
    entries: Sequence[Entry | None], first: int
) -> tuple[list[Favor], list[int], list[str]]:
    """The favors a block of ``entries`` holds, the seqs of the others, and
    the body's fields for those favors."""
    plains, others = _sealable(entries, first)
    table = _table(plains)
    if table is None:  # a text JSON escapes: that favor is read from its row
        plains, others = _cleaned(plains, others, entries, first)
        table = _table(plains)
    return plains, others, table or []


def _in_range(numbers: list[int], low: int, high: int) -> bool:
    """Whether every number lies in ``[low, high)``."""
    return not numbers or (min(numbers) >= low and max(numbers) < high)


def _others(seqs: list[int], first: int, last: int, count: int) -> bool:
    """Whether ``seqs`` are, in increasing order, the seqs of the range that
    are not among its ``count`` favors."""
    if len(seqs) != last - first + 1 - count:
        return False
    return not seqs or (
        first <= seqs[0] and seqs[-1] <= last and all(map(operator.lt, seqs, seqs[1:]))
    )


class _Columns(NamedTuple):
    ids: list[str]
    people: list[str]
    kinds: list[str]
    values: list[str]
    indexes: list[int]
    times: list[int]
    others: list[int]


def _texts(field: str) -> list[str]:
    return field.split(_ITEM) if field else []


def _columns(body: str, first: int, last: int) -> _Columns | None:
    """The body's columns, if their shapes, indexes, texts and times are
    what :func:`seal` writes; else ``None``."""
    fields = body.split(_FIELD)
    if len(fields) != 8 or fields[0] != FORMAT:
        return None
    ids, people, kinds, values = map(_texts, fields[1:5])
    indexes, times, others = map(_unpacked, "Iqq", fields[5:])
    count = len(ids)
    if (
        indexes is None
        or times is None
        or others is None
        or len(indexes) != 4 * count
        or len(times) != count
        or not all(map(_clean_field, fields[1:4], (ids, people, kinds)))
        or len(set(ids)) != count
        or len(set(people)) != len(people)  # else a favor to oneself could hide
        or not _in_range(times, _EARLIEST, _LATEST + 1)
        or not _others(others, first, last, count)
        or any(map(operator.eq, indexes[:count], indexes[count : 2 * count]))
    ):
        return None
    return _Columns(ids, people, kinds, values, indexes, times, others)


def _amounts(texts: list[str]) -> list[Any] | None:
    """Each amount made from its text, as a row's is; ``None`` if one is
    not what a write makes (:func:`_amount_text`)."""
    if not all(map(_amount_text, texts)):
        return None
    return [_SMALL.get(text) or _favor_value(text) for text in texts]


def unseal(body: str, first: int, last: int) -> tuple[list[Favor], list[int]] | None:
    """The plain favors of the block ``first`` to ``last`` (in seq order,
    taken off the collector) and the seqs of its other entries; ``None`` if
    the body is not one :func:`seal` could have written for that range.

    Every distinct person id, kind and amount is checked once, by the rules
    a row of a plain favor meets; the ids, indexes and times in bulk (the
    indexes are unsigned: one past the end makes its lookup raise
    ``IndexError``).
    """
    if type(body) is not str or type(first) is not int or type(last) is not int:
        return None  # a row of another SQLite type (a BLOB body, say)
    try:
        return _unsealed(body, first, last)
    except IndexError:
        return None


def _unsealed(body: str, first: int, last: int) -> tuple[list[Favor], list[int]] | None:
    found = _columns(body, first, last)
    if found is None:
        return None
    ids, people, kinds, values, indexes, times, others = found
    amounts = _amounts(values)
    if amounts is None:
        return None
    names = list(map(sys.intern, people))
    mores = [
        _PLAIN_MORE.get(kind) or _more(sys.intern(kind), None, "", NO_TAGS, None, None)
        for kind in kinds
    ]
    count = len(ids)
    favors = list(
        map(
            _plain_favor,
            ids,
            map(names.__getitem__, indexes[:count]),
            map(names.__getitem__, indexes[count : 2 * count]),
            map(amounts.__getitem__, indexes[3 * count :]),
            times,
            map(mores.__getitem__, indexes[2 * count : 3 * count]),
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
    r"""What is wrong with the body of the block ``first`` to ``last``, given
    the entries its rows hold (``None`` for a row that cannot be read), or
    ``None`` if it holds what they do.

    Examples
    --------
    >>> from favorledger import Favor
    >>> f = Favor(giver="ann", receiver="bob", value=2, id="f1",
    ...           at="2024-01-01T00:00:00+00:00")
    >>> difference(seal([f], 1), [f], 1, 1) is None
    True
    >>> difference(seal([f], 1).replace("favor\x1e2", "favor\x1e3"), [f], 1, 1)
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
    expected = _listed(*_chosen(entries, first)[:2], first, last)
    for (seq, line), (row_seq, row_line) in zip(held, expected, strict=False):
        if (seq, line) != (row_seq, row_line):
            return f"entry {min(seq, row_seq)} differs from its row"
    if len(held) != len(expected):
        return "it holds a different set of favors than its rows"
    return None
