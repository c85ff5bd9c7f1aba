"""The ``favorledger`` command: keep a favor ledger from the terminal.

The ledger lives in an SQLite store (:mod:`favorledger.io.sqlite`): ``--db``,
else ``$FAVORLEDGER_DB``, else ``favors.db`` in the current directory; a
``postgresql://`` URL there names a ledger kept in PostgreSQL
(:mod:`favorledger.io.postgres`). Every
command opens it, does one thing and closes it; whatever it records is on disk
before it exits.

The commands (``favorledger --help``; docs/command-line.md describes each,
with its ``--json`` shape)::

    record reverse tie person              write entries
    balance owes history log people        read the ledger
    pledge pledges call release            promises
    ask asks answer complete assign barter the favor market
    settle clear path agenda               settle up, find introductions
    import export check config             files and the store
                                           (import: all or nothing; export: --force)

Answers are readable tables; ``--json`` prints JSON for scripts instead. A
column of amounts shares one number of decimals (``4.50``, ``-2.00``); a
value with no decimal form is a fraction (``1/3``). Tables show ids by their
shortest unique prefix, and any unique prefix is accepted. A bare date
(``--at 2024-05-01``) is midnight UTC; a time without an offset is local
time. A mistake prints one line to stderr and exits with status 2; ``check``
exits with 1 when it finds a problem.

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
me      me        -3.0
0
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO, TypeVar

from favorledger import __version__, trading
from favorledger._display import amount_column, amount_text, one_line, short_ids, table
from favorledger._exact import ZERO, Amount
from favorledger.agenda import agenda
from favorledger.clearing import clear_cycles
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
from favorledger.io.parquet import write_parquet
from favorledger.io.postgres import is_postgres_url
from favorledger.io.sqlite import StoredLedger, read_settings, write_setting
from favorledger.io.tables import (
    Progress,
    _add_located,
    _read_favor_rows,
    write_csv,
    write_edges,
)
from favorledger.ledger import Ledger
from favorledger.model import (
    ANSWERS,
    NO_TAGS,
    TIE_KINDS,
    Ask,
    Entry,
    Favor,
    Person,
    Pledge,
    Reversal,
    Settlement,
    Transfer,
    utcnow,
)
from favorledger.referrals import ReferralPath, referral_path, referral_paths
from favorledger.settlement import settle

__all__ = ["main"]

DEFAULT_DB: Final = "favors.db"
"""The store used when neither ``--db`` nor ``$FAVORLEDGER_DB`` is given."""

SETTINGS: Final = ("strict",)
"""The settings ``config`` keeps in the store."""

IMPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf")
EXPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf", "dot", "edges", "parquet")
_SUFFIXES: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".dot": "dot",
    ".gv": "dot",
    ".parquet": "parquet",
}


_T = TypeVar("_T")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class UsageError(FavorLedgerError, ValueError):
    """A command line that cannot be carried out (reported, exit status 2)."""


# ------------------------------------------------------------------ parsing

AT_HELP: Final = (
    "when (ISO-8601 date or date-time, e.g. 2025-03-01 or 2025-03-01T09:30;"
    " a date is midnight UTC, a time without an offset is local; default now)"
)
VALUE_HELP: Final = "an exact amount: 3, 2.50 or 1/3"
ID_HELP: Final = (
    "the new entry's id (default: a fresh one); importing it again is a no-op"
)
REASON_HELP: Final = "why, in words"
SHARE_HELP: Final = "the referrer's share of VALUE, from 0 to 1 (needs --via)"
ENTRY_TYPES: Final = (
    "person",
    "tie",
    "favor",
    "reversal",
    "pledge",
    "release",
    "ask",
    "answer",
    "assignment",
    "settlement",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with the arguments it quotes back made safe for a terminal."""

    def error(self, message: str) -> NoReturn:
        super().error(one_line(message))


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON instead of a table (shapes: docs/command-line.md)",
    )
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse names the ledger has never seen (also: config strict on)",
    )
    parser = _Parser(
        prog="favorledger",
        description="Keep an exact, append-only ledger of favors: who owes whom.",
        parents=[common],
        epilog="Ids may be shortened to any unique prefix, as in git.",
    )
    parser.add_argument(
        "--version", action="version", version=f"favorledger {__version__}"
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

    def entry_options(sub: Any, *, reason: bool = True) -> None:
        if reason:
            sub.add_argument("--reason", default="", help=REASON_HELP)
        sub.add_argument("--at", help=AT_HELP)
        sub.add_argument("--id", help=ID_HELP)

    record = command("record", "record a favor: RECEIVER now owes GIVER", ["add"])
    record.add_argument("giver", help="who did the favor")
    record.add_argument("receiver", help="who received it (and now owes it)")
    record.add_argument("value", help=VALUE_HELP)
    record.add_argument(
        "--kind", default="favor", help="what sort of favor (default: favor)"
    )
    record.add_argument("--via", help="who referred RECEIVER to GIVER (owes a share)")
    record.add_argument("--share", help=SHARE_HELP)
    record.add_argument(
        "--tag", action="append", default=[], help="a label (repeatable)"
    )
    entry_options(record)

    reverse = command("reverse", "cancel a favor with a correcting entry")
    reverse.add_argument(
        "favor_id", metavar="FAVOR_ID", help="the favor (a prefix will do)"
    )
    entry_options(reverse)

    tie = command("tie", "state how well A and B know each other")
    tie.add_argument("a", help="one person")
    tie.add_argument("b", help="the other person")
    tie.add_argument("strength", help="a weight from 0 to 1, e.g. 0.8 or 1/3")
    tie.add_argument(
        "--kind",
        default="acquaintance",
        choices=sorted(TIE_KINDS - {"implied"}),
        help="how they know each other (default: acquaintance)",
    )
    entry_options(tie)

    person = command(
        "person", "add a person, or restate their name or tags (the rest is kept)"
    )
    person.add_argument("person", metavar="PERSON", help="the person's id")
    person.add_argument("--name", help="the display name (default: kept, or the id)")
    person.add_argument(
        "--tag",
        action="append",
        help="a tag (repeatable); the tags given replace the old ones",
    )
    person.add_argument("--at", help=AT_HELP)

    balance = command("balance", "everyone's balance, or one person's")
    balance.add_argument("person", nargs="?", help="only this person")
    balance.add_argument("--at", help="as the ledger stood then (" + AT_HELP[6:])
    owes = command("owes", "who owes whom (netted per pair)", ["who-owes-whom"])
    owes.add_argument("person", nargs="?", help="only debts involving PERSON")
    history = command("history", "the entries involving PERSON, in time order")
    history.add_argument("person", help="whose history")
    command("people", "everyone in the ledger, with tags and balance")
    log = command("log", "the whole log, oldest first, filtered if asked")
    log.add_argument("--person", help="only entries naming this person")
    log.add_argument("--type", choices=ENTRY_TYPES, help="only entries of this type")
    log.add_argument("--kind", help="only favors, pledges and asks of this kind")
    log.add_argument("--since", help="only entries at or after this time")
    log.add_argument("--until", help="only entries at or before this time")

    load = command("import", "add the entries of a file (importing twice adds nothing)")
    load.add_argument("file", help="a .jsonl, .csv, .graphml or .gexf file")
    load.add_argument(
        "--format",
        choices=IMPORT_FORMATS,
        help="the file's format (default: from its name)",
    )
    dump = command("export", "write the ledger to a file")
    dump.add_argument("file", help="the file to write; - for standard output")
    dump.add_argument(
        "--format", choices=EXPORT_FORMATS, help="the format (default: from the name)"
    )
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
    config = command("config", "show or change a setting kept in the store")
    config.add_argument("setting", nargs="?", choices=SETTINGS, help="the setting")
    config.add_argument("value", nargs="?", choices=("on", "off"), help="its new value")

    square = command("settle", "suggest the favor-returns that square everyone")
    square.add_argument(
        "--method",
        default="auto",
        choices=("auto", "exact", "greedy", "ties"),
        help="fewest returns (exact), fast (greedy), only along ties, or"
        " auto (default)",
    )
    square.add_argument(
        "--apply", action="store_true", help="record the suggested favor-returns"
    )
    square.add_argument("--reason", default="", help="recorded with --apply")
    square.add_argument("--at", help="with --apply, when (" + AT_HELP[6:])
    clear = command("clear", "set off cycles of obligations (a owes b owes c owes a)")
    clear.add_argument("--apply", action="store_true", help="record the set-offs")
    clear.add_argument("--reason", default="", help="recorded with --apply")
    clear.add_argument("--at", help="with --apply, when (" + AT_HELP[6:])

    path = command("path", "who can introduce SOURCE to TARGET")
    path.add_argument("source", help="who wants the introduction")
    path.add_argument("target", help="whom they want to meet")
    path.add_argument(
        "--k", type=int, metavar="N", help="show up to N alternatives, best first"
    )
    path.add_argument(
        "--weight",
        default="trust",
        choices=("trust", "hops", "leverage"),
        help="most trusted (default), fewest hops, or leaning on who owes you",
    )

    pledge = command("pledge", "record a promise: GIVER will do RECEIVER a favor")
    pledge.add_argument("giver", help="who promises")
    pledge.add_argument("receiver", help="who may call the promise")
    pledge.add_argument("value", help=VALUE_HELP)
    pledge.add_argument("--expires", help="when it lapses (ISO-8601)")
    pledge.add_argument("--kind", default="favor", help="what sort of favor")
    entry_options(pledge)
    pledges = command("pledges", "the pledges, with their status")
    pledges.add_argument("person", nargs="?", help="only pledges by or to PERSON")
    pledges.add_argument(
        "--status",
        choices=("open", "called", "released", "expired"),
        help="only pledges with this status",
    )
    pledges.add_argument("--at", help="as they stood then (" + AT_HELP[6:])
    call = command("call", "call a pledge: record its favor")
    call.add_argument(
        "pledge_id", metavar="PLEDGE_ID", help="the pledge (a prefix will do)"
    )
    call.add_argument("--value", help="at most the pledge's value (default: all of it)")
    entry_options(call, reason=False)
    release = command("release", "give up an open pledge; it can no longer be called")
    release.add_argument(
        "pledge_id", metavar="PLEDGE_ID", help="the pledge (a prefix will do)"
    )
    entry_options(release)

    ask = command("ask", "record that ASKER asked ASKED for a favor")
    ask.add_argument("asker", help="who asks")
    ask.add_argument("asked", help="who is asked")
    ask.add_argument("value", help=VALUE_HELP)
    ask.add_argument("--due", help="by when (ISO-8601)")
    ask.add_argument("--kind", default="favor", help="what sort of favor")
    entry_options(ask)
    asks = command("asks", "the asks, with their status")
    asks.add_argument("person", nargs="?", help="only asks by or of PERSON")
    asks.add_argument("--at", help="as they stood then (" + AT_HELP[6:])
    answer = command("answer", "accept or decline an open ask")
    answer.add_argument("ask_id", metavar="ASK_ID", help="the ask (a prefix will do)")
    answer.add_argument("status", choices=ANSWERS, help="the answer")
    entry_options(answer, reason=False)
    complete = command("complete", "complete an ask: record the favor that fulfils it")
    complete.add_argument("ask_id", metavar="ASK_ID", help="the ask (a prefix will do)")
    complete.add_argument("--value", help="the favor's value (default: the ask's)")
    entry_options(complete, reason=False)

    assign = command(
        "assign", "pass on what DEBTOR owes HOLDER: DEBTOR now owes NEW_HOLDER"
    )
    assign.add_argument("holder", help="who is owed now")
    assign.add_argument("debtor", help="who owes HOLDER")
    assign.add_argument("new_holder", help="whom HOLDER owes; DEBTOR will owe them")
    assign.add_argument("amount", help=VALUE_HELP)
    entry_options(assign)
    barter = command("barter", "record two favors exchanged at once: A for B, B for A")
    barter.add_argument("a", help="one person")
    barter.add_argument("b", help="the other person")
    barter.add_argument(
        "a_value", metavar="A_VALUE", help="what A did for B (" + VALUE_HELP[3:] + ")"
    )
    barter.add_argument("b_value", metavar="B_VALUE", help="what B did for A")
    barter.add_argument("--kind", default="barter", help="the favors' kind")
    barter.add_argument("--reason", default="", help=REASON_HELP)
    barter.add_argument("--at", help=AT_HELP)

    todo = command("agenda", "what PERSON should attend to, with the reasons")
    todo.add_argument("person", help="whose agenda")
    todo.add_argument("--at", help="the day to plan (" + AT_HELP[6:])
    todo.add_argument("--today", dest="at", help=argparse.SUPPRESS)  # deprecated
    for sub in commands.choices.values():
        for action in sub._actions:  # the names the help text and errors use
            positional = not action.option_strings
            if positional and action.metavar is None and action.choices is None:
                action.metavar = action.dest.upper()
            elif action.dest in _TIMES and action.metavar is None:
                action.metavar = "TIME"
    return parser


_TIMES: Final = frozenset({"at", "since", "until", "expires", "due"})


# ------------------------------------------------------------------ helpers


def _moment(text: str | None) -> datetime | str | None:
    """An ISO-8601 time: a bare date is midnight UTC, a time without an
    offset is local time."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model names the field and the bad value
    if moment.tzinfo is not None:
        return moment
    if not any(mark in text.strip().upper() for mark in ":T "):  # a date alone
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone()
    except (OverflowError, ValueError):  # year 1 or 9999: the model refuses it
        return moment.replace(tzinfo=datetime.now().astimezone().tzinfo).isoformat()


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _entry_json(entry: Entry) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(dumps_entry(entry))
    return body


_NAME_FIELDS: Final = (
    "payer",
    "payee",
    "giver",
    "receiver",
    "via",
    "a",
    "b",
    "asker",
    "asked",
    "holder",
    "debtor",
    "new_holder",
)


def _names(entry: Entry) -> list[str]:
    """The people an entry names directly."""
    if isinstance(entry, Person):
        return [entry.id]
    found = [getattr(entry, field, None) for field in _NAME_FIELDS]
    return [name for name in found if isinstance(name, str)]


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

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.json = bool(getattr(args, "json", False))
        self.db = args.db or os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB
        self._short: dict[str, str] | None = None
        self._led: StoredLedger | None = None
        self._note = ""

    @property
    def store(self) -> Any:
        """The store's module: :mod:`~favorledger.io.postgres` for a URL."""
        return postgres if is_postgres_url(self.db) else sqlite

    def exists(self) -> bool:
        """Whether the store may exist (a URL is asked by opening it)."""
        return is_postgres_url(self.db) or os.path.exists(self.db)

    def open(self, *, create: bool, readonly: bool = False) -> StoredLedger:
        """Open the store (``create``: make it if missing)."""
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
            self.err.write(
                f"favorledger: warning: {one_line(problem)}; the store is"
                " read-only without that entry (see `favorledger check`)\n"
            )
        self._led = led
        return led

    def read(self) -> StoredLedger:
        """The store, opened read-only (a read command never writes)."""
        return self.open(create=False, readonly=True)

    def write(self, act: Callable[[Ledger], _T], *names: str | None) -> _T:
        """Do ``act`` to the ledger (creating the store), pointing out the new
        names among ``names``. A new store is made only if ``act`` succeeds
        on an empty ledger first, so a refused entry leaves no file behind."""
        if not self.exists():
            self.people(Ledger(), *names)
            act(Ledger())
        with self.open(create=True) as led:
            self.people(led, *names)
            return act(led)

    @property
    def strict(self) -> bool:
        """``--strict``, or ``config strict on`` kept in the store."""
        if getattr(self.args, "strict", False):
            return True
        if is_postgres_url(self.db) or not os.path.exists(self.db):
            return False  # settings are kept in SQLite stores only
        return read_settings(self.db).get("strict") == "on"

    def people(self, led: Ledger, *names: str | None) -> None:
        """Point out names the ledger has never seen; refuse them if strict."""
        known = led.people
        new = list(dict.fromkeys(n for n in names if n is not None and n not in known))
        if not new:
            return
        hints = []
        for name in new:
            close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
            like = " or ".join(repr(c) for c in close)
            hints.append(f"{name!r}" + (f" (did you mean {like}?)" if close else ""))
        noun = "person" if len(new) == 1 else "people"
        if self.strict:
            raise UsageError(
                f"unknown {noun} {', '.join(hints)}; strict mode refuses new names:"
                f" add them first with `favorledger person {new[0]}`"
            )
        self._note = f"favorledger: new {noun} {', '.join(hints)}\n"

    def short(self, entry_id: str) -> str:
        """The shortest unique prefix of an id, as tables show it."""
        if self._short is None:
            assert self._led is not None
            ids = (e.id for e in self._led.log if not isinstance(e, Person))
            self._short = short_ids(ids)
        return self._short.get(entry_id, entry_id)

    def resolve(
        self,
        led: StoredLedger,
        text: str,
        kind: type[Entry] | tuple[type[Entry], ...],
        noun: str,
    ) -> str:
        """The id that ``text`` names: itself, or the one id it begins."""
        ids = [e.id for e in led.log if isinstance(e, kind)]
        if text in ids:
            return text
        found = sorted(i for i in ids if i.startswith(text))
        if len(found) == 1:
            return found[0]
        if not found:
            raise UsageError(f"no {noun} has an id beginning {text!r}")
        listed = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        raise UsageError(
            f"{text!r} is ambiguous: it begins the ids of {len(found)} {noun}s"
            f" ({listed}); type more of it"
        )

    def emit(self, data: object) -> None:
        json.dump(data, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")

    def recorded(self, entry: Entry, text: str) -> int:
        """Say what was recorded (and point out new names, on stderr)."""
        self.err.write(self._note)
        if self.json:
            self.emit(_entry_json(entry))
        else:
            self.out.write(one_line(text) + "\n")
        return 0


def _record(run: _Run) -> int:
    a = run.args
    if a.share is not None and a.via is None:
        raise UsageError(
            f"--share {a.share} needs --via: the share is what the referrer owes"
        )
    favor = run.write(
        lambda led: led.record(
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
        ),
        a.giver,
        a.receiver,
        a.via,
    )
    via = f" (via {favor.via})" if favor.via else ""
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {amount_text(favor.value)}{via}",
    )


def _reverse(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        favor_id = run.resolve(led, a.favor_id, (Favor, Settlement), "favor")
        reversal = led.reverse(favor_id, reason=a.reason, at=_moment(a.at), id=a.id)
    return run.recorded(
        reversal, f"recorded reversal {reversal.id} of favor {reversal.favor_id}"
    )


def _tie(run: _Run) -> int:
    a = run.args
    tie = run.write(
        lambda led: led.tie(
            a.a,
            a.b,
            a.strength,
            kind=a.kind,
            reason=a.reason,
            at=_moment(a.at),
            id=a.id,
        ),
        a.a,
        a.b,
    )
    return run.recorded(
        tie,
        f"recorded tie {tie.id}: {tie.a} and {tie.b} ({tie.kind},"
        f" strength {amount_text(tie.strength)})",
    )


def _person(run: _Run) -> int:
    a = run.args

    def restate(led: Ledger) -> Person:  # what is not restated is kept
        tags = NO_TAGS if a.tag is None else a.tag
        return led.add_person(a.person, a.name, tags=tags, at=_moment(a.at))

    person = run.write(restate)
    tagged = f" [{', '.join(sorted(person.tags))}]" if person.tags else ""
    return run.recorded(person, f"{person.id}: {person.name}{tagged}")


def _balance(run: _Run) -> int:
    at = _moment(run.args.at)
    person = run.args.person
    with run.read() as led:
        if person is not None:
            led.balance(person)  # an unknown person is an error
        balances = led.balances(at=at) if at is not None else led.balances()
        ordered = sorted(balances.items(), key=lambda pb: (-pb[1], pb[0]))
        names = {p: led.people[p].name for p, _ in ordered}
    if person is not None:
        value = balances.get(person, ZERO)
        if run.json:
            run.emit({"person": person, "balance": amount_text(value)})
        else:
            run.out.write(f"{amount_text(value)}\n")
        return 0
    if run.json:
        run.emit({p: amount_text(value) for p, value in ordered})
        return 0
    column = amount_column([v for _, v in ordered])
    rows = [[p, names[p], text] for (p, _), text in zip(ordered, column, strict=True)]
    table(run.out, ["person", "name", "balance"], rows)
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
                    "amount": amount_text(d.amount),
                }
                for d in debts
            ]
        )
        return 0
    column = amount_column([d.amount for d in debts])
    rows = [
        [d.debtor, "owes", d.creditor, text]
        for d, text in zip(debts, column, strict=True)
    ]
    table(run.out, ["debtor", "", "creditor", "amount"], rows)
    return 0


