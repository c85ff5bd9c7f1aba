"""CSV tables: favors for spreadsheets, and an edge table for DuckDB or Spark.

**The favor table** (:func:`write_csv`, :func:`read_csv`, :func:`import_csv`)
has a header row and one row per favor, in the order recorded: one column
per field of :class:`~favorledger.Favor` (``id, giver, receiver, value, kind,
at, via, reason, tags, referral_share, ...``), then ``reversal_id,
reversed_at, reversal_reason``.

Values are exact text (``2.50``, ``1/3``), times ISO-8601 with their offset,
tags a JSON list (``["advice", "python"]``), and a reversed favor carries its
reversal in the last three columns. Only ``giver``, ``receiver`` and
``value`` are required when reading: a row without an ``id`` gets one
derived from the file's name and the row's content (:func:`derived_id`), a
row without ``at`` is dated when it is first imported (:func:`import_csv`),
and an empty cell of another column means that field's default (``favor``
for ``kind``). People's names
and tags, stated ties and market entries are not part of this table (use
JSON Lines or the store for the whole log).

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be run as a formula by a spreadsheet; it is written with a leading
``'`` (and a cell that begins with ``'`` gets one more), and reading removes
it again, so every cell round-trips exactly.

**The edge table** (:func:`write_edges`, :func:`read_edges`) has one row per
obligation of each favor that is not reversed, with the columns
``id, src, dst, amount, at, via, kind``: ``dst`` owes ``src`` ``amount``
because of favor ``id``. The receiver's row has ``dst`` = the receiver; the
referrer's row has ``dst`` = ``via``. A person's balance is what they are owed
minus what they owe::

    balance(p) = sum(amount where src = p) - sum(amount where dst = p)

Amounts that have no finite decimal expansion are written ``n/d``.

Examples
--------
>>> import os, tempfile, favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", "2.50", via="bob", id="f1",
...                at="2024-05-01T09:00+00:00", reason="=HYPERLINK()")
>>> path = os.path.join(tempfile.mkdtemp(), "favors.csv")
>>> write_csv(led, path)
1
>>> from pathlib import Path
>>> print(Path(path).read_text(encoding="utf-8").splitlines()[1])
f1,carol,me,2.5,favor,2024-05-01T09:00:00+00:00,bob,'=HYPERLINK(),,0.5,,,,
>>> read_csv(path) == list(led.log)
True
>>> _ = Path(path).write_text("giver,receiver,value\\nann,bob,2\\n", encoding="utf-8")
>>> [(favor.id[:4], favor.giver, favor.value) for favor in read_csv(path)]
[('csv-', 'ann', Decimal('2'))]
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Final

import attrs

from favorledger._exact import Amount, AmountLike, canonical, normalize
from favorledger.errors import (
    FavorLedgerError,
    FormatError,
    InvalidValueError,
    UnknownFavorError,
    shown,
)
from favorledger.io.files import (
    parse_json,
    reading,
    utf8_lines,
    writing,
    writing_text,
    wrong_format,
)
from favorledger.model import (
    Entry,
    Favor,
    Person,
    Reversal,
    as_moment,
    not_after_now,
    utcnow,
)

if TYPE_CHECKING:
    from favorledger.ledger import Ledger

__all__ = [
    "EDGE_COLUMNS",
    "FAVOR_COLUMNS",
    "Edge",
    "Progress",
    "Skipped",
    "date_as_midnight",
    "derived_id",
    "escape_cell",
    "import_csv",
    "not_recorded",
    "read_csv",
    "read_edges",
    "refuse_future",
    "split_recorded",
    "unescape_cell",
    "write_csv",
    "write_edges",
]

Progress = Callable[[int, int], object]
"""A progress callback: called as ``progress(done, total)`` while working."""

Skipped = Callable[[int | None, str], object]
"""Told of a row already recorded: called as ``skipped(line, id)``."""

_FAVOR_FIELDS: Final = tuple(field.name for field in attrs.fields(Favor))
_SETS: Final = frozenset(
    field.name for field in attrs.fields(Favor) if "frozenset" in str(field.type)
)

FAVOR_COLUMNS: Final = (*_FAVOR_FIELDS, "reversal_id", "reversed_at", "reversal_reason")
"""The favor table's columns, in the order written: every field of
:class:`~favorledger.Favor`, then the reversal's id, time and reason."""

