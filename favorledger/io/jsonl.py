"""JSON Lines: the ledger's native log format, one entry per line.

Each line is a JSON object with the format version, the entry's type
(``person``, ``tie``, ``favor`` or ``reversal``) and its fields. Amounts are written
as text (``"2.50"``, ``"1/3"``) so they stay exact (a JSON number is read as
the exact decimal it spells, never as a float); times are ISO-8601 with their
offset; tags are sorted lists.

Writing goes to a temporary file that is flushed, fsynced and then renamed
over the target, so a crash never leaves half a file. Reading stops at the
first bad line with a :class:`~favorledger.FormatError` that names the file,
the line number, the field and the value; the one exception is a final line
with no newline that does not parse (a write torn by a crash), which is
skipped with a :class:`TornLineWarning`.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, get_origin

import attrs
import cattrs

from favorledger.errors import FavorLedgerError, FormatError, InvalidValueError
from favorledger.model import (
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
)

__all__ = [
    "ENTRY_TYPES",
    "FORMAT_VERSION",
    "TornLineWarning",
    "dumps_entry",
    "file_mode_for",
    "fsync_directory",
    "loads_entry",
    "read_jsonl",
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
    """A final line without a newline could not be read and was skipped."""


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, prefer_attrib_converters=True)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(Fraction, str)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook_func(_is_frozenset, sorted)
    return converter


_CONVERTER: Final = _make_converter()


def dumps_entry(entry: Entry) -> str:
    """Return one entry as a line of JSON (without the newline)."""
    name = ENTRY_TYPES.get(type(entry))
    if name is None:
        raise InvalidValueError(
            f"entry must be a Person, Tie, Favor or Reversal, got {entry!r}"
        )
    body: dict[str, Any] = {"format": FORMAT_VERSION, "type": name}
    body.update(_CONVERTER.unstructure(entry))
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
Decimal('-0.5')
    """
    try:
        data = json.loads(line, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise FormatError(f"an entry must be a JSON object, got {line.strip()!r}")
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
    return _structure(data, cls)


def _structure(data: dict[str, Any], cls: type[Entry]) -> Entry:
    try:
        entry: Entry = _CONVERTER.structure(data, cls)
    except FavorLedgerError as exc:
        raise FormatError(str(exc)) from exc
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        raise FormatError(_details(exc, cls)) from exc
    return entry


def _details(exc: Exception, cls: type[Entry]) -> str:
    """Our own message if a field converter refused a value, else cattrs' path."""
    if isinstance(exc, cattrs.BaseValidationError):
        ours = [e for e in exc.exceptions if isinstance(e, FavorLedgerError)]
        if ours:
            return str(ours[0])
        return "; ".join(cattrs.transform_error(exc, path=cls.__name__))
    return f"{cls.__name__}: {exc}"


def write_jsonl(entries: Iterable[Entry], path: str | os.PathLike[str]) -> int:
    """Write ``entries`` to ``path`` atomically, one per line; return the count.

    The file is written beside the target, flushed and fsynced, then renamed
    over it: a crash leaves either the old file or the whole new one.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    count = 0
    try:
        os.chmod(temporary, file_mode_for(target))
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for entry in entries:
                out.write(dumps_entry(entry) + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)
    return count


def file_mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (where the platform allows it)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def read_jsonl(path: str | os.PathLike[str]) -> list[Entry]:
    """Read the entries in a JSON Lines file written by :func:`write_jsonl`.

    Blank lines are skipped.

    Raises
    ------
    FormatError
        At the first bad line, naming the file and line number (a torn final
        line without a newline is skipped with a :class:`TornLineWarning`).
    """
    name = os.fspath(path)
    entries: list[Entry] = []
    with open(name, encoding="utf-8", newline="\n") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                entries.append(loads_entry(line))
            except FormatError as exc:
                if not line.endswith("\n"):
                    warnings.warn(
                        f"{name}:{number}: skipped a torn final line ({exc})",
                        TornLineWarning,
                        stacklevel=2,
                    )
                    break
                raise FormatError(
                    f"{name}:{number}: {exc}", path=name, line=number
                ) from exc
    return entries
