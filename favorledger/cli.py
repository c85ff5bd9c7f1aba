"""The ``favorledger`` command: keep a favor ledger from the terminal.

The ledger lives in an SQLite store (:mod:`favorledger.io.sqlite`): ``--db``,
else ``$FAVORLEDGER_DB``, else ``favors.db`` in the current directory; a
``postgresql://`` URL there names a ledger kept in PostgreSQL
(:mod:`favorledger.io.postgres`). Every
command opens it, does one thing and closes it; whatever it records is on disk
before it exits.

Commands::

    record GIVER RECEIVER VALUE [--kind --via --reason --at --id --tag --share]
    reverse ID [--reason --at --id]
    tie A B STRENGTH [--kind --reason --at --id]
    person ID [--name --tag]
    balance [PERSON]
    owes [PERSON]                (also: who-owes-whom)
    history PERSON
    people
    import FILE [--format jsonl|csv|graphml|gexf]   (all or nothing)
    export FILE [--format jsonl|csv|graphml|gexf|dot|edges] [--force]
    check
    settle [--method auto|exact|greedy|ties] [--apply] [--reason TEXT]
    path SOURCE TARGET [--k N] [--weight trust|hops|leverage]
    pledge GIVER RECEIVER VALUE [--expires --reason --id]
    call PLEDGE_ID [--value]
    agenda PERSON [--today]

Answers are readable tables; ``--json`` prints JSON for scripts instead.
Amounts are printed exactly (``2.50``, ``1/3``). A time given without an
offset (``--at 2024-05-01``) is taken in the local time zone. A mistake prints
one line to stderr and exits with status 2; ``check`` exits with 1 when it
finds a problem.

Examples
--------
>>> import os, tempfile
>>> db = os.path.join(tempfile.mkdtemp(), "favors.db")
>>> main(["--db", db, "record", "carol", "me", "3", "--via", "bob", "--id", "f1"])
recorded favor f1: carol did me a favor worth 3 (via bob)
0
>>> main(["--db", db, "balance"])
person  name   balance
carol   carol      4.5
bob     bob       -1.5
me      me          -3
0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO

from favorledger._exact import Amount
from favorledger.agenda import agenda
from favorledger.errors import FavorLedgerError, OverwriteError, StoreError, shown
from favorledger.io import postgres, sqlite
from favorledger.io.graphs import (
    read_gexf,
    read_graphml,
    write_dot,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import dumps_entry, read_jsonl_located, write_jsonl
from favorledger.io.postgres import is_postgres_url
from favorledger.io.sqlite import StoredLedger
from favorledger.io.tables import (
    Progress,
    _add_located,
    _read_favor_rows,
    write_csv,
    write_edges,
)
from favorledger.ledger import Ledger
from favorledger.model import Entry, Favor, Reversal, Transfer, utcnow
from favorledger.referrals import ReferralPath, referral_path, referral_paths
from favorledger.settlement import settle

__all__ = ["main"]

DEFAULT_DB: Final = "favors.db"
"""The store used when neither ``--db`` nor ``$FAVORLEDGER_DB`` is given."""

IMPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf")
EXPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf", "dot", "edges")
_SUFFIXES: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".dot": "dot",
    ".gv": "dot",
}


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class UsageError(FavorLedgerError, ValueError):
    """A command line that cannot be carried out (reported, exit status 2)."""


# ------------------------------------------------------------------ parsing


class _Parser(argparse.ArgumentParser):
    """argparse, with the arguments it quotes back made safe for a terminal."""

    def error(self, message: str) -> NoReturn:
        super().error(_one_line(message))


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON instead of a table",
    )
    parser = _Parser(
        prog="favorledger",
        description="Keep an exact, append-only ledger of favors: who owes whom.",
        parents=[common],
    )
    parser.add_argument(
        "--db",
        help=f"the ledger's store (default: $FAVORLEDGER_DB or {DEFAULT_DB})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, text: str, aliases: Sequence[str] = ()) -> Any:
        return commands.add_parser(
            name, help=text, description=text, parents=[common], aliases=aliases
        )

    record = command("record", "record a favor: RECEIVER now owes GIVER", ["add"])
    record.add_argument("giver")
    record.add_argument("receiver")
    record.add_argument("value", help="an exact amount: 3, 2.50, 1/3")
    record.add_argument("--kind", default="favor")
    record.add_argument("--via", help="who referred the receiver to the giver")
    record.add_argument("--reason", default="")
    record.add_argument("--at", help="when (ISO-8601; default now)")
    record.add_argument("--id", help="the favor's id (default: a fresh one)")
    record.add_argument("--tag", action="append", default=[], help="repeatable")
    record.add_argument("--share", help="the referrer's share, from 0 to 1")

    reverse = command("reverse", "reverse a favor with a correcting entry")
    reverse.add_argument("favor_id", metavar="ID")
    reverse.add_argument("--reason", default="")
    reverse.add_argument("--at")
    reverse.add_argument("--id")

    tie = command("tie", "state that A and B know each other")
    tie.add_argument("a")
    tie.add_argument("b")
    tie.add_argument("strength", help="in (0, 1], e.g. 0.8")
    tie.add_argument("--kind", default="acquaintance")
    tie.add_argument("--reason", default="")
    tie.add_argument("--at")
    tie.add_argument("--id")

    person = command("person", "add a person, or restate their name and tags")
    person.add_argument("person", metavar="ID")
    person.add_argument("--name")
    person.add_argument("--tag", action="append", default=[], help="repeatable")

    balance = command("balance", "everyone's balance, or one person's")
    balance.add_argument("person", nargs="?")
    owes = command("owes", "who owes whom (netted per pair)", ["who-owes-whom"])
    owes.add_argument("person", nargs="?", help="only debts involving PERSON")
    history = command("history", "the favors involving PERSON, in time order")
    history.add_argument("person")
    command("people", "everyone in the ledger")

    load = command("import", "add the entries of a file (importing twice is a no-op)")
    load.add_argument("file")
    load.add_argument("--format", choices=IMPORT_FORMATS)
    dump = command("export", "write the ledger to a file")
    dump.add_argument("file", help="the file to write; - for standard output")
    dump.add_argument("--format", choices=EXPORT_FORMATS)
    dump.add_argument(
        "--force",
        action="store_true",
        help="overwrite even the store itself or another SQLite database",
    )
    check = command(
        "check",
        "verify the store (schema, triggers, digest chain, every entry) and"
        " report problems",
    )
    check.add_argument(
        "--head",
        action="store_true",
        help="also print the digest of the last entry (remember it, or publish"
        " it, to check against later)",
    )
    check.add_argument(
        "--expect-head",
        metavar="DIGEST",
        help="also verify that the chain still holds DIGEST, a head printed"
        " earlier by --head",
    )

    square = command("settle", "suggest the favor-returns that square everyone")
    square.add_argument(
        "--method", default="auto", help="auto (default), exact, greedy or ties"
    )
    square.add_argument(
        "--apply", action="store_true", help="record the suggested favor-returns"
    )
    square.add_argument("--reason", default="", help="recorded with --apply")

    path = command("path", "who can introduce SOURCE to TARGET")
    path.add_argument("source")
    path.add_argument("target")
    path.add_argument(
        "--k", type=int, metavar="N", help="show up to N alternatives, best first"
    )
    path.add_argument(
        "--weight", default="trust", help="trust (default), hops or leverage"
    )

    pledge = command("pledge", "record a promise: GIVER will do RECEIVER a favor")
    pledge.add_argument("giver")
    pledge.add_argument("receiver")
    pledge.add_argument("value", help="an exact amount: 3, 2.50, 1/3")
    pledge.add_argument("--expires", help="when it lapses (ISO-8601)")
    pledge.add_argument("--reason", default="")
    pledge.add_argument("--id", help="the pledge's id (default: a fresh one)")

    call = command("call", "call a pledge: record its favor")
    call.add_argument("pledge_id", metavar="PLEDGE_ID")
    call.add_argument("--value", help="at most the pledge's value (default: all of it)")

    todo = command("agenda", "what PERSON should attend to, with the reasons")
    todo.add_argument("person")
    todo.add_argument("--today", help="the day to plan (ISO-8601; default now)")
    return parser


# ------------------------------------------------------------------ helpers


def _amount(value: Amount) -> str:
    """Exact text: ``2.50``, ``100`` (not ``1E+2``), ``1/3``."""
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return format(value, "f")


def _moment(text: str | None) -> datetime | str | None:
    """An ISO-8601 time; one without an offset is local time."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model names the field and the bad value
    if moment.tzinfo is not None:
        return moment
    try:
        return moment.astimezone()
    except (OverflowError, ValueError):  # year 1 or 9999: the model refuses it
        return moment.replace(tzinfo=datetime.now().astimezone().tzinfo).isoformat()


