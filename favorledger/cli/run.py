"""One command's context (:class:`Run`: the arguments, the output, the store) and
the small helpers every command uses."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO, TypeVar

from favorledger._display import amount_text, json_text, one_line, short_ids
from favorledger._exact import Amount
from favorledger.cli.parser import DEFAULT_DB, TIME_OPTIONS
from favorledger.errors import (
    FavorLedgerError,
    StoreError,
    close_names,
    shown,
    slips_of,
)
from favorledger.io import postgres, sqlite
from favorledger.io.jsonl import ENTRY_TYPES, dumps_entry
from favorledger.io.postgres import is_postgres_url
from favorledger.io.sqlite import StoredLedger, read_settings
from favorledger.ledger import Ledger
from favorledger.model import (
    Assignment,
    Entry,
    Person,
    as_id,
    as_moment,
    kept_id,
    not_after_now,
)
from favorledger.stores import without_password

if TYPE_CHECKING:
    from favorledger.io.tables import Progress

_T = TypeVar("_T")


class UsageError(FavorLedgerError, ValueError):
    """A command line that cannot be carried out (reported, exit status 2)."""


# ------------------------------------------------------------------ helpers


def parse_time(text: str | None) -> datetime | str | None:
    """An ISO-8601 time: a bare date is midnight UTC, a time without an
    offset is local time (:func:`clock_change` refuses one that a
    daylight-saving change makes ambiguous)."""
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


def check_times(args: argparse.Namespace) -> None:
    """Refuse a time option that is not a time before the command runs, so
    that none is ignored (``clear --apply --at soon`` with nothing to clear)
    and each is named by its flag."""
    for dest in sorted(TIME_OPTIONS):
        text = getattr(args, dest, None)
        if text is not None:
            as_moment(parse_time(text), f"--{dest}")
            clock_change(f"--{dest}", text)


def clock_change(flag: str, text: str) -> None:
    """Refuse a local time (no offset) that the local clock skips or shows
    twice at a daylight-saving change: which moment was meant is a guess.

    Examples
    --------
    >>> clock_change("--at", "2024-03-10T02:30-05:00")  # an offset: exact
    """
    local = parse_time(text)
    if not isinstance(local, datetime) or local.tzinfo is UTC:
        return  # not a time (refused already), or a date alone
    typed = datetime.fromisoformat(text)
    if typed.tzinfo is not None:
        return
    try:
        first, second = (typed.replace(fold=k).astimezone() for k in (0, 1))
    except (OverflowError, ValueError):
        return
    if first.replace(tzinfo=None) != typed:
        why = "does not exist in the local time zone (the clocks skip it)"
    elif first.utcoffset() != second.utcoffset():
        why = "happens twice in the local time zone (the clocks go back)"
    else:
        return
    offset = first.isoformat()[-6:]  # as typed after a time: -05:00
    raise UsageError(
        f"{flag} {text.strip()} {why}: give an offset, such as {text.strip()}{offset}"
    )


def entry_time(text: str | None) -> datetime | str | None:
    """:func:`parse_time` for ``--at`` on a command that records an entry:
    never after now (a favor not yet done is a pledge)."""
    moment = parse_time(text)
    if isinstance(moment, datetime):  # in the calendar first, then not later
        not_after_now("--at", as_moment(moment, "--at"), UsageError)
    return moment


def after_start(flag: str, text: str | None, at: str | None, start: object) -> None:
    """Refuse an end (``--due``, ``--expires``) not after the entry's time
    ``start``, naming both as typed: ``--at``'s, or now (to the minute).

    The library refuses it as well; this only words it for the command line.

    Examples
    --------
    >>> after_start("--due", "2026-01-01", "2026-01-05T10:00",
    ...             parse_time("2026-01-05T10:00+00:00"))
    Traceback (most recent call last):
    ...
    favorledger.cli.run.UsageError: --due must be after --at (2026-01-05T10:00), \
