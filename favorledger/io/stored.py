"""Rebuilding the entries a store wrote itself, without checking them again.

Every field of an entry is checked once, when it enters the library (a call,
an import). A store's own rows were written from entries that passed those
checks, so reopening a store rebuilds them on a trusted path: the JSON is
parsed and each field is turned back into its type, but no field is
validated again. That path is about four times faster than
:func:`~favorledger.io.jsonl.loads_entry`; with it, reopening a store costs
about 1.5 times recording the same favors in memory (reading and parsing
each row is the difference, ``benchmarks/README.md``).

A row the trusted path cannot read (a missing field, an unknown type, a line
that is not JSON) goes through :func:`~favorledger.io.jsonl.loads_entry`,
which reports what is wrong. ``check`` always takes the checked path, so a
row changed behind the library's back is reported there (see
``docs/storage.md``).

Examples
--------
>>> from favorledger import Favor
>>> from favorledger.io.jsonl import dumps_entry
>>> favor = Favor(giver="ann", receiver="bob", value="1/3", id="f1",
...               at="2024-01-01T00:00:00+00:00", tags={"advice"})
>>> loads_stored(dumps_entry(favor)) == favor
True
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from json.encoder import encode_basestring
from typing import Any, Final

import attrs

from favorledger._collector import untrack
from favorledger._exact import MAX_VALUE, SMALL_INTS, Amount, canonical, normalize
from favorledger.io.jsonl import ENTRY_TYPES, FORMAT_VERSION, dumps_entry, loads_entry
from favorledger.model import (
    _MORE_FIELDS,
    _PLAIN_MORE,
    NO_TAGS,
    Entry,
    Favor,
    _count_day,
    _more,
    _plain_favor,
    unchecked,
)

__all__ = [
    "ROW_MAKERS",
    "Row",
    "dumps_row",
    "dumps_stored",
    "loads_stored",
    "plain_favor",
    "replay_rows",
    "row_of",
    "utc_text",
]

_SMALL: Final = {str(n): value for n, value in SMALL_INTS.items()}
_scan: Final[Callable[[str, int], tuple[Any, int]]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_quote: Final = encode_basestring  # json's quoting of a string (ensure_ascii=False)


def _amount(text: str) -> Amount:
    small = _SMALL.get(text)
    if small is not None:
        return small
    if "/" in text:
        return normalize(Fraction(text))  # a Ratio, which adds with Decimal
    value = Decimal(text)
    if ("." in text and text.endswith("0")) or "E+" in text:
        return canonical(value)  # written before amounts had a normal form
    return value


def _favor_value(text: str) -> Amount:
    """A plain favor's value that is no small whole number, if a write could
    have made it: more than zero and less than :data:`MAX_VALUE` (a NaN
    raises ``InvalidOperation``); else ``ValueError``, and the row takes the
    checked path, which says what is wrong."""
    value = _amount(text)
    if not 0 < value < MAX_VALUE:
        raise ValueError(text)
    return value


def _sound(entry_id: str, giver: str, receiver: str, at: datetime) -> datetime:
    """``at``, if a plain favor's ids and time are what a write could have
    made (ids not blank, a giver who is not the receiver, a time with its
    offset); else ``ValueError``, as for :func:`_favor_value`."""
    if (
        not (entry_id and giver and receiver)
        or giver == receiver
        or at.utcoffset() is None
    ):
        raise ValueError(entry_id)
    return at


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda raw: None if raw is None else convert(raw)


def _tags(raw: list[str]) -> frozenset[str]:
    return frozenset(raw) if raw else NO_TAGS


def _same(raw: Any) -> Any:
    return raw


_CONVERT: Final[dict[str, Callable[[Any], Any]]] = {
    "str": _same,
    "str | None": _same,
    "Amount": _amount,
    "Amount | None": _optional(_amount),
    "datetime": datetime.fromisoformat,
    "datetime | None": _optional(datetime.fromisoformat),
    "frozenset[str]": _tags,
}
"""How each field type is turned back from its JSON form."""


def _declared(cls: type[Entry], field: attrs.Attribute[Any]) -> str:
    """A field's type as the class spells it (``"Amount | None"``): attrs
    turns ``field.type`` into the objects once anything resolves the types
    (cattrs does, the first time ``dumps_entry`` writes the class), so the
    text is read from the class's own annotations."""
    declared = cls.__annotations__.get(field.name, field.type)
    return declared if isinstance(declared, str) else str(declared)