_REQUIRED: Final = ("giver", "receiver", "value")
"""The columns a hand-written favor table needs; the others are optional."""

EDGE_COLUMNS: Final = ("id", "src", "dst", "amount", "at", "via", "kind")
"""The edge table's columns."""

_FORMULA_STARTS: Final = frozenset("=+-@\t\r'")


def escape_cell(text: str) -> str:
    """Make ``text`` safe for a spreadsheet cell, reversibly.

    A cell a spreadsheet would run as a formula (one starting with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'``; so does
    one that starts with ``'``, so that :func:`unescape_cell` can always undo
    it.

    Examples
    --------
    >>> escape_cell("=1+1"), escape_cell("-3"), escape_cell("'tis"), escape_cell("ok")
    ("'=1+1", "'-3", "''tis", 'ok')
    """
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def unescape_cell(text: str) -> str:
    """Undo :func:`escape_cell` (a lone leading ``'`` before other text stays).

    Examples
    --------
    >>> unescape_cell("'=1+1"), unescape_cell("''tis"), unescape_cell("'tis")
    ('=1+1', "'tis", "'tis")
    """
    if text[:1] == "'" and text[1:2] in _FORMULA_STARTS:
        return text[1:]
    return text


# ------------------------------------------------------------------ writing


def _atomic_text(
    path: str | os.PathLike[str], *, force: bool = False
) -> AbstractContextManager[IO[str]]:
    """A UTF-8 text file that replaces ``path`` safely (see
    :func:`favorledger.io.files.writing`)."""
    return writing_text(path, force=force, newline="")


def _atomic_bytes(
    path: str | os.PathLike[str], data: bytes, *, force: bool = False
) -> None:
    """Replace ``path`` with ``data`` safely (see
    :func:`favorledger.io.files.writing`)."""
    with writing(path, force=force) as out:
        out.write(data)