def _describe(entry: Entry, run: _Run) -> str:
    if isinstance(entry, Favor):
        via = f" via {entry.via}" if entry.via else ""
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        fulfils = f", fulfils {run.short(entry.fulfils)}" if entry.fulfils else ""
        return f"{entry.giver} -> {entry.receiver} ({entry.kind}{via}{fulfils}){why}"
    if isinstance(entry, Reversal):
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        return f"reverses {run.short(entry.favor_id)}{why}"
    body = json.loads(dumps_entry(entry))
    hidden = ("format", "type", "id", "at", "value", "amount", "strength")
    return ", ".join(
        f"{key}={run.short(value) if key.endswith('_id') else value}"
        for key, value in body.items()
        if key not in hidden and value not in (None, "", [])
    )


def _entry_amount(entry: Entry) -> Amount | None:
    for field in ("value", "amount", "strength"):
        value = getattr(entry, field, None)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return None


def _entries_table(run: _Run, entries: Sequence[Entry], reversed_ids: set[str]) -> None:
    column = amount_column([_entry_amount(e) for e in entries])
    rows = []
    for entry, value in zip(entries, column, strict=True):
        kind = type(entry).__name__.lower()
        if isinstance(entry, Favor) and entry.id in reversed_ids:
            kind = "favor (reversed)"
        shown = entry.id if isinstance(entry, Person) else run.short(entry.id)
        at = entry.at.isoformat(timespec="minutes")
        rows.append([at, kind, shown, value, _describe(entry, run)])
    table(run.out, ["at", "entry", "id", "value", "details"], rows)