def _builder(cls: type[Entry]) -> Callable[[dict[str, Any]], Entry] | None:
    """Build a ``cls`` from its JSON fields, or ``None`` if a field's type
    has no trusted conversion (such entries take the checked path).

    The builder is generated, as attrs generates ``__init__``: one line per
    field, a conversion only where the JSON form differs from the value, and
    the entry made by :func:`~favorledger.model.unchecked`.
    """
    fields = attrs.fields(cls)
    if any(_declared(cls, field) not in _CONVERT for field in fields):
        return None
    scope: dict[str, Any] = {"make": unchecked(cls), "small": _SMALL.get}
    lines = ["def build(data):"]
    for n, field in enumerate(fields):
        convert = _CONVERT[_declared(cls, field)]
        value = f"data[{field.name!r}]"
        if convert is _amount:  # the shared small whole amounts first, inline
            lines.append(f"    v{n} = {value}")
            value = f"small(v{n}) or amount(v{n})"
            scope["amount"] = _amount
        elif convert is not _same:
            scope[f"convert_{field.name}"] = convert
            value = f"convert_{field.name}({value})"
        lines.append(f"    v{n} = {value}")
    lines.append(f"    return make({', '.join(f'v{n}' for n in range(len(fields)))})")
    exec("\n".join(lines), scope)  # the source is built from the attrs fields
    build: Callable[[dict[str, Any]], Entry] = scope["build"]
    return build


def utc_text(at: datetime) -> str:
    """``at`` in UTC as fixed-width ISO text, so text order is time order.

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> utc_text(datetime(2024, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))))
    '2024-01-01T00:00:00.000000+00:00'
    """
    if at.tzinfo is UTC:
        return at.isoformat(timespec="microseconds")
    try:
        return at.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:  # within a day of year 1 or 9999
        return at.isoformat(timespec="microseconds")


_UNCONVERT: Final[dict[str, str]] = {
    "str": "{quote}({0})",
    "str | None": '"null" if {0} is None else {quote}({0})',
    "Amount": '"{0}!s"',
    "Amount | None": '"null" if {0} is None else {quote}(str({0}))',
    "datetime": "{quote}({0}.isoformat())",
    "datetime | None": '"null" if {0} is None else {quote}({0}.isoformat())',
    "frozenset[str]": (
        '"[" + ", ".join(map({quote}, sorted({0}))) + "]" if {0} else "[]"'
    ),
}
"""How each field type is written as JSON text (as ``dumps_entry`` writes it:
``json`` with ``ensure_ascii=False`` and its default separators). An amount's
text (digits, a sign, a point, an exponent or a slash) holds nothing JSON
would escape, so it is put between quotes as it is (the ``!s`` form is not an
expression: the field's text itself)."""

_TWO_DIGITS: Final = tuple(f"{n:02d}" for n in range(60))


@functools.lru_cache(maxsize=1024)
def _day(year: int, month: int, day: int) -> str:
    """``YYYY-MM-DD``, as ``datetime.isoformat`` begins (a batch's entries
    share a few days)."""
    return f"{year:04d}-{month:02d}-{day:02d}"


_TIME_LINES: Final = (
    "    if at.tzinfo is utc:",
    "        second = (f'{day(at.year, at.month, at.day)}T{two[at.hour]}:'",
    "                  f'{two[at.minute]}:{two[at.second]}')",
    "        us = at.microsecond",
    "        if us:",
    "            iso = column = f'{second}.{us:06d}+00:00'",
    "        else:",
    "            iso = second + '+00:00'",
    "            column = second + '.000000+00:00'",
    "    else:",
    "        iso = isoformat(at)",
    "        column = utc_text(at)",
)
"""How a row maker writes the entry's time ``at``: in UTC, ``datetime.isoformat``'s
text (``iso``, for the line) and :func:`utc_text`'s (``column``) are built
from the fields, about three times faster than ``isoformat`` itself; any
other zone takes ``isoformat`` and :func:`utc_text`."""