def _text(value: object) -> str:
    """A field as table text: exact amounts, ISO times, JSON tag lists."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset):
        return json.dumps(sorted(value), ensure_ascii=False) if value else ""
    return str(value)


def _favor_row(favor: Favor, reversal: Reversal | None) -> list[str]:
    # a CSV holds favors only: the pledge or ask a favor fulfils is not in it,
    # so the link is left out (the favor and every balance are the same;
    # importing the row back into its ledger finds the favor: not_recorded)
    cells = [
        "" if name == "fulfils" else _text(getattr(favor, name))
        for name in _FAVOR_FIELDS
    ]
    if reversal is None:
        cells += ["", "", ""]
    else:
        cells += [reversal.id, _text(reversal.at), reversal.reason]
    return [escape_cell(cell) for cell in cells]


def write_csv(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> int:
    """Write every favor (with its reversal, if any) to ``path`` as CSV.

    The table holds favors only: settlements (and their reversals), like
    pledges, asks and assignments, are left out, so the file imports into a
    new ledger with the balances and debts of the favors alone
    (:func:`favorledger.io.exported.compared` says whether those are the
    ledger's). The pledge or ask a favor fulfils is left out too; importing
    the file back into its own ledger adds nothing. A new file appears
    whole; an existing one is refused unless ``force``, then replaced
    atomically (see :func:`favorledger.io.files.writing`).

    Parameters
    ----------
    ledger
        The ledger to export.
    path
        The CSV file to write (UTF-8, comma-separated, with a header).
    progress
        Called as ``progress(done, total)`` after each row.
    force
        Replace ``path`` if it exists (even an SQLite database).

    Returns
    -------
    int
        The number of favors written.

    Raises
    ------
    OverwriteError
        If ``path`` exists and ``force`` is false (nothing is written).
    """
    favors = list(ledger.favors.values())
    reversals = ledger.reversals
    with _atomic_text(path, force=force) as out:
        writer = csv.writer(out)
        writer.writerow(FAVOR_COLUMNS)
        for done, favor in enumerate(favors, start=1):
            writer.writerow(_favor_row(favor, reversals.get(favor.id)))
            if progress is not None:
                progress(done, len(favors))
    return len(favors)


# ------------------------------------------------------------------ reading


def _lines(name: str, source: IO[bytes]) -> Iterator[str]:
    """Decode ``source`` line by line, naming the line of any bad byte."""
    for _, text in utf8_lines(name, source):
        yield text


def _records(
    path: str | os.PathLike[str], columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` for each data row, with cells unescaped; checks the header."""
    name = os.fspath(path)
    with reading(name) as source:
        lines = _lines(name, source)
        first = next(lines, "")
        ahead = _other_format(name, first, lines)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(
            itertools.chain([first], ahead, lines), delimiter=delimiter, strict=True
        )
        line = 1
        try:
            header = next(reader, None)
            if not header:
                raise FormatError(
                    f"{name}:1: the file is empty (no header row)", path=name, line=1
                )
            header = [column.strip().lower() for column in header]
            _check_header(name, header, columns, required)
            line = reader.line_num + 1
            for cells in reader:
                if not cells:
                    line = reader.line_num + 1
                    continue
                if len(cells) != len(header):
                    raise FormatError(
                        f"{name}:{line}: expected {len(header)} cells (as in the"
                        f" header), got {len(cells)}",
                        path=name,
                        line=line,
                    )
                yield (
                    line,
                    {
                        key: unescape_cell(cell)
                        for key, cell in zip(header, cells, strict=True)
                    },
                )
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FormatError(f"{name}:{line}: {exc}", path=name, line=line) from None


_AHEAD: Final = 20
"""How many lines after the first tell what a file that is no table is."""


def _other_format(name: str, first: str, lines: Iterator[str]) -> list[str]:
    """Refuse a file that looks like JSON Lines or a graph file, in one line
    (its first line is no header); else return the lines read to tell."""
    if first.lstrip("\ufeff \t")[:1] not in ("{", "<"):
        return []
    ahead = list(itertools.islice(lines, _AHEAD))
    wrong = wrong_format(name, first + "".join(ahead), "csv")
    if wrong is not None:
        raise wrong
    return ahead


def _check_header(
    name: str, header: list[str], columns: Sequence[str], required: Sequence[str]
) -> None:
    def fail(message: str) -> FormatError:
        return FormatError(f"{name}:1: {message}", path=name, line=1)

    unknown = [column for column in header if column not in columns]
    missing = [column for column in required if column not in header]
    problems = []
    if missing:
        problems.append(f"missing column{'s' * (len(missing) > 1)} {_listed(missing)}")
    if unknown:
        problems.append(f"unknown column{'s' * (len(unknown) > 1)} {_listed(unknown)}")
    if problems:
        raise fail(f"{'; '.join(problems)} (the columns are {', '.join(columns)})")
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise fail(f"column {repeated[0]!r} appears more than once")


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _tags(raw: str, field: str) -> list[str]:
    if not raw:
        return []
    if not raw.lstrip().startswith("["):  # typed by hand: "work, python"
        return [tag.strip() for tag in re.split(r"[,;]", raw) if tag.strip()]
    try:
        tags = parse_json(raw)
    except FormatError:
        tags = None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidValueError(
            f"{field} must be empty or a JSON list of strings, got {shown(raw)}"
        )
    return tags


def _row_entries(row: dict[str, str]) -> list[Entry]:
    """The favor (and its reversal) in one row.

    An empty cell of an optional field means the field's default (``favor``
    for ``kind``, none for ``via``); a required field's cell is always used,
    so an empty one is refused by the model.
    """
    fields: dict[str, object] = {}
    for name in _FAVOR_FIELDS:
        cell = row.get(name, "")
        if name in _SETS:
            fields[name] = _tags(cell, f"Favor.{name}")
        elif name == "at" and cell:
            fields[name] = date_as_midnight(cell)
        elif cell or name in _REQUIRED:
            fields[name] = cell
    favor = Favor(**fields)  # type: ignore[arg-type]
    get = row.get
    reversal_id, reversed_at = get("reversal_id", ""), get("reversed_at", "")
    if not reversal_id and not reversed_at and not get("reversal_reason"):
        return [favor]
    if not reversal_id or not reversed_at:
        raise InvalidValueError(
            "a reversed favor needs both reversal_id and reversed_at, got"
            f" reversal_id={reversal_id!r}, reversed_at={reversed_at!r}"
        )
    reversal = Reversal(
        id=reversal_id,
        favor_id=favor.id,
        at=date_as_midnight(reversed_at),
        reason=get("reversal_reason", ""),
    )
    return [favor, reversal]


_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD: Final = re.compile(r"\b(Favor|Reversal)\.(\w+)")
_REVERSAL_COLUMNS: Final = {
    "id": "reversal_id",
    "at": "reversed_at",
    "reason": "reversal_reason",
}


def date_as_midnight(cell: str) -> str:
    """A time cell as the model reads it: a date alone is midnight UTC
    (as the command line's ``--at`` reads it); anything else is left for
    the model to read, or refuse naming the field.

    Examples
    --------
    >>> date_as_midnight("2024-05-01"), date_as_midnight("2024-05-01T09:00Z")
    ('2024-05-01T00:00:00+00:00', '2024-05-01T09:00Z')
    """
    date = cell.strip()
    return f"{date}T00:00:00+00:00" if _DATE.fullmatch(date) else cell


def _column(field: re.Match[str]) -> str:
    """The CSV column of a model field named in an error (``Reversal.at``
    is the ``reversed_at`` column)."""
    kind, name = field.groups()
    if kind == "Reversal":
        name = _REVERSAL_COLUMNS.get(name, name)
    return f"column {name!r}"


def derived_id(name: str, occurrence: int, row: dict[str, str]) -> str:
    """The id of a row typed without one: from the file's name (not its
    directory), the row's content (its non-empty cells but ``id``) and how
    many rows with that same content come before it in the file.

    Not from the row's position: importing the same file again adds nothing,
    and neither do rows left unchanged when others are inserted or removed;
    two files with an equal row, or two equal rows in one file, give
    distinct ids.

    Examples
    --------
    >>> row = {"giver": "ann", "receiver": "bob", "value": "2"}
    >>> derived_id("week1.csv", 0, row) == derived_id("week1.csv", 0, row | {"id": ""})
    True
    >>> derived_id("week1.csv", 0, row) != derived_id("week2.csv", 0, row)
    True
    >>> derived_id("week1.csv", 0, row)
    'csv-...'
    """
    text = "\x1f".join(["2", name, str(occurrence), *_content(row)])
    return "csv-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _content(row: dict[str, str]) -> tuple[str, ...]:
    """What a row says, whatever its columns' order or its empty cells."""
    return tuple(f"{k}={v}" for k, v in sorted(row.items()) if v and k != "id")


def _old_id(position: int, row: dict[str, str]) -> str:
    """The id favorledger 0.x derived before a row's file and occurrence
    counted: from its position among the data rows and every cell."""
    text = "\x1f".join([str(position), *(f"{k}={v}" for k, v in sorted(row.items()))])
    return "csv-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _read_favor_rows(
    path: str | os.PathLike[str],
    undated: set[str] | None = None,
    old: dict[str, str] | None = None,
) -> list[tuple[int | None, Entry]]:
    """``(line, entry)`` for every favor, then every reversal, in file order;
    the ids of rows that gave no time are added to ``undated``, and each id
    derived for a row typed without one is mapped in ``old`` to the id an
    earlier version derived for it."""
    name = os.fspath(path)
    favors: list[tuple[int | None, Entry]] = []
    reversals: list[tuple[int | None, Entry]] = []
    now = utcnow().isoformat()  # when a row says neither its id nor its time
    seen: Counter[tuple[str, ...]] = Counter()
    for position, (line, row) in enumerate(
        _records(path, FAVOR_COLUMNS, _REQUIRED), start=1
    ):
        if not row.get("id"):
            content = _content(row)
            row["id"], earlier = (
                derived_id(os.path.basename(name), seen[content], row),
                _old_id(position, row),
            )
            seen[content] += 1
            if old is not None:
                old[row["id"]] = earlier
        if not row.get("at"):
            row["at"] = now
            if undated is not None:
                undated.add(row["id"])
        try:
            entries = _row_entries(row)
        except FavorLedgerError as exc:
            said = _FIELD.sub(_column, str(exc))
            raise FormatError(f"{name}:{line}: {said}", path=name, line=line) from exc
        favors.append((line, entries[0]))
        reversals.extend((line, entry) for entry in entries[1:])
    return favors + reversals