got 2026-01-01
    """
    end = parse_time(text)
    if not (isinstance(end, datetime) and isinstance(start, datetime)):
        return  # nothing to compare: the model names what is wrong
    if end <= start:
        since = f"--at ({at.strip()})" if at else f"now ({_minute(start)})"
        assert text is not None
        raise UsageError(f"{flag} must be after {since}, got {text.strip()}")


def _minute(moment: datetime) -> str:
    """A time to the minute, as messages show now (``2026-12-01T00:20+00:00``)."""
    return shown(moment.replace(second=0, microsecond=0))


def store_path(given: str | None, environment: str | None) -> str:
    """The store a command uses: ``--db`` (``given``), else
    ``$FAVORLEDGER_DB`` (``environment``; empty is unset, as in a shell),
    else ``favors.db``. A leading ``~`` is the home directory.

    Raises
    ------
    UsageError
        For an empty ``--db`` (an unset variable in a script, more likely than
        a wish for the default), a URL that is not PostgreSQL's, or a path
        that begins or ends with white space and is not an existing file
        (``'x.db '``: a slip, not a wish for such a name).

    Examples
    --------
    >>> store_path(None, None), store_path(None, ""), store_path("a.db", "b.db")
    ('favors.db', 'favors.db', 'a.db')
    >>> store_path("sqlite:///x.db", None)
    Traceback (most recent call last):
    ...
    favorledger.cli.run.UsageError: --db: use a path, not a sqlite:// URL (--db x.db)
    """
    if given is not None:
        source, path = "--db", given
    elif environment:
        source, path = "$FAVORLEDGER_DB", environment
    else:
        return DEFAULT_DB
    if not path:
        raise UsageError(f"{source} must not be empty")
    if is_postgres_url(path):
        return path
    scheme = _SCHEME.match(path)
    if scheme is not None and scheme[1].lower().startswith("sqlite"):
        raise UsageError(f"{source}: use a path, not a sqlite:// URL (--db x.db)")
    if scheme is not None and scheme[2]:  # the URL is not shown: it may hold a password
        raise UsageError(
            f"{source}: give a path or a postgresql:// URL, not a"
            f" {scheme[1].lower()}:// URL"
        )
    path = os.path.expanduser(path)
    if path != path.strip() and not os.path.exists(path):  # a stray space
        raise UsageError(
            f"{source} {shown(path)} begins or ends with white space, and no"
            " such file exists: give the path without it"
        )
    return path


_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(//)?")
"""A URL's scheme (two letters at least: ``C:`` is a drive), and its ``//``."""