def _history(run: _Run) -> int:
    with run.read() as led:
        entries = led.history(run.args.person)
        if not run.json:
            _entries_table(run, entries, set(led.reversals))
            return 0
    run.emit([_entry_json(entry) for entry in entries])
    return 0


def _since_until(run: _Run) -> tuple[datetime | None, datetime | None]:
    found = []
    for flag in ("since", "until"):
        moment = _moment(getattr(run.args, flag))
        if isinstance(moment, str):
            raise UsageError(
                f"--{flag} must be an ISO-8601 date or time, got {moment!r}"
            )
        found.append(moment)
    return found[0], found[1]


def _log(run: _Run) -> int:
    a = run.args
    since, until = _since_until(run)
    with run.read() as led:
        if a.person is not None:
            led.balance(a.person)  # an unknown person is an error
        entries = [
            e
            for e in led.log
            if (a.type is None or type(e).__name__.lower() == a.type)
            and (a.kind is None or getattr(e, "kind", None) == a.kind)
            and (a.person is None or a.person in _names(e))
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
        ]
        if not run.json:
            _entries_table(run, entries, set(led.reversals))
            return 0
    run.emit([_entry_json(entry) for entry in entries])
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
                    "balance": amount_text(balances[p.id]),
                }
                for p in people
            ]
        )
        return 0
    column = amount_column([balances[p.id] for p in people])
    rows = [
        [p.id, p.name, ", ".join(sorted(p.tags)), text]
        for p, text in zip(people, column, strict=True)
    ]
    table(run.out, ["id", "name", "tags", "balance"], rows)
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