_COUNT_LINES: Final = (
    "    if type(at) is int:",
    "        second = at // 1000000",
    "        last = seconds[0]",
    "        if last[0] == second:",
    "            text = last[1]",
    "        else:",
    "            days, rest = divmod(second, 86400)",
    "            text = (f'{date(days)}T{two[rest // 3600]}:'",
    "                    f'{two[rest // 60 % 60]}:{two[rest % 60]}')",
    "            seconds[0] = second, text",
    "        us = at - second * 1000000",
    "        if us:",
    "            iso = column = f'{text}.{us:06d}+00:00'",
    "        else:",
    "            iso = text + '+00:00'",
    "            column = text + '.000000+00:00'",
    "    el" + _TIME_LINES[0].lstrip(),
    *_TIME_LINES[1:],
)
"""The same for a lean class (:class:`~favorledger.model.Favor`), whose
``_at`` slot may hold a time dated now as microseconds since the epoch: its
text is built from the count, the same bytes as the ``datetime`` it stands
for, which is not made (as :func:`~favorledger.model.count_text`). The text
of the last second written is kept (``seconds[0]``, one tuple, replaced
whole): favors written one after another share their second."""


Row = tuple[str, str, str, str]
"""``(id, type, at, body)``: the columns of a stored entry but its place in
the chain (``at`` as :func:`utc_text` writes it, ``body`` as
:func:`~favorledger.io.jsonl.dumps_entry` does)."""


def _rower(cls: type[Entry], name: str) -> Callable[[Entry], Row] | None:
    """Write a ``cls`` as its row's columns, or ``None`` (the checked path).

    The function is generated: one f-string holding the line's fixed text,
    with each field's value quoted by ``json``'s own string encoder, about
    twice as fast as building a dict for the encoder. The entry's time is
    formatted once, for the line and (when it is in UTC) the store's column.
    """
    fields = attrs.fields(cls)
    if any(_declared(cls, field) not in _UNCONVERT for field in fields) or not any(
        field.name == "at" and _declared(cls, field) == "datetime" for field in fields
    ):
        return None
    lines = ["def row(entry):"]
    slots = cls.__dict__.get("__slots__", ())
    if "_more" in slots:  # a lean class: its rarely set fields, read once
        lines.append("    more = entry._more")
    text = f"{{{{{_quote('format')}: {FORMAT_VERSION}, {_quote('type')}: {_quote(name)}"
    for n, field in enumerate(fields):
        if field.name == "at":  # ISO text holds nothing JSON would escape
            if "_at" in slots:  # a lean class (model._lean): maybe a count
                lines += ["    at = entry._at", *_COUNT_LINES]
            else:
                lines += ["    at = entry.at", *_TIME_LINES]
            text += ', "at": "{iso}"'
            continue
        held = "more" if "_more" in slots and field.name in _MORE_FIELDS else "entry"
        lines.append(f"    v{n} = {held}.{field.name}")
        form = _UNCONVERT[_declared(cls, field)]
        if form == '"{0}!s"':  # the amount's text between quotes, as it is
            text += f', {_quote(field.name)}: "{{v{n}!s}}"'
            continue
        value = form.format(f"v{n}", quote="quote")
        text += f", {_quote(field.name)}: {{{value}}}"
    lines.append(f"    return entry.id, {name!r}, column, f'{text}}}}}'")
    scope: dict[str, Any] = {
        "quote": _quote,
        "utc": UTC,
        "utc_text": utc_text,
        "isoformat": datetime.isoformat,
        "day": _day,
        "two": _TWO_DIGITS,
        "date": _count_day,
        "seconds": [(None, "")],
    }
    exec("\n".join(lines), scope)  # the source is built from the attrs fields
    row: Callable[[Entry], Row] = scope["row"]
    return row


def _any_row(entry: Entry) -> Row:
    """The row of an entry no generated function writes (the checked path)."""
    return entry.id, ENTRY_TYPES[type(entry)], utc_text(entry.at), dumps_entry(entry)


class _RowMakers(dict[type[Entry], Callable[[Entry], Row]]):
    """The row maker of each entry type, generated on its first use: a
    command that writes nothing compiles none (all ten cost an import about
    3 ms)."""

    def __missing__(self, cls: type[Entry]) -> Callable[[Entry], Row]:
        name = ENTRY_TYPES[cls]  # KeyError for what is not an entry
        maker = self[cls] = _rower(cls, name) or _any_row
        return maker


