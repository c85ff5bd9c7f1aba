"""The commands for files and the store: import, export, check and config."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from favorledger._display import one_line
from favorledger.cli.parser import EXPORT_FORMATS, IMPORT_FORMATS, SETTINGS, SUFFIXES
from favorledger.cli.run import (
    Run,
    UsageError,
    plural,
    progress_bar,
)
from favorledger.errors import OverwriteError, StoreError
from favorledger.io.exported import ExportReport, carried, compared
from favorledger.io.files import refuse_overwrite
from favorledger.io.graphs import (
    read_gexf,
    read_graphml,
    write_dot,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import ENTRY_TYPES, read_jsonl_located, write_jsonl
from favorledger.io.parquet import write_parquet
from favorledger.io.postgres import is_postgres_url
from favorledger.io.sqlite import (
    SqliteStore,
    StoredLedger,
    read_settings,
    write_setting,
)
from favorledger.io.tables import (
    Progress,
    _add_located,
    _read_favor_rows,
    refuse_future,
    split_recorded,
    write_csv,
    write_edges,
)
from favorledger.ledger import Ledger
from favorledger.model import Entry, Person, named_people


def _format(path: str, given: str | None, allowed: Sequence[str]) -> str:
    if given is not None:
        return given
    found = SUFFIXES.get(Path(path).suffix.lower())
    if found is None or found not in allowed:
        raise UsageError(
            f"{path}: cannot tell the format from the file name; give --format"
            f" ({'|'.join(allowed)})"
        )
    return found


_SQLITE: Final = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


def _not_a_database(path: str) -> None:
    """Refuse to import an SQLite file (another store, say), saying how its
    entries can be imported: export them first."""
    with open(path, "rb") as file:
        if file.read(len(_SQLITE)) != _SQLITE:
            return
    try:
        SqliteStore.open(path, readonly=True).close()
    except StoreError:
        raise UsageError(
            f"{path} is an SQLite database, not a file favorledger imports"
            f" ({', '.join(IMPORT_FORMATS)})"
        ) from None
    raise UsageError(
        f"{path} is a favorledger store: export it first (favorledger --db"
        f" {path} export {Path(path).stem}.jsonl)"
    )


def _located(
    path: str, kind: str, undated: set[str], old: dict[str, str]
) -> list[tuple[int | None, Entry]]:
    """Every entry of an import file, with its line where the format has lines
    (for CSV rows, see :func:`favorledger.io.tables.split_recorded`)."""
    if kind == "csv":
        return _read_favor_rows(path, undated, old)
    if kind == "jsonl":
        return list(read_jsonl_located(path))
    read = read_graphml if kind == "graphml" else read_gexf
    return [(None, entry) for entry in read(path)]


def _importable(path: str, given: str | None) -> None:
    """Refuse a missing file, a directory, a Parquet file (unless a format is
    given) and an SQLite database, each with what to do instead."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise UsageError(f"{path}: not a file")
    if given is None and SUFFIXES.get(Path(path).suffix.lower()) == "parquet":
        raise UsageError(
            f"{path}: a Parquet file is written for analysis tools (DuckDB,"
            " Spark) and is not read back; to keep the whole ledger, export to"
            " .jsonl"
        )
    _not_a_database(path)


def _import(run: Run) -> int:
    """All or nothing: the whole file is read and checked before the store is
    opened, and a store that does not exist yet is created only for a file the
    ledger accepts (an SQLite file checked first on an empty ledger in
    memory; a PostgreSQL ledger made in the import's own transaction)."""
    path = run.args.file
    if path == "-":  # standard input: JSON Lines, as export writes it there
        kind = run.args.format or "jsonl"
    else:
        _importable(path, run.args.format)
        kind = _format(path, run.args.format, IMPORT_FORMATS)
    undated: set[str] = set()
    old: dict[str, str] = {}
    located = _located(path, kind, undated, old)
    refuse_future(path, located, table=kind == "csv")  # as record --at
    if run.unmade():
        _strangers(run, Ledger(), path, located)
        _add_located(Ledger(), path, located)
    known: list[tuple[int | None, str]] = []
    with run.open(create=True) as led, progress_bar("importing") as progress:
        _strangers(run, led, path, located)
        if kind == "csv":  # rows already in, though the table cannot say so
            located, known = split_recorded(led, located, undated, old)
        new = _add_located(led, path, located, progress, _noted(known))
        total = len(led.log)
        run.announce(led)
    if run.json:
        skipped = [{"line": line, "id": entry_id} for line, entry_id in known]
        run.emit(
            {"file": path, "format": kind, "new": new, "entries": total}
            | {"skipped": skipped}
        )
    else:
        run.out.write(
            f"imported {plural(new, 'new entry')} from {path} ({kind}); the"
            f" ledger holds {plural(total, 'entry')}\n"
        )
        if known:
            run.out.write(f"{_skipped(path, known, _UNITS.get(kind, 'entry'))}\n")
    return 0