def _located(path: str, kind: str, undated: set[str]) -> list[tuple[int | None, Entry]]:
    """Every entry of an import file, with its line where the format has lines
    (the ids of CSV rows that gave no time are added to ``undated``)."""
    if kind == "csv":
        return _read_favor_rows(path, undated)
    if kind == "jsonl":
        return list(read_jsonl_located(path))
    read = read_graphml if kind == "graphml" else read_gexf
    return [(None, entry) for entry in read(path)]


def _import(run: _Run) -> int:
    """All or nothing: the whole file is read and checked before the store is
    opened, and a store that does not exist yet is created only for a file the
    ledger accepts (checked first on an empty ledger in memory)."""
    path = run.args.file
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise UsageError(f"{path}: not a file")
    kind = _format(path, run.args.format, IMPORT_FORMATS)
    undated: set[str] = set()
    located = _located(path, kind, undated)
    if not run.exists():
        _add_located(Ledger(), path, located)
    with run.open(create=True) as led, _progress("importing") as progress:
        # a CSV row without a time is dated when first imported: seen again,
        # its id (given, or derived from the row) says it is already in
        seen = led.favors
        located = [
            (n, e) for n, e in located if e.id not in undated or e.id not in seen
        ]
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


_CARRIED: Final = {
    "csv": frozenset({"favor", "reversal", "settlement"}),
    "graphml": frozenset({"favor", "tie", "person"}),
    "gexf": frozenset({"favor", "tie", "person"}),
}