def read_csv(path: str | os.PathLike[str]) -> list[Favor | Reversal]:
    """Read a favor table written by :func:`write_csv` (or by hand).

    Returns
    -------
    list of Favor and Reversal
        Every favor in file order, then the reversals (a reversal always
        follows the favor it reverses).

    Raises
    ------
    FormatError
        At the first bad row, naming the file, the line, the field and the
        value (also for a bad header, a wrong number of cells, bytes that are
        not UTF-8, and an unterminated quote).
    """
    entries: list[Favor | Reversal] = []
    for _, entry in _read_favor_rows(path):
        assert isinstance(entry, Favor | Reversal)
        entries.append(entry)
    return entries


def import_csv(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    skipped: Skipped | None = None,
) -> int:
    """Add the favors and reversals of a CSV file to ``ledger``, all or nothing.

    Importing the same file again changes nothing. The whole file is read
    and checked before the ledger is touched; the entries are then added in
    one batch (one transaction for a stored ledger). A row the ledger
    already holds is skipped (and reported to ``skipped``); a row typed
    without an id is known by the file's name and its content (see
    :func:`derived_id`).

    Parameters
    ----------
    progress
        Called as ``progress(done, total)`` as entries are added.
    skipped
        Called as ``skipped(line, id)`` for each row already recorded (before
        anything is added), with the id it is recorded under.

    Returns
    -------
    int
        How many entries were new.

    Raises
    ------
    FormatError
        For a bad file, or for a row the ledger refuses (a favor id already
        recorded with another body, an unknown person in a strict ledger):
        the message names the file and line, and the ledger is unchanged.
    StoreError
        If a stored ledger's file refuses the batch (the ledger is unchanged).

    Examples
    --------
    >>> import os, tempfile, favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("ann", "bob", "1/3", id="f1", at="2024-01-01T00:00Z")
    >>> path = os.path.join(tempfile.mkdtemp(), "favors.csv")
    >>> _ = write_csv(led, path)
    >>> other = fl.Ledger()
    >>> import_csv(other, path), import_csv(other, path, skipped=print)
    2 f1
    (1, 0)
    """
    undated: set[str] = set()
    old: dict[str, str] = {}
    rows, known = split_recorded(
        ledger, _read_favor_rows(path, undated, old), undated, old
    )
    if skipped is not None:
        for line, entry_id in known:
            skipped(line, entry_id)
    return _add_located(ledger, os.fspath(path), rows, progress)