def _strangers(
    run: Run, led: Ledger, path: str, located: Sequence[tuple[int | None, Entry]]
) -> None:
    """In strict mode, refuse a file naming people that neither the ledger
    nor the file itself (with a person entry) adds, as :meth:`Run.people`
    refuses them on the command line, at the first line naming one."""
    if not run.strict:
        return
    known = led.people.keys() | {e.id for _, e in located if isinstance(e, Person)}
    new: dict[str, int | None] = {}  # each stranger and the first line naming them
    for line, entry in located:
        for person in named_people(entry):
            if person not in known:
                new.setdefault(person, line)
    if new:
        first = next(iter(new.values()))
        try:
            run.people(led, *new)
        except UsageError as exc:
            where = path if first is None else f"{path}:{first}"
            raise UsageError(f"{where}: {exc}") from None


def _noted(
    known: list[tuple[int | None, str]],
) -> Callable[[int | None, str], None]:
    """A ``skipped`` callback that adds each ``(line, id)`` to ``known``."""
    return lambda line, entry_id: known.append((line, entry_id))


_UNITS: Final = {"csv": "row", "jsonl": "line"}
"""What an import message calls an entry of a format (else "entry")."""

_SKIPPED_SHOWN: Final = 5
"""How many skipped entries the import message names."""


def _skipped(
    path: str, known: Sequence[tuple[int | None, str]], unit: str = "row"
) -> str:
    """The entries an import skipped as already recorded, in one line: each
    by its line and id, or by its id where the format has no lines.

    Examples
    --------
    >>> _skipped("w.csv", [(2, "csv-1"), (3, "f7")])
    'skipped 2 rows already recorded: w.csv:2 (csv-1), w.csv:3 (f7)'
    >>> _skipped("w.csv", [(n, f"f{n}") for n in range(2, 9)])[-29:]
    'w.csv:6 (f6), and 2 more rows'
    >>> _skipped("w.csv", [(2, "f1"), (3, "f2"), (2, "f1-reversal")])
    'skipped 2 rows already recorded: w.csv:2 (f1), w.csv:3 (f2)'
    >>> _skipped("g.graphml", [(None, "f1"), (None, "ann")], "entry")
    'skipped 2 entries already recorded in g.graphml: f1, ann'
    """
    lines = any(line is not None for line, _ in known)
    rows = [entry_id for _, entry_id in known]
    if lines:  # a CSV row of a favor and its reversal is one row, named once
        first: dict[int | None, str] = {}
        for line, entry_id in known:
            first.setdefault(line, entry_id)
        rows = [f"{path}:{line} ({entry_id})" for line, entry_id in first.items()]
    more = len(rows) - _SKIPPED_SHOWN
    shown = rows[:_SKIPPED_SHOWN] + (
        ["and " + plural(more, f"more {unit}")] * (more > 0)
    )
    where = "" if lines else f" in {path}"
    return (
        f"skipped {plural(len(rows), unit)} already recorded{where}: {', '.join(shown)}"
    )


def _export(run: Run) -> int:
    """Never destroys data: the store itself is always refused, another
    existing file without ``--force``; new files and forced replacements are
    written atomically, ``-``, devices and FIFOs directly, symbolic links
    followed (see :func:`favorledger.io.files.writing`). What the file
    leaves out, and whether that changes balances or debts, is computed
    (:mod:`favorledger.io.exported`)."""
    path = run.args.file
    kind = "jsonl" if path == "-" and run.args.format is None else None
    kind = kind or _format(path, run.args.format, EXPORT_FORMATS)
    if _is_store(path, run.db):  # even with --force: the ledger would be lost
        raise OverwriteError(
            f"{path}: refusing to export onto the ledger's own store {run.address};"
            " export to another file"
        )
    refuse_overwrite(path, force=run.args.force)  # before any work
    with run.read() as led, progress_bar("exporting") as progress:
        kept = None if kind == "dot" else carried(led, kind)
        report = None if kept is None else compared(led, kept)
        count = _write(led, path, kind, progress, force=run.args.force)
    counts = {} if kept is None else held(kept)
    entries = kind in _ENTRY_FILES
    if path == "-":  # the export itself went to standard output
        run = Run(run.args, sys.stderr, sys.stderr)
    if entries:
        count = sum(counts.values())
    if run.json:
        written = {"file": path, "format": kind, "written": count, "held": counts}
        run.emit(written | _json(report))
        return 0
    units = {"dot": "debt", "edges": "edge"}
    unit = plural(count, "entry" if entries else units.get(kind, "favor"))
    if entries and counts:
        unit += " (" + ", ".join(plural(n, name) for name, n in counts.items()) + ")"
    run.out.write(f"wrote {unit} to {path} ({kind})\n")
    if report is not None and report.left_out:
        run.out.write(f"{_said(report, kind)}\n")
    return 0