def _left_out(led: StoredLedger, kind: str) -> dict[str, int]:
    """The entries an export in ``kind`` does not carry, counted by type.

    People only implied by favors are not counted: favors bring them back.
    """
    carried = _CARRIED.get(kind)
    if carried is None:  # jsonl carries everything; dot and edges are views
        return {}
    counts: dict[str, int] = {}
    for entry in led.log:
        name = type(entry).__name__.lower()
        if name in carried:
            continue
        if isinstance(entry, Person) and entry == Person.implicit(entry.id, entry.at):
            continue
        counts[name] = counts.get(name, 0) + 1
    return counts


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
        left_out = _left_out(led, kind)
        count = _write(led, path, kind, progress, force=run.args.force)
    if path == "-":  # the export itself went to standard output
        run = _Run(run.args, sys.stderr, sys.stderr)
    if run.json:
        run.emit({"file": path, "format": kind, "written": count, "left_out": left_out})
        return 0
    units = {"dot": "debt", "edges": "edge", "jsonl": "entry"}
    unit = _plural(count, units.get(kind, "favor"))
    run.out.write(f"wrote {unit} to {path} ({kind})\n")
    if left_out:
        missing = ", ".join(_plural(n, name) for name, n in sorted(left_out.items()))
        run.out.write(
            f"left out (not kept in {kind}): {missing}; the balances are the same."
            " For the whole ledger, export to .jsonl\n"
        )
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
        "parquet": write_parquet,
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
        run.out.write("".join(f"{one_line(problem)}\n" for problem in problems))
    else:
        run.out.write(f"{run.db}: ok\n")
        if head is not None:
            run.out.write(f"head {head}\n")
    return 1 if problems else 0