def _table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns; a column whose header is ``amount``-like is right-aligned."""
    if not rows:
        out.write("(nothing)\n")
        return
    rows = [[_one_line(cell) for cell in row] for row in rows]  # one line each
    numeric = ("balance", "amount", "value", "strength", "hops", "trust")
    right = [h in numeric for h in headers]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    for row in (headers, *rows):
        cells = [
            (cell.rjust(width) if is_right else cell.ljust(width))
            for cell, width, is_right in zip(row, widths, right, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _one_line(text: str) -> str:
    """One line of printable text for the terminal: each run of whitespace
    becomes one space, and any other character a terminal would act on (an
    escape sequence, a bidirectional override...) is shown escaped, as
    ``\\x1b``, so that a crafted name cannot rewrite the user's screen."""
    line = " ".join(text.split())
    if line.isprintable():
        return line
    return "".join(char if char.isprintable() else _escaped(char) for char in line)


def _escaped(char: str) -> str:
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


def _describe(entry: Entry) -> str:
    if isinstance(entry, Favor):
        via = f" via {entry.via}" if entry.via else ""
        why = f": {_one_line(entry.reason)}" if entry.reason else ""
        return f"{entry.giver} -> {entry.receiver} ({entry.kind}{via}){why}"
    if isinstance(entry, Reversal):
        why = f": {_one_line(entry.reason)}" if entry.reason else ""
        return f"reverses {entry.favor_id}{why}"
    body = json.loads(dumps_entry(entry))
    return ", ".join(
        f"{key}={value}"
        for key, value in body.items()
        if key not in ("format", "type", "id", "at") and value not in (None, "", [])
    )