ROW_MAKERS: Final = _RowMakers()
"""The function that makes the :data:`Row` of each entry type (what
:func:`row_of` calls; a store's write looks it up itself)."""


def row_of(entry: Entry) -> Row:
    """``(id, type, at, body)`` of a checked entry: the columns a store
    writes for it (but its ``seq`` and digest), the time formatted once.

    ``body`` is exactly :func:`~favorledger.io.jsonl.dumps_entry`'s line
    (digests and existing stores depend on every byte of it), ``at`` is
    :func:`utc_text`.

    Examples
    --------
    >>> from favorledger import Favor
    >>> from favorledger.io.jsonl import dumps_entry
    >>> favor = Favor(giver="ann", receiver="bob", value="2.50", id="f1",
    ...               at="2024-01-01T09:00:00+09:00", tags={"b", "a"})
    >>> entry_id, kind, at, body = row_of(favor)
    >>> entry_id, kind, at
    ('f1', 'favor', '2024-01-01T00:00:00.000000+00:00')
    >>> body == dumps_entry(favor)
    True
    """
    return ROW_MAKERS[type(entry)](entry)


def dumps_stored(entry: Entry) -> str:
    """The JSON line of an entry the ledger has checked, exactly as
    :func:`~favorledger.io.jsonl.dumps_entry` writes it, but faster.

    Examples
    --------
    >>> from favorledger import Favor
    >>> from favorledger.io.jsonl import dumps_entry
    >>> favor = Favor(giver="ann", receiver="bob", value="2.50", id="f1",
    ...               at="2024-01-01T00:00:00+09:00", tags={"b", "a"})
    >>> dumps_stored(favor) == dumps_entry(favor)
    True
    """
    return ROW_MAKERS[type(entry)](entry)[3]


def dumps_row(entry: Entry) -> tuple[str, str]:
    """The JSON line of a checked entry (as :func:`dumps_stored`) and its time
    as :func:`utc_text`, formatting the time once when it is in UTC.

    Examples
    --------
    >>> from favorledger import Favor
    >>> favor = Favor(giver="ann", receiver="bob", value=1, id="f1",
    ...               at="2024-01-01T00:00:00+00:00")
    >>> dumps_row(favor) == (dumps_stored(favor), utc_text(favor.at))
    True
    >>> dumps_row(favor)[1]
    '2024-01-01T00:00:00.000000+00:00'
    """
    _, _, at, body = ROW_MAKERS[type(entry)](entry)
    return body, at


_BUILDERS: Final = {
    name: build
    for cls, name in ENTRY_TYPES.items()
    if (build := _builder(cls)) is not None
}


_TEXT: Final = r'"([^"\\\x00-\x1f]*)"'  # a JSON string with nothing escaped
_PLAIN_FAVOR: Final = re.compile(
    f'{{"format": {FORMAT_VERSION}, "type": "favor", "id": {_TEXT},'
    f' "giver": {_TEXT}, "receiver": {_TEXT}, "value": {_TEXT}, "kind": {_TEXT},'
    f' "at": {_TEXT}, "via": null, "reason": "", "tags": \\[\\],'
    ' "referral_share": null, "fulfils": null}'
)
"""The line of the commonest favor (no referrer, reason, tags or pledge, and
no text that needed escaping), read by one match instead of the JSON
decoder: about three times faster."""
_intern: Final = sys.intern


def plain_favor(line: str) -> Favor | None:
    """The favor a store's line holds, if it is the commonest kind (no
    referrer, reason, tags or pledge, nothing escaped); else ``None``.

    Like every favor the ledger builds from checked values, it is taken off
    the cyclic collector (``favorledger._collector.untrack``): it holds
    only atoms.

    Examples
    --------
    >>> from favorledger import Favor
    >>> from favorledger.io.jsonl import dumps_entry
    >>> favor = Favor(giver="ann", receiver="bob", value=2, id="f1",
    ...               at="2024-01-01T00:00:00+00:00")
    >>> plain_favor(dumps_entry(favor)) == favor
    True
    >>> plain_favor(dumps_entry(Favor(giver="ann", receiver="bob", value=2,
    ...                               reason="thanks"))) is None
    True
    """
    match = _PLAIN_FAVOR.fullmatch(line)
    if match is None:
        return None
    entry_id, giver, receiver, value, kind, at = match.groups()
    amount = _SMALL.get(value) or _favor_value(value)
    moment = _sound(entry_id, giver, receiver, datetime.fromisoformat(at))
    favor = _plain_favor(  # one string per person, one _More per kind
        entry_id,
        _intern(giver),
        _intern(receiver),
        amount,
        moment,
        _PLAIN_MORE.get(kind) or _more(_intern(kind), None, "", NO_TAGS, None, None),
    )
    untrack(favor)
    return favor