def _config(run: _Run) -> int:
    a = run.args
    if is_postgres_url(run.db):
        raise UsageError("settings are kept in SQLite stores only; use --strict")
    if not os.path.exists(run.db):
        run.open(create=False)  # raises the friendly "no ledger here" error
    if a.setting is not None and a.value is not None:
        write_setting(run.db, a.setting, a.value)
    settings = dict.fromkeys(SETTINGS, "off") | read_settings(run.db)
    listed = {a.setting: settings[a.setting]} if a.setting else settings
    if run.json:
        run.emit(listed)
    else:
        run.out.write("".join(f"{name} = {value}\n" for name, value in listed.items()))
    return 0


def _why(transfer: Transfer) -> list[str]:
    """The ids of the favors behind a transfer, each once, in order."""
    return list(dict.fromkeys(o.favor_id for o in transfer.explained_by))


def _why_text(run: _Run, ids: Sequence[str]) -> str:
    """At most two short ids, then how many more (``f1, 9a0c1e7 +3 more``)."""
    shown = ", ".join(run.short(i) for i in ids[:2])
    return shown + (f" +{len(ids) - 2} more" if len(ids) > 2 else "")


def _transfers(
    run: _Run, transfers: Sequence[Transfer], recorded: Sequence[Settlement], verb: str
) -> None:
    if run.json:
        plan: list[dict[str, Any]] = [
            {
                "payer": t.payer,
                "payee": t.payee,
                "amount": amount_text(t.amount),
                "why": _why(t),
            }
            for t in transfers
        ]
        for item, entry in zip(plan, recorded, strict=False):
            item["settlement"] = entry.id
        run.emit(plan)
        return
    column = amount_column([t.amount for t in transfers])
    rows = [
        [t.payer, verb, t.payee, text, _why_text(run, _why(t))]
        for t, text in zip(transfers, column, strict=True)
    ]
    table(run.out, ["payer", "", "payee", "amount", "why"], rows)
    if recorded:
        ids = ", ".join(run.short(entry.id) for entry in recorded)
        run.out.write(f"recorded {_plural(len(recorded), 'settlement')}: {ids}\n")