def not_recorded(
    ledger: Ledger,
    located: Sequence[tuple[int | None, Entry]],
    undated: set[str],
) -> list[tuple[int | None, Entry]]:
    """The rows of a favor table that ``ledger`` does not hold yet (see
    :func:`split_recorded`).

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> pledge = fl.trading.pledge(led, "ann", "bob", 2, id="p1")
    >>> called = fl.trading.call(led, "p1", id="f1")
    >>> row = attrs.evolve(called, fulfils=None)
    >>> not_recorded(led, [(2, row)], set())
    []
    """
    return split_recorded(ledger, located, undated)[0]


def split_recorded(
    ledger: Ledger,
    located: Sequence[tuple[int | None, Entry]],
    undated: set[str],
    old: dict[str, str] | None = None,
) -> tuple[list[tuple[int | None, Entry]], list[tuple[int | None, str]]]:
    """The rows of a favor table that ``ledger`` does not hold yet, and the
    ``(line, id)`` of those it holds.

    A row that gave no time (its id in ``undated``) is dated when first
    imported: seen again, its id (given, or derived from the row) says it is
    already in. A table does not hold the pledge or ask a favor fulfils: a
    row equal to a recorded favor but for that link is the same favor. A
    row whose derived id maps in ``old`` to a favor recorded, with the same
    body, under the id an earlier version derived is that favor.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("ann", "bob", 1, id="f1", at="2024-01-01T00:00Z")
    >>> row = fl.Favor(giver="ann", receiver="bob", value=1, id="f1",
    ...                at="2024-01-01T00:00Z")
    >>> split_recorded(led, [(2, row)], set())
    ([], [(2, 'f1')])
    """
    kept: list[tuple[int | None, Entry]] = []
    known: list[tuple[int | None, str]] = []
    renamed: dict[str, str] = {}  # a favor's derived id -> its recorded id
    for line, entry in located:
        if isinstance(entry, Reversal) and entry.favor_id in renamed:
            entry = attrs.evolve(entry, favor_id=renamed[entry.favor_id])
        recorded = _recorded(ledger, entry, entry.id in undated)
        if recorded is None and old and isinstance(entry, Favor) and entry.id in old:
            earlier = attrs.evolve(entry, id=old[entry.id])
            recorded = _recorded(ledger, earlier, entry.id in undated)
            if recorded is not None:
                renamed[entry.id] = recorded
        if recorded is None:
            kept.append((line, entry))
        else:
            known.append((line, recorded))
    return kept, known


