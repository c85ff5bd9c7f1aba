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

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from json.encoder import encode_basestring
from typing import Any, Final

import attrs

from favorledger._collector import untrack
from favorledger._exact import SMALL_INTS, Amount, canonical, normalize
from favorledger.io.jsonl import ENTRY_TYPES, FORMAT_VERSION, dumps_entry, loads_entry
from favorledger.model import NO_TAGS, Entry, Favor, unchecked

__all__ = ["dumps_row", "dumps_stored", "loads_stored", "plain_favor", "utc_text"]

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


def _builder(cls: type[Entry]) -> Callable[[dict[str, Any]], Entry] | None:
    """Build a ``cls`` from its JSON fields, or ``None`` if a field's type
    has no trusted conversion (such entries take the checked path).

    The builder is generated, as attrs generates ``__init__``: one line per
    field, a conversion only where the JSON form differs from the value, and
    the entry made by :func:`~favorledger.model.unchecked`.
    """
    fields = attrs.fields(cls)
    if any(field.type not in _CONVERT for field in fields):
        return None
    scope: dict[str, Any] = {"make": unchecked(cls), "small": _SMALL.get}
    lines = ["def build(data):"]
    for n, field in enumerate(fields):
        convert = _CONVERT[str(field.type)]
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


_UNCONVERT: Final[dict[str, str]] = {
    "str": "{quote}({0})",
    "str | None": '"null" if {0} is None else {quote}({0})',
    "Amount": "{quote}(str({0}))",
    "Amount | None": '"null" if {0} is None else {quote}(str({0}))',
    "datetime": "{quote}({0}.isoformat())",
    "datetime | None": '"null" if {0} is None else {quote}({0}.isoformat())',
    "frozenset[str]": (
        '"[" + ", ".join(map({quote}, sorted({0}))) + "]" if {0} else "[]"'
    ),
}
"""How each field type is written as JSON text (as ``dumps_entry`` writes it:
``json`` with ``ensure_ascii=False`` and its default separators)."""


def _dumper(cls: type[Entry], name: str) -> Callable[[Entry], tuple[str, str]] | None:
    """Write a ``cls`` as its JSON line, or ``None`` (the checked path).

    The dumper is generated: one f-string holding the line's fixed text, with
    each field's value quoted by ``json``'s own string encoder, about twice
    as fast as building a dict for the encoder. It returns the line and the
    ISO text of the entry's ``at`` (computed once, for the store's column).
    """
    fields = attrs.fields(cls)
    if any(field.type not in _UNCONVERT for field in fields) or not any(
        field.name == "at" and str(field.type) == "datetime" for field in fields
    ):
        return None
    lines = ["def dump(entry):"]
    text = f"{{{{{_quote('format')}: {FORMAT_VERSION}, {_quote('type')}: {_quote(name)}"
    for n, field in enumerate(fields):
        if field.name == "at":  # ISO text holds nothing JSON would escape
            lines.append("    at = entry.at.isoformat()")
            text += ', "at": "{at}"'
            continue
        lines.append(f"    v{n} = entry.{field.name}")
        value = _UNCONVERT[str(field.type)].format(f"v{n}", quote="quote")
        text += f", {_quote(field.name)}: {{{value}}}"
    lines.append(f"    return f'{text}}}}}', at")
    scope: dict[str, Any] = {"quote": _quote}
    exec("\n".join(lines), scope)  # the source is built from the attrs fields
    dump: Callable[[Entry], tuple[str, str]] = scope["dump"]
    return dump


_DUMPERS: Final = {
    cls: dump
    for cls, name in ENTRY_TYPES.items()
    if (dump := _dumper(cls, name)) is not None
}


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
    dump = _DUMPERS.get(type(entry))
    return dumps_entry(entry) if dump is None else dump(entry)[0]


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
    dump = _DUMPERS.get(type(entry))
    if dump is None:
        return dumps_entry(entry), utc_text(entry.at)
    body, iso = dump(entry)
    at = entry.at
    if at.tzinfo is not UTC:
        return body, utc_text(at)
    return body, iso if at.microsecond else f"{iso[:19]}.000000{iso[19:]}"


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
_favor: Final = unchecked(Favor)
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
    amount = _SMALL.get(value) or _amount(value)
    moment = datetime.fromisoformat(at)
    favor = _favor(  # one string per person and kind, not one per favor
        entry_id,
        _intern(giver),
        _intern(receiver),
        amount,
        _intern(kind),
        moment,
        None,
        "",
        NO_TAGS,
        None,
        None,
    )
    untrack(favor)
    return favor


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