def _settle(run: _Run) -> int:
    a = run.args
    with run.open(create=False, readonly=not a.apply) as led:
        transfers = settle(led, method=a.method)
        recorded = (
            led.apply(transfers, reason=a.reason, at=_moment(a.at))
            if a.apply and transfers
            else []
        )
        _transfers(run, transfers, recorded, "returns a favor to")
    return 0


def _clear(run: _Run) -> int:
    a = run.args
    with run.open(create=False, readonly=not a.apply) as led:
        clearing = clear_cycles(led)
        recorded = (
            led.apply(clearing, reason=a.reason, at=_moment(a.at))
            if a.apply and clearing.transfers
            else []
        )
        if not run.json:
            _transfers(run, clearing.transfers, recorded, "sets off with")
            cleared, before = (
                amount_text(clearing.cleared),
                amount_text(clearing.before),
            )
            hint = "" if a.apply else " (--apply records it)"
            run.out.write(f"clears {cleared} of {before} owed, in cycles{hint}\n")
            return 0
    run.emit(
        {
            "cleared": amount_text(clearing.cleared),
            "before": amount_text(clearing.before),
            "set_offs": [
                {"payer": t.payer, "payee": t.payee, "amount": amount_text(t.amount)}
                for t in clearing.transfers
            ],
            "settlements": [entry.id for entry in recorded],
        }
    )
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
                    "trust": amount_text(p.trust),
                    "weight": p.weight,
                }
                for p in paths
            ]
        )
        return 0
    column = amount_column([p.trust for p in paths])
    rows = [
        [" -> ".join(p.people), str(len(p.hops)), text]
        for p, text in zip(paths, column, strict=True)
    ]
    table(run.out, ["path", "hops", "trust"], rows)
    return 0


def _pledge(run: _Run) -> int:
    a = run.args
    pledge = run.write(
        lambda led: trading.pledge(
            led,
            a.giver,
            a.receiver,
            a.value,
            expires=_moment(a.expires),
            kind=a.kind,
            reason=a.reason,
            at=_moment(a.at),
            id=a.id,
        ),
        a.giver,
        a.receiver,
    )
    expires = f" (expires {pledge.expires.isoformat()})" if pledge.expires else ""
    return run.recorded(
        pledge,
        f"recorded pledge {pledge.id}: {pledge.giver} promises {pledge.receiver} a"
        f" favor worth {amount_text(pledge.value)}{expires}",
    )


def _pledges(run: _Run) -> int:
    a = run.args
    at = _moment(a.at)
    with run.read() as led:
        pledges = trading.pledges(led, a.person, status=a.status, at=at)
        status = {p.id: trading.pledge_status(led, p.id, at=at) for p in pledges}
        short = {p.id: run.short(p.id) for p in pledges}
    if run.json:
        run.emit([_entry_json(p) | {"status": status[p.id]} for p in pledges])
        return 0
    column = amount_column([p.value for p in pledges])
    rows = [
        [
            short[p.id],
            p.giver,
            p.receiver,
            text,
            status[p.id],
            "" if p.expires is None else p.expires.isoformat(timespec="minutes"),
        ]
        for p, text in zip(pledges, column, strict=True)
    ]
    table(run.out, ["id", "giver", "receiver", "value", "status", "expires"], rows)
    return 0


def _call(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        pledge_id = run.resolve(led, a.pledge_id, Pledge, "pledge")
        favor = trading.call(led, pledge_id, value=a.value, at=_moment(a.at), id=a.id)
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {amount_text(favor.value)} (calls pledge {pledge_id})",
    )