def _recorded(ledger: Ledger, entry: Entry, undated: bool) -> str | None:
    """The id under which ``ledger`` holds ``entry``, if it does."""
    if isinstance(entry, Reversal):
        reversal = ledger.reversals.get(entry.favor_id)
        return entry.id if reversal == entry else None
    recorded = ledger.favors.get(entry.id)
    if recorded is None or not isinstance(entry, Favor):
        return None
    if (
        undated
        or entry == recorded
        or (entry.fulfils is None and attrs.evolve(recorded, fulfils=None) == entry)
    ):
        return entry.id
    return None


def _add_located(
    ledger: Ledger,
    name: str,
    located: Sequence[tuple[int | None, Entry]],
    progress: Progress | None = None,
    skipped: Skipped | None = None,
) -> int:
    """Add ``(line, entry)`` pairs in one batch; errors name the file and line.

    Used by the importers: a :class:`~favorledger.FavorLedgerError` from the
    ledger becomes a :class:`~favorledger.errors.FormatError` naming ``name``
    and the entry's line (``None`` where a format has no lines). A store's own
    errors (a ``StoreError``, also an ``OSError``) pass unchanged. Once the
    batch is in, ``skipped(line, id)`` is told of each entry the ledger
    already held (it added nothing).
    """
    where = [0]  # how many entries were read: the last is being added
    total = len(located)
    log = ledger.index.entries
    held: list[tuple[int | None, str]] = []

    def entries() -> Iterator[Entry]:
        for done, (line, entry) in enumerate(located, start=1):
            where[0] = done
            before = len(log)
            yield entry
            if len(log) == before:
                held.append((line, entry.id))
            if progress is not None:
                progress(done, total)

    try:
        new = ledger.add_many(entries())
    except FormatError:
        raise
    except FavorLedgerError as exc:
        if isinstance(exc, OSError):  # the store's fault, not the file's
            raise
        line = located[where[0] - 1][0] if where[0] else None
        said = None
        if isinstance(exc, UnknownFavorError) and where[0]:
            said = _misplaced(located, where[0] - 1)
        said = said or str(exc)
        if line is None:
            raise FormatError(f"{name}: {said}", path=name) from exc
        raise FormatError(f"{name}:{line}: {said}", path=name, line=line) from exc
    if skipped is not None:
        for line, entry_id in held:
            skipped(line, entry_id)
    return new