RUN: Final = 512
"""How many plain favors :func:`replay_rows` hands over at a time."""


def replay_rows(
    rows: Iterable[tuple[int, str, str]],
    plains: Callable[[list[Favor], Sequence[int]], object],
    other: Callable[[int, str, str], object],
) -> None:
    """Read a store's ``(seq, type, body)`` rows in order: each run of plain
    favors (those :func:`plain_favor` reads) goes to ``plains`` as a list
    of favors (at most :data:`RUN`) with their ``seq``, every other row to
    ``other`` as it is, in the order of the rows.

    The favors are :func:`plain_favor`'s, made in one loop rather than a
    call a row (the same match, conversions and builder): reopening a store
    spends most of its time here. A line that looks plain but whose time or
    value cannot be read, or holds what no write makes (a value out of
    range, a favor to oneself, a blank id, a time without its offset:
    changed around the library) goes to ``other``, whose checked path says
    what is wrong.

    Examples
    --------
    >>> from favorledger import Favor, Person
    >>> from favorledger.io.jsonl import dumps_entry
    >>> f = Favor(giver="ann", receiver="bob", value=2, id="f1",
    ...           at="2024-01-01T00:00:00+00:00")
    >>> rows = [(1, "favor", dumps_entry(f)), (2, "person", "{...}")]
    >>> replay_rows(rows, lambda run, seqs: print(run == [f], seqs),
    ...             lambda seq, kind, body: print(seq, kind))
    True [1]
    2 person
    """
    match, small, amount, make = (
        _PLAIN_FAVOR.fullmatch,
        _SMALL.get,
        _favor_value,
        _plain_favor,
    )
    intern, moment, tags, forget = _intern, datetime.fromisoformat, NO_TAGS, untrack
    shared, more = _PLAIN_MORE.get, _more  # a plain favor's kind and the rest
    names: dict[str, str] = {}  # each person's id as interned: a small dict
    known = names.get  # is faster to ask than the interpreter's (about 0.1 µs)
    run: list[Favor] = []
    seqs: list[int] = []
    for seq, kind, body in rows:
        found = match(body) if kind == "favor" else None
        if found is not None:
            entry_id, giver, receiver, value, sort, at = found.groups()
            try:
                favor = make(  # as plain_favor makes it
                    entry_id,
                    known(giver) or names.setdefault(giver, intern(giver)),
                    known(receiver) or names.setdefault(receiver, intern(receiver)),
                    small(value) or amount(value),
                    _sound(entry_id, giver, receiver, moment(at)),
                    shared(sort) or more(intern(sort), None, "", tags, None, None),
                )
            except (ValueError, ArithmeticError):  # a line changed around us
                found = None  # the checked path says what is wrong
        if found is None:
            if run:
                plains(run, seqs)
                run, seqs = [], []
            other(seq, kind, body)
            continue
        forget(favor)
        run.append(favor)
        seqs.append(seq)
        if len(run) == RUN:
            plains(run, seqs)
            run, seqs = [], []
    if run:
        plains(run, seqs)


def loads_stored(line: str) -> Entry:
    """Rebuild an entry from a line a favorledger store wrote.

    Raises
    ------
    FormatError
        If the line cannot be read (as :func:`~favorledger.io.jsonl.loads_entry`).
    """
    try:
        plain = plain_favor(line)
        if plain is not None:
            return plain
        data, end = _scan(line, 0)  # json's own scanner, without its wrappers
        if end != len(line):
            return loads_entry(line)
        build = _BUILDERS[data["type"]]
        if data["format"] != FORMAT_VERSION:
            return loads_entry(line)
        return build(data)
    except (
        KeyError,
        TypeError,
        ValueError,
        ArithmeticError,
        AttributeError,
        StopIteration,
    ):
        return loads_entry(line)  # reports what is wrong with it