def _release(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        pledge_id = run.resolve(led, a.pledge_id, Pledge, "pledge")
        release = trading.release(
            led, pledge_id, reason=a.reason, at=_moment(a.at), id=a.id
        )
    return run.recorded(release, f"recorded release {release.id} of pledge {pledge_id}")


def _ask(run: _Run) -> int:
    a = run.args
    ask = run.write(
        lambda led: trading.ask(
            led,
            a.asker,
            a.asked,
            a.value,
            due=_moment(a.due),
            kind=a.kind,
            reason=a.reason,
            at=_moment(a.at),
            id=a.id,
        ),
        a.asker,
        a.asked,
    )
    return run.recorded(
        ask,
        f"recorded ask {ask.id}: {ask.asker} asks {ask.asked} for a favor worth"
        f" {amount_text(ask.value)}",
    )


def _asks(run: _Run) -> int:
    a = run.args
    at = _moment(a.at)
    with run.read() as led:
        asks = trading.asks(led, a.person, at=at)
        status = {k.id: trading.ask_status(led, k.id, at=at) for k in asks}
        short = {k.id: run.short(k.id) for k in asks}
    if run.json:
        run.emit([_entry_json(k) | {"status": status[k.id]} for k in asks])
        return 0
    column = amount_column([k.value for k in asks])
    rows = [
        [short[k.id], k.asker, k.asked, text, status[k.id], one_line(k.reason)]
        for k, text in zip(asks, column, strict=True)
    ]
    table(run.out, ["id", "asker", "asked", "value", "status", "reason"], rows)
    return 0


def _answer(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        ask_id = run.resolve(led, a.ask_id, Ask, "ask")
        answer = trading.answer(led, ask_id, a.status, at=_moment(a.at), id=a.id)
    return run.recorded(answer, f"recorded answer {answer.id}: ask {ask_id} {a.status}")


def _complete(run: _Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        ask_id = run.resolve(led, a.ask_id, Ask, "ask")
        favor = trading.complete(led, ask_id, value=a.value, at=_moment(a.at), id=a.id)
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {amount_text(favor.value)} (completes ask {ask_id})",
    )


def _assign(run: _Run) -> int:
    a = run.args
    assignment = run.write(
        lambda led: trading.assign(
            led,
            a.holder,
            a.debtor,
            a.new_holder,
            a.amount,
            at=_moment(a.at),
            reason=a.reason,
            id=a.id,
        ),
        a.holder,
        a.debtor,
        a.new_holder,
    )
    return run.recorded(
        assignment,
        f"recorded assignment {assignment.id}: {assignment.debtor} now owes"
        f" {assignment.new_holder} {amount_text(assignment.amount)} instead of"
        f" {assignment.holder}",
    )


def _barter(run: _Run) -> int:
    a = run.args
    at = _moment(a.at) or utcnow()
    common: dict[str, Any] = {"kind": a.kind, "reason": a.reason, "at": at}
    pair = (
        Favor(giver=a.a, receiver=a.b, value=a.a_value, **common),
        Favor(giver=a.b, receiver=a.a, value=a.b_value, **common),
    )
    first, second = run.write(lambda led: trading.barter(led, *pair), a.a, a.b)
    run.err.write(run._note)
    if run.json:
        run.emit([_entry_json(first), _entry_json(second)])
        return 0
    run.out.write(
        f"recorded barter: {first.giver} did {first.receiver} a favor worth"
        f" {amount_text(first.value)} ({first.id}); {second.giver} did"
        f" {second.receiver} one worth {amount_text(second.value)} ({second.id})\n"
    )
    return 0


def _agenda(run: _Run) -> int:
    a = run.args
    today = _moment(a.at) or utcnow()
    if isinstance(today, str):
        raise UsageError(f"--at must be an ISO-8601 date or time, got {today!r}")
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
                    "amount": None if i.amount is None else amount_text(i.amount),
                    "entries": list(i.entries),
                }
                for i in items
            ]
        )
        return 0
    rows = [[i.action, i.person, i.reason] for i in items]
    table(run.out, ["action", "person", "reason"], rows)
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
    "log": _log,
    "people": _people,
    "import": _import,
    "export": _export,
    "check": _check,
    "config": _config,
    "settle": _settle,
    "clear": _clear,
    "path": _path,
    "pledge": _pledge,
    "pledges": _pledges,
    "call": _call,
    "release": _release,
    "ask": _ask,
    "asks": _asks,
    "answer": _answer,
    "complete": _complete,
    "assign": _assign,
    "barter": _barter,
    "agenda": _agenda,
}

# The model's field names, in the words a person typed on the command line.
_POSITIONAL: Final = frozenset(
    {
        "giver",
        "receiver",
        "value",
        "a",
        "b",
        "strength",
        "asker",
        "asked",
        "holder",
        "debtor",
        "new_holder",
        "amount",
        "status",
    }
)
_RENAMED: Final = {
    "referral_share": "--share",
    "tags": "--tag",
    "favor_id": "FAVOR_ID",
    "pledge_id": "PLEDGE_ID",
    "ask_id": "ASK_ID",
}
_FIELD: Final = re.compile(
    r"\b(?:Favor|Pledge|Tie|Person|Reversal|Ask|Answer|Release|Assignment)\.(\w+)"
)


def _in_user_words(message: str, args: argparse.Namespace) -> str:
    """``message`` naming the flag or argument typed, not the model's field."""
    given = vars(args)

    def typed(match: re.Match[str]) -> str:
        field = match.group(1)
        if field in _RENAMED and (_RENAMED[field].lstrip("-").lower() in given):
            return _RENAMED[field]
        if field in _POSITIONAL and field in given:
            return field.upper()
        if field in given:
            return f"--{field.replace('_', '-')}"
        return match.group(0)

    return _FIELD.sub(typed, message)


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
        return _COMMANDS[args.command](_Run(args, sys.stdout, sys.stderr))
    except (FavorLedgerError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        message = _in_user_words(one_line(_explain(exc)), args)
        sys.stderr.write(f"favorledger: error: {message}\n")
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