def refuse_future(
    name: str, located: Sequence[tuple[int | None, Entry]], *, table: bool = False
) -> None:
    """Refuse a file that dates an entry after now, naming the file, the line
    (or the entry, where the format has no lines) and the field.

    The ``import`` command checks every file with it before the ledger is
    touched, as ``record --at`` refuses a future time: an entry is never
    dated after now (a favor promised for later is a pledge). The library's
    ``add``, ``add_many`` and importers keep any time on purpose, so that a
    replica whose clock runs behind can still take another's log.
    ``table`` names a CSV file's columns (``at``, ``reversed_at``).

    Raises
    ------
    FormatError
        At the first entry dated after now.

    Examples
    --------
    >>> later = Favor(giver="a", receiver="b", value=1, id="f1", at="2999-01-01T00:00Z")
    >>> refuse_future("w.csv", [(3, later)], table=True)
    Traceback (most recent call last):
    ...
    favorledger.errors.FormatError: w.csv:3: column 'at' must not be in the future \
(now is ...), got 2999-01-01T00:00+00:00: a favor is recorded once it is done, \
and a promise of one is a pledge
    >>> refuse_future("g.graphml", [(None, later)])
    Traceback (most recent call last):
    ...
    favorledger.errors.FormatError: g.graphml: Favor.at of 'f1' must not be in the...
    """
    for line, entry in located:
        field = f"{type(entry).__name__}.at"
        if table:
            field = _FIELD.sub(_column, field)
        elif line is None:
            field += f" of {entry.id!r}"
        try:
            not_after_now(field, entry.at)
        except FavorLedgerError as exc:
            where = name if line is None else f"{name}:{line}"
            raise FormatError(f"{where}: {exc}", path=name, line=line or 0) from exc


def _misplaced(located: Sequence[tuple[int | None, Entry]], index: int) -> str | None:
    """Why the reversal at ``index`` finds nothing to reverse: what it
    reverses comes after it in the file, or is nowhere (``None`` if the
    entry is no reversal).

    Examples
    --------
    >>> favor = Favor(giver="a", receiver="b", value=1, id="f1", at="2024-01-01T00:00Z")
    >>> undo = Reversal(id="r1", favor_id="f1", at="2024-01-02T00:00Z")
    >>> print(_misplaced([(1, undo), (2, favor)], 0))
    reversal 'r1' comes before the favor 'f1' it reverses (line 2): put the favor first
    >>> _misplaced([(None, undo)], 0)
    "reversal 'r1' reverses 'f1', which is neither in the ledger nor in the file"
    """
    reversal = located[index][1]
    if not isinstance(reversal, Reversal):
        return None
    target = reversal.favor_id
    for line, entry in located[index + 1 :]:
        if entry.id == target and not isinstance(entry, Person):
            noun = type(entry).__name__.lower()
            at = "" if line is None else f" (line {line})"
            return (
                f"reversal {reversal.id!r} comes before the {noun} {target!r} it"
                f" reverses{at}: put the {noun} first"
            )
    return (
        f"reversal {reversal.id!r} reverses {target!r}, which is neither in the"
        " ledger nor in the file"
    )


# --------------------------------------------------------------- edge table