_IRREGULAR: Final = {"person": "people"}


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, in the plural unless ``count`` is 1.

    Examples
    --------
    >>> plural(1, "entry"), plural(2, "entry"), plural(2, "person"), plural(0, "tie")
    ('1 entry', '2 entries', '2 people', '0 ties')
    """
    if count == 1:
        return f"1 {noun}"
    if noun in _IRREGULAR:
        return f"{count} {_IRREGULAR[noun]}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def passed_on(assignment: Assignment, typed: str | None = None) -> str:
    """An assignment in words, as ``assign`` and ``history`` say it.

    Examples
    --------
    >>> passed_on(Assignment(holder="me", debtor="bob", new_holder="carol",
    ...                      amount="2.50"))
    'bob now owes carol 2.5 instead of me'
    >>> passed_on(Assignment(holder="me", debtor="bob", new_holder="carol",
    ...                      amount="2.50"), typed=" 2.50")
    'bob now owes carol 2.50 instead of me'
    """
    amount = as_typed(typed, assignment.amount)
    return (
        f"{assignment.debtor} now owes {assignment.new_holder}"
        f" {amount} instead of {assignment.holder}"
    )


def as_typed(text: str | None, value: Amount) -> str:
    """A value as it was typed (``2.50``), for messages; as stored when
    nothing was typed (``--value`` left out)."""
    return text.strip() if text else amount_text(value)


def entry_json(entry: Entry) -> dict[str, Any]:
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


def named(entry: Entry) -> list[str]:
    """The people an entry names directly."""
    if isinstance(entry, Person):
        return [entry.id]
    found = [getattr(entry, field, None) for field in _NAME_FIELDS]
    return [name for name in found if isinstance(name, str)]


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Progress | None]:
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


class Run:
    """One command's context: the parsed arguments, the output, the store."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.json = bool(getattr(args, "json", False))
        self.db = store_path(args.db, os.environ.get("FAVORLEDGER_DB"))
        check_times(args)
        self._short: dict[str, str] | None = None
        self._led: StoredLedger | None = None
        self._note = ""
        self._announced = False

    @property
    def address(self) -> str:
        """Where the store is, as output shows it: without a URL's password."""
        return without_password(self.db)

    @property
    def store(self) -> Any:
        """The store's module: :mod:`~favorledger.io.postgres` for a URL."""
        return postgres if is_postgres_url(self.db) else sqlite

    def exists(self) -> bool:
        """Whether the store may exist (a URL is asked by opening it)."""
        return is_postgres_url(self.db) or os.path.exists(self.db)

    def unmade(self) -> bool:
        """Whether no SQLite ledger is at the path yet (no file, or an empty
        one): a write first rehearses on an empty ledger, so a refused one
        leaves no file and an empty file as it was. A PostgreSQL ledger needs
        no rehearsal: its first write makes it (:meth:`open`)."""
        if is_postgres_url(self.db):
            return False
        return not os.path.exists(self.db) or os.path.getsize(self.db) == 0

    def open(self, *, create: bool, readonly: bool = False) -> StoredLedger:
        """Open the store (``create``: make it if missing; a PostgreSQL ledger
        is made by the first write, in its transaction, so a refused command
        leaves none: :meth:`announce` then says so)."""
        making: bool | str = create
        if create and is_postgres_url(self.db):
            making = "on write"
        try:
            led: StoredLedger = self.store.open_ledger(
                self.db, create=making, readonly=readonly
            )
        except StoreError as exc:
            if create or self.exists():
                raise
            raise UsageError(
                f"{self.address}: no ledger here yet (record, tie, person or import"
                " creates one; --db or $FAVORLEDGER_DB chooses another)"
            ) from exc
        self.announce(led)
        for problem in led.damage[:1]:
            self.err.write(
                f"favorledger: warning: {one_line(problem)}; the store is"
                " read-only without that entry (see `favorledger check`)\n"
            )
        for problem in led.warnings[:1]:
            more = len(led.warnings) - 1
            self.err.write(
                f"favorledger: warning: {one_line(problem)}"
                f"{f' (and {more} more)' if more else ''}; what is shown may"
                " not be what was recorded (see `favorledger check`)\n"
            )
        self._led = led
        return led

    def announce(self, led: StoredLedger) -> None:
        """Say, once, that ``led`` was made by this command (a misspelt path
        or ledger name shows at once): on opening an SQLite store, after the
        write that made a PostgreSQL ledger."""
        if led.created and not self._announced:
            self._announced = True
            empty = self.args.db is None and os.environ.get("FAVORLEDGER_DB") == ""
            why = " ($FAVORLEDGER_DB is empty: the default)" if empty else ""
            self.err.write(
                f"favorledger: created a new ledger at {self.address}{why}\n"
            )

    def read(self) -> StoredLedger:
        """The store, opened read-only (a read command never writes)."""
        return self.open(create=False, readonly=True)

    def write(self, act: Callable[[Ledger], _T], *names: str | None) -> _T:
        """Do ``act`` to the ledger (creating the store), pointing out the new
        names among ``names``. A new SQLite store is made only if ``act``
        succeeds on an empty ledger first, so a refused entry leaves no file
        behind (and an empty file empty); a new PostgreSQL ledger only by a
        write that commits."""
        if self.unmade():
            self.people(Ledger(), *names)
            act(Ledger())
        with self.open(create=True) as led:
            self.people(led, *names)
            done = act(led)
            self.announce(led)
            return done

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
        typed = (as_id(n) for n in names if n is not None)  # as the ledger keeps them
        new = list(dict.fromkeys(n for n in typed if n not in known))
        if not new:
            return
        hints = []
        suggest = close_names if self.strict else slips_of  # refused, or a note
        for name in new:
            close = suggest(name, known)
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
        if not text.strip():
            label = f"{noun.upper()}_ID"
            raise UsageError(f"{label} must not be empty: type an id or its start")
        ids = [e.id for e in led.log if isinstance(e, kind)]
        whole = kept_id(text, set(ids))  # typed any way a write takes it
        if whole is not None:
            return whole
        typed = as_id(text)
        found = sorted(i for i in ids if i.startswith((text, typed)))
        if len(found) == 1:
            return found[0]
        if not found:
            raise UsageError(
                f"no {noun} has an id beginning {text!r}{_other(led, text)}"
            )
        listed = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        raise UsageError(
            f"{text!r} is ambiguous: it begins the ids of {len(found)} {noun}s"
            f" ({listed}); type more of it"
        )

    def emit(self, data: object) -> None:
        self.out.write(json_text(data) + "\n")

    def recorded(self, entry: Entry, text: str, **notes: object) -> int:
        """Say what was recorded (and point out new names, on stderr); with
        ``--json``, the entry with ``notes`` added."""
        self.err.write(self._note)
        if self.json:
            self.emit(entry_json(entry) | notes)
        else:
            self.out.write(one_line(text) + "\n")
        return 0


def _other(led: StoredLedger, text: str) -> str:
    """What the one entry whose id ``text`` begins is, if it is of another
    kind: "; 'r1' is a reversal" (empty if none or several)."""
    found = [e for e in led.log if not isinstance(e, Person) and e.id.startswith(text)]
    if len(found) != 1:
        return ""
    kind = ENTRY_TYPES[type(found[0])]
    said = f"; {found[0].id!r} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if kind == "reversal":
        said += ", which cannot itself be reversed (record the entry again)"
    return said
