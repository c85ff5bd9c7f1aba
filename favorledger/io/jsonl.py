"""JSON Lines: the ledger's native log format, one entry per line.

Each line is a JSON object with the format version, the entry's type
(``person``, ``tie``, ``favor`` or ``reversal``) and its fields. Amounts are written
as text (``"2.50"``, ``"1/3"``) so they stay exact (a JSON number is read as
the exact decimal it spells, never as a float); times are ISO-8601 with their
offset; tags are sorted lists.

Writing goes to a temporary file that is flushed, fsynced and then renamed
over the target, so a crash never leaves half a file (see
:func:`favorledger.io.files.writing`: symbolic links, devices and SQLite
databases are respected).

Reading is strict, and all or nothing: it stops at the first bad line with a
:class:`~favorledger.FormatError` that names the file, the line number, the
field and the value, and nothing is returned. A line must be one JSON object
of at most :data:`~favorledger.io.files.MAX_LINE_BYTES` UTF-8 bytes, with no
duplicate keys, each field of its JSON type (text for ids, times and
amounts-as-text; a number or text for amounts; a list of strings for tags;
``null`` only where a field is optional). A final line without a newline is
read like any other: a user's file that was cut short fails at that line.
Only a caller recovering a log it appended itself may ask to skip a final
line that is cut off mid-JSON (``skip_torn_tail=True``), with a
:class:`TornLineWarning`.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, get_origin

import attrs

from favorledger._exact import MAX_TEXT
from favorledger.errors import (
    FavorLedgerError,
    FormatError,
    InvalidValueError,
    shown,
)
from favorledger.io.files import (
    MAX_LINE_BYTES,
    LongNumber,
    file_mode_for,
    fsync_directory,
    parse_json,
    reading,
    utf8_lines,
    writing_text,
    wrong_format,
)
from favorledger.model import (
    _MORE_FIELDS,
    FULL,
    Answer,
    Ask,
    Assignment,
    Entry,
    Favor,
    Person,
    Pledge,
    Release,
    Reversal,
    Settlement,
    Tie,
    count_text,
)

if TYPE_CHECKING:
    import cattrs

    from favorledger.io.tables import Progress
    from favorledger.ledger import Ledger

__all__ = [
    "ENTRY_TYPES",
    "FORMAT_VERSION",
    "TornLineWarning",
    "dumps_entry",
    "file_mode_for",
    "fsync_directory",
    "import_jsonl",
    "loads_entry",
    "read_jsonl",
    "read_jsonl_located",
    "write_jsonl",
]

FORMAT_VERSION: Final = 1
"""The version of the line format this library writes and reads."""

_TYPES: Final[dict[str, type[Entry]]] = {
    "person": Person,
    "favor": Favor,
    "reversal": Reversal,
    "tie": Tie,
    "pledge": Pledge,
    "release": Release,
    "ask": Ask,
    "answer": Answer,
    "assignment": Assignment,
    "settlement": Settlement,
}
ENTRY_TYPES: Final = {cls: name for name, cls in _TYPES.items()}
# Fields a file must state even where the class has a default: an entry read
# twice must be the same entry, not get a fresh id or time each read.
_REQUIRED: Final[dict[type[Entry], tuple[str, ...]]] = {
    cls: tuple(field.name for field in attrs.fields(cls) if field.name in ("id", "at"))
    for cls in _TYPES.values()
}


class TornLineWarning(UserWarning):
    """A final line cut off mid-JSON was skipped (only when asked for)."""


def _string(value: object) -> bool:
    return type(value) is str


def _amount(value: object) -> bool:
    return type(value) in (str, int, Decimal)


def _strings(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


# The JSON type each kind of field must have, by the field's annotation.
_JSON_TYPES: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "str": (_string, "text"),
    "datetime": (_string, "text (an ISO-8601 time)"),
    "Amount": (_amount, "a number or numeric text"),
    "frozenset[str]": (_strings, "a list of strings"),
}


def _expected(annotation: str) -> tuple[Callable[[object], bool], str, bool] | None:
    optional = annotation.endswith(" | None")
    found = _JSON_TYPES.get(annotation.removesuffix(" | None"))
    return None if found is None else (*found, optional)


_FIELD_TYPES: Final = {
    cls: {
        field.name: expected
        for field in attrs.fields(cls)
        if (expected := _expected(str(field.type))) is not None
    }
    for cls in _TYPES.values()
}


def _check_types(data: dict[str, Any], cls: type[Entry]) -> None:
    """Refuse a field of the wrong JSON type before the model sees it (the
    model would take ``{"a": 1}`` as the tags ``a``)."""
    types = _FIELD_TYPES[cls]
    for key, value in data.items():
        expected = types.get(key)
        if expected is None or (value is None and expected[2]):
            continue
        check, wanted, optional = expected
        if not check(value):
            if isinstance(value, LongNumber):
                wanted = f"a number of at most {MAX_TEXT} characters"
            or_null = " or null" if optional else ""
            raise FormatError(
                f"{cls.__name__}.{key} must be {wanted}{or_null}, got"
                f" {shown(value)} ({_json_type(value)})"
            )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _make_converter() -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True, prefer_attrib_converters=True)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(Fraction, str)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook_func(_is_frozenset, sorted)
    for lean in FULL:
        converter.register_unstructure_hook(lean, _lean_unstructure(converter, lean))
    return converter


def _lean_unstructure(
    converter: cattrs.Converter, cls: type
) -> Callable[[Any], dict[str, Any]]:
    """The dict ``converter`` makes of a lean class's instance (such as a
    :class:`~favorledger.model.Favor`, see ``model._lean``), read from its
    slots: its rarely set fields from its ``_more`` read once rather than
    through six properties, and a time dated now written from its count
    (:func:`~favorledger.model.count_text`), making no ``datetime``. The
    same keys, order and values as the function cattrs generates for the
    class with a slot a field (each field through the converter's hook for
    its type, a string as it is)."""
    from cattrs.fns import identity

    template = FULL[cls]
    attrs.resolve_types(template)
    scope: dict[str, Any] = {"count_text": count_text}
    items = []
    for field in attrs.fields(template):
        held = "more" if field.name in _MORE_FIELDS else "entry"
        read = f"{held}.{field.name}"
        hook = converter.get_unstructure_hook(field.type)  # cattrs 24.1 on
        if field.name == "at":
            read = "(count_text(at) if type(at) is int else hook_at(at))"
        elif hook is identity:
            items.append(f"{field.name!r}: {read}")
            continue
        else:
            read = f"hook_{field.name}({read})"
        scope[f"hook_{field.name}"] = hook
        items.append(f"{field.name!r}: {read}")
    lines = [
        "def unstructure(entry):",
        "    more = entry._more",
        "    at = entry._at",
        f"    return {{{', '.join(items)}}}",
    ]
    exec("\n".join(lines), scope)  # the source is built from the attrs fields
    unstructure: Callable[[Any], dict[str, Any]] = scope["unstructure"]
    return unstructure


@functools.cache
def _converter() -> cattrs.Converter:
    """The one converter, made on first use: importing cattrs costs a command
    about 35 ms (``python -X importtime``), and one that writes no entry as
    JSON (a store replays its favors through :mod:`.stored`) never needs it."""
    return _make_converter()


def dumps_entry(entry: Entry) -> str:
    """Return one entry as a line of JSON (without the newline)."""
    name = ENTRY_TYPES.get(type(entry))
    if name is None:
        raise InvalidValueError(
            f"entry must be a Person, Tie, Favor or Reversal, got {entry!r}"
        )
    body: dict[str, Any] = {"format": FORMAT_VERSION, "type": name}
    body.update(_converter().unstructure(entry))
    return json.dumps(body, ensure_ascii=False)


def loads_entry(line: str) -> Entry:
    """Parse one line written by :func:`dumps_entry`.

    Raises
    ------
    FormatError
        If the line is not a valid entry; the message names the field.

    Examples
    --------
    >>> loads_entry('{"format": 1, "type": "person", "id": "ann", "name": "Ann",'
    ...             ' "at": "2024-01-01T00:00:00+00:00"}')
    Person(id='ann', name='Ann', tags=frozenset())
    >>> loads_entry('{"format": 1, "type": "favor", "id": "f1", "giver": "a",'
    ...             ' "receiver": "b", "value": -0.5, "at": "2024-01-01T00:00Z"}')
    Traceback (most recent call last):
    ...
    favorledger.errors.FormatError: Favor.value must be positive, got \