def _edge_amount(raw: AmountLike) -> Amount:
    """An exact positive amount; unlike a favor's value, it may be finer than
    ``1e-12`` (a referrer's share of a tiny favor)."""
    value: object = raw
    if isinstance(raw, str):
        try:
            value = Fraction(raw.strip()) if "/" in raw else Decimal(raw.strip())
        except (ArithmeticError, ValueError):
            value = None
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, Fraction):
        value = normalize(value)
    if isinstance(value, Decimal) and not value.is_finite():
        value = None  # infinity or NaN: no amount
    if not isinstance(value, Decimal | Fraction) or not value > 0:
        raise InvalidValueError(f"Edge.amount must be a positive number, got {raw!r}")
    return canonical(value) if isinstance(value, Decimal) else normalize(value)


def _edge_at(raw: datetime | str) -> datetime:
    return as_moment(raw, "Edge.at")


@attrs.frozen(kw_only=True)
class Edge:
    """One row of the edge table: ``dst`` owes ``src`` ``amount`` for favor ``id``.

    Examples
    --------
    >>> Edge(id="f1", src="carol", dst="me", amount="2.5",
    ...      at="2024-05-01T09:00+00:00", kind="favor").amount
    Decimal('2.5')
    """

    id: str
    src: str
    dst: str
    amount: Amount = attrs.field(converter=_edge_amount)
    at: datetime = attrs.field(converter=_edge_at)
    via: str | None = None
    kind: str = "favor"


def _edges(ledger: Ledger) -> Iterator[list[str]]:
    reversed_ = ledger.reversals
    for favor in ledger.favors.values():
        if favor.id in reversed_:
            continue
        for obligation in favor.obligations():
            yield [
                favor.id,
                obligation.creditor,
                obligation.debtor,
                _text(obligation.amount),
                _text(favor.at),
                _text(favor.via),
                favor.kind,
            ]


def write_edges(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> int:
    """Write the edge table (one row per live obligation) to ``path`` as CSV.

    Parameters
    ----------
    progress
        Called as ``progress(done, total)``, counting favors.
    force
        Overwrite even an SQLite database.

    Returns
    -------
    int
        The number of rows written.

    Examples
    --------
    >>> import os, tempfile, favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("carol", "me", 3, via="bob", id="f1", at="2024-05-01T09:00Z")
    >>> path = os.path.join(tempfile.mkdtemp(), "edges.csv")
    >>> write_edges(led, path)
    2
    >>> from pathlib import Path
    >>> print(Path(path).read_text(encoding="utf-8"))
    id,src,dst,amount,at,via,kind
    f1,carol,me,3,2024-05-01T09:00:00+00:00,bob,favor
    f1,carol,bob,1.5,2024-05-01T09:00:00+00:00,bob,favor
    """
    count = 0
    total = len(ledger)
    with _atomic_text(path, force=force) as out:
        writer = csv.writer(out)
        writer.writerow(EDGE_COLUMNS)
        last = None
        done = 0
        for row in _edges(ledger):
            writer.writerow([escape_cell(cell) for cell in row])
            count += 1
            if progress is not None and row[0] != last:
                last, done = row[0], done + 1
                progress(done, total)
    return count


def read_edges(path: str | os.PathLike[str]) -> list[Edge]:
    """Read an edge table written by :func:`write_edges`.

    Raises
    ------
    FormatError
        At the first bad row, naming the file, line, field and value.
    """
    name = os.fspath(path)
    edges = []
    for line, row in _records(path, EDGE_COLUMNS, EDGE_COLUMNS):
        try:
            edges.append(
                Edge(
                    id=_nonempty(row["id"], "Edge.id"),
                    src=_nonempty(row["src"], "Edge.src"),
                    dst=_nonempty(row["dst"], "Edge.dst"),
                    amount=row["amount"],
                    at=row["at"],
                    via=row["via"] or None,
                    kind=_nonempty(row["kind"], "Edge.kind"),
                )
            )
        except FavorLedgerError as exc:
            raise FormatError(f"{name}:{line}: {exc}", path=name, line=line) from exc
    return edges


def _nonempty(text: str, field: str) -> str:
    if not text.strip():
        raise InvalidValueError(f"{field} must be a non-empty string, got {text!r}")
    return text