_ENTRY_FILES: Final = ("jsonl", "graphml", "gexf")
"""The formats that hold entries of every kind (their message counts each)."""


def held(kept: Sequence[Entry | None]) -> dict[str, int]:
    """The entries a file holds (as :func:`~favorledger.io.exported.carried`
    gives them), counted by kind, in the order of the kinds' names.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 1)
    >>> _ = led.tie("ann", "bob", "0.5")
    >>> held(carried(led, "graphml")), held(carried(led, "csv"))
    ({'favor': 1, 'tie': 1}, {'favor': 1})
    """
    counts = Counter(ENTRY_TYPES[type(entry)] for entry in kept if entry)
    return dict(sorted(counts.items()))


def _json(report: ExportReport | None) -> dict[str, Any]:
    """What the file leaves out, and what that changes. A DOT drawing
    (``report`` None) holds no entries: it draws the ledger's debts as they
    are, so nothing changes."""
    if report is None:
        report = ExportReport({}, True, True, {})
    return {
        "left_out": report.left_out,
        "same_balances": report.same_balances,
        "same_debts": report.same_debts,
        "differences": {
            person: {"ledger": str(ours), "file": str(theirs)}
            for person, (ours, theirs) in report.differences.items()
        },
    }


_SHOWN: Final = 3
"""How many differing balances the export message names."""


def _said(report: ExportReport, kind: str) -> str:
    """What the file leaves out and what that does, in one line."""
    left = report.left_out
    missing = ", ".join(plural(n, name) for name, n in sorted(left.items()))
    if report.same_balances and report.same_debts:
        effect = "the balances and debts are the same"
    elif report.same_balances:
        effect = "the balances are the same, but who owes whom differs"
    else:
        shown = [
            f"{one_line(person)} {ours} here, {theirs} in the file"
            for person, (ours, theirs) in list(report.differences.items())[:_SHOWN]
        ]
        more = len(report.differences) - _SHOWN
        effect = "the balances differ: " + "; ".join(shown)
        effect += f" (and {more} more)" if more > 0 else ""
    return (
        f"left out (not kept in {kind}): {missing}; {effect}."
        " For the whole ledger, export to .jsonl"
    )


def _is_store(path: str, db: str) -> bool:
    """Whether ``path`` is the store ``db`` or one of SQLite's files beside it."""
    if path == "-":
        return False
    target, store = os.path.realpath(path), os.path.realpath(db)
    return target in {store + suffix for suffix in ("", "-wal", "-shm", "-journal")}


def _write(
    led: StoredLedger,
    path: str,
    kind: str,
    progress: Progress | None,
    *,
    force: bool = False,
) -> int:
    if kind == "jsonl":
        log = led.log

        def counted() -> Iterator[Entry]:
            for done, entry in enumerate(log, start=1):
                yield entry
                if progress is not None:
                    progress(done, len(log))

        return write_jsonl(counted(), path, force=force)
    if kind == "dot":
        return write_dot(led, path, ties=True, force=force)
    writers: dict[str, Callable[..., int]] = {
        "csv": write_csv,
        "graphml": write_graphml,
        "gexf": write_gexf,
        "edges": write_edges,
        "parquet": write_parquet,
    }
    return writers[kind](led, path, progress=progress, force=force)


def _check(run: Run) -> int:
    if not run.exists():
        run.open(create=False)  # raises the friendly "no ledger here" error
    problems: list[str] = run.store.check_store(
        run.db, expect_head=run.args.expect_head
    )
    head = run.store.store_head(run.db) if run.args.head and not problems else None
    if run.json:
        report: dict[str, Any] = {"store": run.address, "problems": problems}
        if head is not None:
            report["head"] = head
        run.emit(report)
    elif problems:
        run.out.write("".join(f"{one_line(problem)}\n" for problem in problems))
    else:
        run.out.write(f"{run.address}: ok\n")
        if head is not None:
            run.out.write(f"head {head}\n")
    return 1 if problems else 0


def _config(run: Run) -> int:
    a = run.args
    if is_postgres_url(run.db):
        raise UsageError("settings are kept in SQLite stores only; use --strict")
    with run.read():  # a file that is not a store is named so, and left alone
        pass
    if a.setting is not None and a.value is not None:
        write_setting(run.db, a.setting, a.value)
    settings = dict.fromkeys(SETTINGS, "off") | read_settings(run.db)
    listed = {a.setting: settings[a.setting]} if a.setting else settings
    if run.json:
        run.emit(listed)
    else:
        run.out.write("".join(f"{name} = {value}\n" for name, value in listed.items()))
    return 0


COMMANDS: Final[dict[str, Callable[[Run], int]]] = {
    "import": _import,
    "export": _export,
    "check": _check,
    "config": _config,
}