-0.5
    """
    if len(line) > MAX_LINE_BYTES:
        raise FormatError(f"an entry must be at most {MAX_LINE_BYTES:,} characters")
    data = parse_json(line)
    if not isinstance(data, dict):
        raise FormatError(f"an entry must be a JSON object, got {shown(line.strip())}")
    version = data.pop("format", None)
    if type(version) is not int or version != FORMAT_VERSION:
        raise FormatError(f"format must be {FORMAT_VERSION}, got {version!r}")
    kind = data.pop("type", None)
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise FormatError(f"type must be one of {sorted(_TYPES)}, got {kind!r}")
    missing = [key for key in _REQUIRED[cls] if key not in data]
    if missing:
        raise FormatError(f"{cls.__name__}: missing field {missing[0]!r}")
    _check_types(data, cls)
    return _structure(data, cls)


def _structure(data: dict[str, Any], cls: type[Entry]) -> Entry:
    converter = _converter()
    import cattrs

    try:
        entry: Entry = converter.structure(data, cls)
    except FavorLedgerError as exc:
        raise FormatError(str(exc)) from exc
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        raise FormatError(_details(exc, cls)) from exc
    return entry


def _details(exc: Exception, cls: type[Entry]) -> str:
    """Our own message if a field converter refused a value, else cattrs' path."""
    import cattrs

    if isinstance(exc, cattrs.BaseValidationError):
        ours = [e for e in exc.exceptions if isinstance(e, FavorLedgerError)]
        if ours:
            return str(ours[0])
        return "; ".join(cattrs.transform_error(exc, path=cls.__name__))
    return f"{cls.__name__}: {exc}"