def _entry_json(entry: Entry) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(dumps_entry(entry))
    return body


@contextlib.contextmanager
def _progress(label: str) -> Iterator[Progress | None]:
    """A progress bar on a terminal, if tqdm or rich is installed; else none."""
    if not sys.stderr.isatty():
        yield None
        return
    for name in ("tqdm", "rich.progress"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if name == "tqdm":
            with module.tqdm(desc=label, unit=" entries", file=sys.stderr) as bar:

                def tick(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                yield tick
        else:
            with module.Progress(transient=True) as bar:
                task = bar.add_task(label, total=None)

                def advance(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                yield advance
        return
    yield None


# ----------------------------------------------------------------- commands


class _Run:
    """One command's context: the parsed arguments, the output, the store."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.json = bool(getattr(args, "json", False))
        self.db = args.db or os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB

    @property
    def store(self) -> Any:
        """The store's module: :mod:`~favorledger.io.postgres` for a URL."""
        return postgres if is_postgres_url(self.db) else sqlite

    def exists(self) -> bool:
        """Whether the store may exist (a URL is asked by opening it)."""
        return is_postgres_url(self.db) or os.path.exists(self.db)

    def open(self, *, create: bool, readonly: bool = False) -> StoredLedger:
        try:
            led: StoredLedger = self.store.open_ledger(
                self.db, create=create, readonly=readonly
            )
        except StoreError as exc:
            if create or self.exists():
                raise
            raise UsageError(
                f"{self.db}: no ledger here yet (record, tie, person or import"
                " creates one; --db or $FAVORLEDGER_DB chooses another)"
            ) from exc
        for problem in led.damage[:1]:
            sys.stderr.write(
                f"favorledger: warning: {_one_line(problem)}; the store is"
                " read-only without that entry (see `favorledger check`)\n"
            )
        return led

    def read(self) -> StoredLedger:
        """The store, opened read-only (a read command never writes)."""
        return self.open(create=False, readonly=True)

    def emit(self, data: object) -> None:
        json.dump(data, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")

    def recorded(self, entry: Entry, text: str) -> int:
        if self.json:
            self.emit(_entry_json(entry))
        else:
            self.out.write(_one_line(text) + "\n")
        return 0


def _record(run: _Run) -> int:
    a = run.args
    with run.open(create=True) as led:
        favor = led.record(
            a.giver,
            a.receiver,
            a.value,
            kind=a.kind,
            via=a.via,
            reason=a.reason,
            at=_moment(a.at),
            tags=a.tag,
            referral_share=a.share,
            id=a.id,
        )
    via = f" (via {favor.via})" if favor.via else ""
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {_amount(favor.value)}{via}",
    )


def _reverse(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        reversal = led.reverse(a.favor_id, reason=a.reason, at=_moment(a.at), id=a.id)
    return run.recorded(
        reversal, f"recorded reversal {reversal.id} of favor {reversal.favor_id}"
    )


def _tie(run: _Run) -> int:
    a = run.args
    with run.open(create=True) as led:
        tie = led.tie(
            a.a,
            a.b,
            a.strength,
            kind=a.kind,
            reason=a.reason,
            at=_moment(a.at),
            id=a.id,
        )
    return run.recorded(
        tie,
        f"recorded tie {tie.id}: {tie.a} and {tie.b} ({tie.kind},"
        f" strength {_amount(tie.strength)})",
    )


def _person(run: _Run) -> int:
    a = run.args
    with run.open(create=True) as led:
        person = led.add_person(a.person, a.name, tags=a.tag)
    return run.recorded(person, f"{person.id}: {person.name}")


def _balance(run: _Run) -> int:
    with run.read() as led:
        if run.args.person is not None:
            person = run.args.person
            value = led.balance(person)
            if run.json:
                run.emit({"person": person, "balance": _amount(value)})
            else:
                run.out.write(f"{_amount(value)}\n")
            return 0
        balances = sorted(led.balances().items(), key=lambda pb: (-pb[1], pb[0]))
        names = {p: led.people[p].name for p, _ in balances}
    if run.json:
        run.emit({person: _amount(value) for person, value in balances})
    else:
        rows = [[p, names[p], _amount(v)] for p, v in balances]
        _table(run.out, ["person", "name", "balance"], rows)
    return 0


def _owes(run: _Run) -> int:
    person = run.args.person
    with run.read() as led:
        if person is not None:
            led.balance(person)  # an unknown person is an error, not "(nothing)"
        debts = [
            d for d in led.who_owes_whom() if person in (None, d.debtor, d.creditor)
        ]
    if run.json:
        run.emit(
            [
                {
                    "debtor": d.debtor,
                    "creditor": d.creditor,
                    "amount": _amount(d.amount),
                }
                for d in debts
            ]
        )
    else:
        rows = [[d.debtor, "owes", d.creditor, _amount(d.amount)] for d in debts]
        _table(run.out, ["debtor", "", "creditor", "amount"], rows)
    return 0


def _history(run: _Run) -> int:
    with run.read() as led:
        entries = led.history(run.args.person)
        reversed_ids = set(led.reversals)
    if run.json:
        run.emit([_entry_json(entry) for entry in entries])
        return 0
    rows = []
    for entry in entries:
        value = getattr(entry, "value", None)
        kind = type(entry).__name__.lower()
        if isinstance(entry, Favor) and entry.id in reversed_ids:
            kind = "favor (reversed)"
        rows.append(
            [
                entry.at.isoformat(timespec="minutes"),
                kind,
                entry.id,
                "" if value is None else _amount(value),
                _describe(entry),
            ]
        )
    _table(run.out, ["at", "entry", "id", "value", "details"], rows)
    return 0


def _people(run: _Run) -> int:
    with run.read() as led:
        people = sorted(led.people.values(), key=lambda p: p.id)
        balances = led.balances()
    if run.json:
        run.emit(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "tags": sorted(p.tags),
                    "balance": _amount(balances[p.id]),
                }
                for p in people
            ]
        )
    else:
        rows = [
            [p.id, p.name, ", ".join(sorted(p.tags)), _amount(balances[p.id])]
            for p in people
        ]
        _table(run.out, ["id", "name", "tags", "balance"], rows)
    return 0


def _format(path: str, given: str | None, allowed: Sequence[str]) -> str:
    if given is not None:
        return given
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None or found not in allowed:
        raise UsageError(
            f"{path}: cannot tell the format from the file name; give --format"
            f" ({'|'.join(allowed)})"
        )
    return found


def _located(path: str, kind: str) -> list[tuple[int | None, Entry]]:
    """Every entry of an import file, with its line where the format has lines."""
    if kind == "csv":
        return _read_favor_rows(path)
    if kind == "jsonl":
        return list(read_jsonl_located(path))
    read = read_graphml if kind == "graphml" else read_gexf
    return [(None, entry) for entry in read(path)]


def _import(run: _Run) -> int:
    """All or nothing: the whole file is read and checked before the store is
    opened, and a store that does not exist yet is created only for a file the
    ledger accepts (checked first on an empty ledger in memory)."""
    path = run.args.file
    kind = _format(path, run.args.format, IMPORT_FORMATS)
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file")
    located = _located(path, kind)
    if not os.path.exists(run.db):
        _add_located(Ledger(), path, located)
    with run.open(create=True) as led, _progress("importing") as progress:
        new = _add_located(led, path, located, progress)
        total = len(led.log)
    if run.json:
        run.emit({"file": path, "format": kind, "new": new, "entries": total})
    else:
        run.out.write(
            f"imported {_plural(new, 'new entry')} from {path} ({kind}); the"
            f" ledger holds {_plural(total, 'entry')}\n"
        )
    return 0


def _export(run: _Run) -> int:
    """Never destroys data: the store itself (and its journal files) and any
    other SQLite database are refused without ``--force``; regular files are
    replaced atomically, ``-``, devices and FIFOs written directly, symbolic
    links followed (see :func:`favorledger.io.files.writing`)."""
    path = run.args.file
    kind = _format(path, run.args.format, EXPORT_FORMATS)
    if not run.args.force and _is_store(path, run.db):
        raise OverwriteError(
            f"{path}: refusing to export onto the ledger's own store {run.db}"
            " (--force overwrites it anyway)"
        )
    with run.read() as led, _progress("exporting") as progress:
        count = _write(led, path, kind, progress, force=run.args.force)
    if path == "-":  # the export itself went to standard output
        run = _Run(run.args, sys.stderr)
    if run.json:
        run.emit({"file": path, "format": kind, "written": count})
    else:
        units = {"dot": "debt", "edges": "edge", "jsonl": "entry"}
        unit = _plural(count, units.get(kind, "favor"))
        run.out.write(f"wrote {unit} to {path} ({kind})\n")
    return 0


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
    }
    return writers[kind](led, path, progress=progress, force=force)


def _check(run: _Run) -> int:
    if not run.exists():
        run.open(create=False)  # raises the friendly "no ledger here" error
    problems: list[str] = run.store.check_store(
        run.db, expect_head=run.args.expect_head
    )
    head = run.store.store_head(run.db) if run.args.head and not problems else None
    if run.json:
        report: dict[str, Any] = {"store": run.db, "problems": problems}
        if head is not None:
            report["head"] = head
        run.emit(report)
    elif problems:
        run.out.write("".join(f"{_one_line(problem)}\n" for problem in problems))
    else:
        run.out.write(f"{run.db}: ok\n")
        if head is not None:
            run.out.write(f"head {head}\n")
    return 1 if problems else 0


def _why(transfer: Transfer) -> list[str]:
    """The ids of the favors behind a transfer, each once, in order."""
    return list(dict.fromkeys(o.favor_id for o in transfer.explained_by))


def _settle(run: _Run) -> int:
    a = run.args
    with run.open(create=False, readonly=not a.apply) as led:
        transfers = settle(led, method=a.method)
        recorded = (
            led.apply(transfers, reason=a.reason) if a.apply and transfers else []
        )
    if run.json:
        plan: list[dict[str, Any]] = [
            {
                "payer": t.payer,
                "payee": t.payee,
                "amount": _amount(t.amount),
                "why": _why(t),
            }
            for t in transfers
        ]
        for item, entry in zip(plan, recorded, strict=False):
            item["settlement"] = entry.id
        run.emit(plan)
        return 0
    rows = [
        [t.payer, "returns a favor to", t.payee, _amount(t.amount), ", ".join(_why(t))]
        for t in transfers
    ]
    _table(run.out, ["payer", "", "payee", "amount", "why"], rows)
    if recorded:
        ids = ", ".join(entry.id for entry in recorded)
        run.out.write(f"recorded {_plural(len(recorded), 'settlement')}: {ids}\n")
    return 0


def _path(run: _Run) -> int:
    a = run.args
    with run.read() as led:
        paths: list[ReferralPath]
        if a.k is None:
            paths = [referral_path(led, a.source, a.target, weight=a.weight)]
        else:
            paths = referral_paths(led, a.source, a.target, a.k, weight=a.weight)
    if run.json:
        run.emit(
            [
                {
                    "people": list(p.people),
                    "hops": len(p.hops),
                    "trust": _amount(p.trust),
                    "weight": p.weight,
                }
                for p in paths
            ]
        )
    else:
        rows = [
            [" -> ".join(p.people), str(len(p.hops)), _amount(p.trust)] for p in paths
        ]
        _table(run.out, ["path", "hops", "trust"], rows)
    return 0


def _pledge(run: _Run) -> int:
    a = run.args
    with run.open(create=True) as led:
        pledge = led.pledge(
            a.giver,
            a.receiver,
            a.value,
            expires=_moment(a.expires),
            reason=a.reason,
            id=a.id,
        )
    expires = f" (expires {pledge.expires.isoformat()})" if pledge.expires else ""
    return run.recorded(
        pledge,
        f"recorded pledge {pledge.id}: {pledge.giver} promises {pledge.receiver} a"
        f" favor worth {_amount(pledge.value)}{expires}",
    )


def _call(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        favor = led.call(a.pledge_id, value=a.value)
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {_amount(favor.value)} (calls pledge {a.pledge_id})",
    )


def _agenda(run: _Run) -> int:
    a = run.args
    today = _moment(a.today) or utcnow()
    with run.read() as led:
        items = agenda(led, a.person, today=today)
    if run.json:
        run.emit(
            [
                {
                    "action": i.action,
                    "person": i.person,
                    "reason": i.reason,
                    "since": i.since.isoformat(),
                    "due": None if i.due is None else i.due.isoformat(),
                    "amount": None if i.amount is None else _amount(i.amount),
                    "entries": list(i.entries),
                }
                for i in items
            ]
        )
    else:
        rows = [[i.action, i.person, i.reason] for i in items]
        _table(run.out, ["action", "person", "reason"], rows)
    return 0


_COMMANDS: Final[dict[str, Callable[[_Run], int]]] = {
    "record": _record,
    "add": _record,
    "reverse": _reverse,
    "tie": _tie,
    "person": _person,
    "balance": _balance,
    "owes": _owes,
    "who-owes-whom": _owes,
    "history": _history,
    "people": _people,
    "import": _import,
    "export": _export,
    "check": _check,
    "settle": _settle,
    "path": _path,
    "pledge": _pledge,
    "call": _call,
    "agenda": _agenda,
}


def _explain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FavorLedgerError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``favorledger`` command; return its exit status.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``check`` finds problems, 2 for a mistake (a bad
        argument, a refused entry, an unreadable file), 130 if interrupted.
    """
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    for number, argument in enumerate(argv, start=1):
        if _SURROGATE.search(argument):  # bytes that are not UTF-8, escaped
            sys.stderr.write(
                f"favorledger: error: argument {number} is not valid UTF-8 text:"
                f" {shown(argument)}\n"
            )
            return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse reported
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _COMMANDS[args.command](_Run(args, sys.stdout))
    except (FavorLedgerError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        sys.stderr.write(f"favorledger: error: {_one_line(_explain(exc))}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("favorledger: interrupted\n")
        return 130


def _broken_pipe() -> int:
    """The reader went away (``favorledger history me | head``): stop quietly."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