def write_jsonl(
    entries: Iterable[Entry], path: str | os.PathLike[str], *, force: bool = False
) -> int:
    """Write ``entries`` to ``path`` atomically, one per line; return the count.

    The file is written beside the target, flushed and fsynced, then renamed
    over it: a crash leaves either the old file or the whole new one. ``-``,
    devices and FIFOs are written directly; an SQLite database is refused
    unless ``force`` (see :func:`favorledger.io.files.writing`).
    """
    count = 0
    with writing_text(path, force=force) as out:
        for entry in entries:
            out.write(dumps_entry(entry) + "\n")
            count += 1
    return count


def read_jsonl(
    path: str | os.PathLike[str], *, skip_torn_tail: bool = False
) -> list[Entry]:
    """Read the entries in a JSON Lines file, all or nothing.

    Blank lines are skipped.

    Parameters
    ----------
    path
        The file.
    skip_torn_tail
        Only for recovering a log the caller appended to itself: skip a final
        line without a newline that is cut off mid-JSON, with a
        :class:`TornLineWarning`. A complete but invalid final line is an
        error all the same. Importing a user's file must not use this.

    Raises
    ------
    FormatError
        At the first bad line, naming the file and line number (and the
        field and value); nothing is returned.
    """
    located = _read_located(path, skip_torn_tail)
    return [entry for _, entry in located]


def import_jsonl(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> int:
    """Add the entries of a JSON Lines file to ``ledger``, all or nothing.

    As ``ledger.add_many(read_jsonl(path))``, but an entry the ledger
    refuses is named by the file and its line. Importing the same file
    again adds nothing.

    Returns
    -------
    int
        How many entries were new.

    Raises
    ------
    FormatError
        For a bad line, or an entry the ledger refuses (an id recorded with
        another body, an unknown person in a strict ledger), naming the file
        and the line; the ledger is unchanged.
    StoreError
        If a stored ledger's file refuses the batch (the ledger is unchanged).

    Examples
    --------
    >>> import os, tempfile
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 1, id="f1", at="2024-01-01T00:00Z")
    >>> path = os.path.join(tempfile.mkdtemp(), "log.jsonl")
    >>> write_jsonl(led.log, path)
    1
    >>> other = Ledger()
    >>> _ = other.record("ann", "bob", 2, id="f1", at="2024-01-01T00:00Z")
    >>> import_jsonl(other, path)
    Traceback (most recent call last):
    ...
    favorledger.errors.FormatError: /...log.jsonl:1: Favor.id 'f1' is already \
recorded with a different body: value 2 != 1
    """
    name = os.fspath(path)
    located: list[tuple[int | None, Entry]] = list(read_jsonl_located(name))
    from favorledger.io.tables import _add_located  # tables: imports only

    return _add_located(ledger, name, located, progress)


def read_jsonl_located(
    path: str | os.PathLike[str], *, skip_torn_tail: bool = False
) -> list[tuple[int, Entry]]:
    """:func:`read_jsonl`, with each entry's line number."""
    return _read_located(path, skip_torn_tail)


def _read_located(
    path: str | os.PathLike[str], skip_torn_tail: bool
) -> list[tuple[int, Entry]]:
    """Read ``path`` for one of the two public readers.

    A skipped torn tail is warned about at the line that called that reader,
    three frames up.
    """
    name = os.fspath(path)
    entries: list[tuple[int, Entry]] = []
    with reading(name) as source:
        lines = utf8_lines(name, source)
        for number, line in lines:
            if not line.strip():
                continue
            try:
                entries.append((number, loads_entry(line)))
            except FormatError as exc:
                if skip_torn_tail and _torn(line, exc):
                    warnings.warn(
                        f"{name}:{number}: skipped a torn final line ({exc})",
                        TornLineWarning,
                        stacklevel=3,
                    )
                    break
                wrong = None if entries else _other_format(name, line, lines)
                raise wrong or FormatError(
                    f"{name}:{number}: {exc}", path=name, line=number
                ) from exc
    return entries


def _other_format(
    name: str, first: str, lines: Iterator[tuple[int, str]]
) -> FormatError | None:
    """The error for a file whose first entry is no JSON but starts a CSV
    table or a graph file (told by the lines after it, too)."""
    try:
        ahead = "".join(text for _, text in itertools.islice(lines, 20))
    except FormatError:  # a bad line further on: tell by the first alone
        ahead = ""
    return wrong_format(name, first + ahead, "jsonl")


def _torn(line: str, error: FormatError) -> bool:
    """A final line cut off by a crash: no newline, and not even whole JSON."""
    return not line.endswith("\n") and str(error).startswith("not valid JSON")
