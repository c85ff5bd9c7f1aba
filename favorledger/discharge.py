"""What a settlement pays off: chains of debts, explanations, and the
entries :meth:`Ledger.apply <favorledger.Ledger.apply>` records.

A transfer X -> Y is explained by the chains of debts from X to Y ("X owes
H, who owes Y": X pays Y on H's behalf, which lowers both debts), each at
most :data:`MAX_HOPS` long; what no chain covers comes from X's own debts and
the debts owed to Y, and whoever owed Y now owes whoever X owed (the
settlement swaps who pays whom between them). Applying a transfer records a
:class:`~favorledger.Settlement` that discharges exactly those debts, so
nobody is left owing what was paid. When the transfers leave every balance
at zero, what is still owed runs around cycles and is set off too.

Explanations are computed when first asked for, from the ledger as it stood
when the settlement was suggested (:class:`Snapshot`), so asking late gives
the answer asking at once would have given.

Examples
--------
>>> from favorledger import Ledger, Transfer
>>> led = Ledger()
>>> _ = led.record("sara", "bob", 4, id="f1")    # Bob owes Sara
>>> _ = led.record("bob", "me", 4, id="f2")      # I owe Bob
>>> (s,) = led.apply([Transfer("me", "sara", 4)])
>>> [(d.debtor, d.creditor, d.amount) for d in s.discharged]
[('me', 'bob', Decimal('4')), ('bob', 'sara', Decimal('4'))]
>>> led.who_owes_whom()
[]
"""

from __future__ import annotations

import heapq
import itertools
import operator
import sys
import weakref
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import compress, repeat
from operator import ge
from types import ModuleType
from typing import Final, Protocol

import attrs

from favorledger import _exact
from favorledger._collector import collector_paused
from favorledger._exact import ZERO, Amount
from favorledger.errors import MarketError, OverpaymentError, StalePlanError, shown
from favorledger.model import (
    Assignment,
    Debt,
    Entry,
    Favor,
    LazyExplanation,
    Obligation,
    Reversal,
    Role,
    Settlement,
    Transfer,
    as_moment,
    new_id,
    not_before,
    unchecked,
)
from favorledger.view import LedgerIndex


class Indexed(Protocol):
    """What discharges read of a ledger (a :class:`~favorledger.Ledger`): its
    log and index in place, its reversals, and replicas of it as it stood.

    This module sits just below the ledger, which records what it computes,
    so it names the members it reads rather than importing the ledger. Every
    member is public and read-only, and means what it means on the ledger.
    """

    @property
    def index(self) -> LedgerIndex:
        """The log and the index, read in place: live, read-only views."""

    @property
    def reversals(self) -> Mapping[str, Reversal]:
        """The reversals, by the entry they reverse."""

    def replica(self, length: int, *, as_of: datetime | str | None = None) -> Indexed:
        """A new ledger replaying the first ``length`` entries of the log (of
        those, the ones dated at or before ``as_of``, if given)."""


__all__ = [
    "EAGER_INDEX",
    "MAX_HOPS",
    "Indexed",
    "Snapshot",
    "dated_after",
    "discharges",
    "explain_at",
    "latest_between",
    "latest_settled",
    "plans_of",
    "settles_only",
]

MAX_HOPS: Final = 3
"""The longest chain of debts an explanation follows from payer to payee."""

_MAX_CHAINS: Final = 16
_BUDGET: Final = 4096  # pairs looked at while searching three-hop chains

_Pair = tuple[str, str]

_FEW_FIRST: Final = 64
"""A route's end takes a hub's first creditors (by id) from this many of
its smallest ids before it sorts them all."""


# ------------------------------------------------------------ the people index
class _PeopleIndex:
    """The entries that move debts, by person, in record order; extended as
    the log grows.

    A favor is filed under its giver only: whoever it makes a debtor (its
    receiver, its referrer) owes the giver, so the obligations one person
    owes another are among the favors the other gave. An assignment or a
    settlement is filed under everyone it names. A giver of many favors
    also gets them located by debtor (:class:`_Filed`).

    A log of :data:`_COLUMNS` entries or more is not filed by giver (one
    dict and one list touched per entry, about 1 us an entry at 10^6): each
    entry's giver is kept as half its hash (32 bits) in one packed column,
    made in C passes, and a giver's favors are found by a scan of it (one
    numpy pass if numpy is loaded, else ``find``) when first asked for, then
    kept (``given``, read up to ``scanned``).
    Once lookups have scanned :data:`_REFILE` times the log, which is
    about what filing it by giver costs, it is filed by giver after all.
    """

    __slots__ = (
        "by_debtor",
        "count",
        "given",
        "givers",
        "last",
        "log",
        "looked",
        "moves",
        "scanned",
    )

    def __init__(self, log: Sequence[Entry], columns: bool = False) -> None:
        self.given: dict[str, list[Favor]] = {}
        self.moves: dict[str, list[Assignment | Settlement]] = {}
        self.by_debtor: dict[str, _Filed] = {}
        self.count = 0
        self.last: Entry | None = None
        self.log = log
        self.givers: bytearray | None = bytearray() if columns else None
        self.scanned: dict[str, int] = {}  # where each giver's scan stopped
        self.looked = 0  # entries scanned by lookups, in all

    def given_by(self, giver: str) -> Sequence[Favor]:
        """Every favor ``giver`` gave, in record order."""
        if self.givers is None:
            return self.given.get(giver, ())
        found = self.given.get(giver)
        if found is None:
            found = self.given[giver] = []
        elif self.scanned[giver] == self.count:
            return found
        self._scan(giver, found)
        if self.looked >= _REFILE * self.count:
            self._by_giver()
        return found

    def _by_giver(self) -> None:
        """Keep the index by giver from now on: the log filed by giver."""
        self.givers, self.scanned, self.given = None, {}, {}
        give = self.given.setdefault
        with collector_paused():
            for entry in itertools.islice(self.log, self.count):
                if type(entry) is Favor:
                    give(entry.giver, []).append(entry)

    def _scan(self, giver: str, found: list[Favor]) -> None:
        """Add to ``found`` the favors ``giver`` gave that it lacks: the
        entries after where it was last scanned whose giver's hash is
        ``giver``'s (a hash may also be another's: each entry found is
        checked), found by numpy if the program has loaded it
        (:func:`_matches`), else by ``find``."""
        column, start = self.givers, self.scanned.get(giver, 0)
        assert column is not None
        needle = _packed([_hash(giver)])
        numpy = _numpy()
        if numpy is None:
            entries = self._found(column, needle, start)
        else:
            at = _matches(numpy, column, array(_COLUMN, needle)[0], start)
            entries = list(map(self.log.__getitem__, at))
        names = map(_name_of, map(type, entries), repeat(""))  # checked in C
        givers = map(_attribute, entries, names, repeat(None))
        found += compress(entries, map(operator.eq, givers, repeat(giver)))  # type: ignore[arg-type]
        self.looked += self.count - start
        self.scanned[giver] = self.count

    def _found(self, column: bytearray, needle: bytes, start: int) -> list[Entry]:
        """The entries from ``start`` whose hash is ``needle``, found by
        ``find`` in C, or, once they are many (a hub's), picked out of the
        log in one C pass."""
        at: list[int] = []
        i = column.find(needle, start * _WIDTH)
        while i >= 0 and len(at) < _BULK:
            if i % _WIDTH:  # across two entries
                i = column.find(needle, i + 1)
                continue
            at.append(i // _WIDTH)
            i = column.find(needle, i + _WIDTH)
        entries = list(map(self.log.__getitem__, at))
        if i >= 0:  # many: the rest in one pass
            rest = i // _WIDTH
            hashed = array(_COLUMN, needle)[0]
            with (
                memoryview(column) as whole,
                whole[rest * _WIDTH :] as part,
                part.cast(_COLUMN) as hashes,
            ):
                entries += compress(
                    itertools.islice(self.log, rest, None),
                    map(operator.eq, hashes, repeat(hashed)),
                )
        return entries

    def big_givers(self) -> Iterable[str]:
        """The givers of at least :data:`_MANY` favors, or, for a log kept
        in a column, those of many more: the givers of at least
        one in :data:`_SHARE` of an even sample of the log (a hub), whose favors
        an explanation would otherwise pick out of the whole log. (Others
        are filed by debtor when first asked: in a few milliseconds.)"""
        if self.givers is None:
            lengths = map(len, self.given.values())
            return list(compress(self.given, map(ge, lengths, repeat(_MANY))))
        step = max(1, self.count // _SAMPLE)
        sample = itertools.islice(self.log, 0, self.count, step)
        seen = Counter(e.giver for e in sample if type(e) is Favor)
        least = max(2, min(self.count, _SAMPLE) // _SHARE)
        return [g for g, n in seen.items() if n >= least]


_INDEXES: weakref.WeakKeyDictionary[Indexed, _PeopleIndex] = weakref.WeakKeyDictionary()

EAGER_INDEX: Final = 8192
"""A log at least this long is indexed for explanations when a settlement
is suggested or cycles are cleared (:meth:`Snapshot.prepare`), not on the
first explanation: indexing takes about half a microsecond per entry, so a
shorter log indexes in a few milliseconds when first asked."""

_MANY: Final = 64
"""A giver of at least this many favors has them filed by debtor too."""

_COLUMNS: Final = 1 << 18
"""A log at least this long when first indexed keeps its givers in a
column (:class:`_PeopleIndex`): about 0.17 s to make at 10^6 entries
against 1 s for the dict of lists; a giver's favors are then a scan of
it away (about 3 ms at 10^6 entries, then kept)."""

_COLUMN: Final = "I"  # half of a hash ("q")
_WIDTH: Final = array(_COLUMN).itemsize
_HALVES: Final = array("q").itemsize // _WIDTH

_REFILE: Final = 1024
"""Lookups that have scanned the column this many times over file the
log by giver instead (a scan takes about 3.5 ns an entry, filing about 1
us: at most about four times what filing at once costs). At 10^6 entries
that is after some 150 explanations (about 7 lookups each), the one that
files taking about 1 s."""

_BULK: Final = 256
"""A giver found this many times by ``find`` has the rest of the log
picked out in one C pass."""

_SAMPLE: Final = 4096
_SHARE: Final = 512
"""A giver of at least one in this many of the sample is filed ahead."""

_GIVER_OF: Final[dict[type, str]] = {Favor: "giver"}  # where a kind's giver is
_name_of: Callable[[type, str], str] = _GIVER_OF.get
_attribute: Callable[[object, str, None], object] = getattr


_hash: Callable[[object], int] = hash


def _numpy() -> ModuleType | None:
    """numpy, if the program has imported it (``settle`` does, for a large
    plan: ``settlement._exact_pairs``); it is never imported for this."""
    return sys.modules.get("numpy")


def _matches(
    numpy: ModuleType, column: bytearray, hashed: int, start: int
) -> list[int]:
    """The positions from ``start`` on whose hash in ``column`` is
    ``hashed``, by one numpy pass (at 10^6 entries about 0.4 ms, against
    about 3 ms for ``find``). The view of the column is dropped before this
    returns, so that the column can grow again."""
    if start * _WIDTH >= len(column):
        return []
    hashes = numpy.frombuffer(column, dtype=numpy.uintc, offset=start * _WIDTH)
    found = numpy.flatnonzero(hashes == hashed)
    del hashes
    return list((found + start).tolist())


def _packed(hashes: Iterable[int]) -> bytes:
    """The hashes, each cut to its first half in memory, packed: in C,
    without a new int for each."""
    wide = array("q", hashes)
    with memoryview(wide) as whole, whole.cast("B") as raw, raw.cast(_COLUMN) as cut:
        return cut[::_HALVES].tobytes()


def _people_index(ledger: Indexed) -> _PeopleIndex:
    """The ledger's index of the entries that move debts, by person.

    Built on first use and extended with the entries recorded since, which
    is sound because the log is append-only (a batch rolled back rewrites
    the log, which the check on the last entry notices).
    """
    log = ledger.index.entries
    length = len(log)
    index = _INDEXES.get(ledger)
    if (
        index is None
        or index.count > length
        or (index.count and log[index.count - 1] is not index.last)
    ):
        index = _INDEXES[ledger] = _PeopleIndex(log, length >= _COLUMNS)
    index.log = log
    if index.count < length:
        with collector_paused():  # lists only, no cycles: nothing to collect
            new = itertools.islice(log, index.count, None)
            if index.givers is None:
                _extend(index, new)
            else:
                _extend_columns(index, list(new))
        index.count = length
        index.last = log[-1]
    return index


def _extend(index: _PeopleIndex, entries: Iterable[Entry]) -> None:
    give = index.given.setdefault
    move = index.moves.setdefault
    for entry in entries:
        kind = type(entry)
        if kind is Favor:
            favor: Favor = entry  # type: ignore[assignment]  # its type says so
            give(favor.giver, []).append(favor)
        elif kind is Assignment or kind is Settlement:
            moved: Assignment | Settlement = entry  # type: ignore[assignment]
            for someone in moved.people:
                move(someone, []).append(moved)


def _extend_columns(index: _PeopleIndex, entries: list[Entry]) -> None:
    """:func:`_extend`, for an index kept in a column: each entry's giver's
    hash appended (an entry that is not a favor: ``None``'s), in C passes;
    the assignments and settlements, picked out in C, filed by person."""
    assert index.givers is not None
    kinds = list(map(type, entries))
    if kinds.count(Favor) == len(kinds):  # favors only, as a long log mostly is
        givers: Iterable[object] = map(_GIVER, entries)
    else:
        names = map(_name_of, kinds, repeat(""))
        givers = map(_attribute, entries, names, repeat(None))
    index.givers += _packed(map(_hash, givers))
    move = index.moves.setdefault
    moving: Iterator[Assignment | Settlement]
    moving = compress(entries, map(_MOVING.__contains__, kinds))  # type: ignore[arg-type]
    for moved in moving:
        for someone in moved.people:
            move(someone, []).append(moved)


_MOVING: Final = frozenset({Assignment, Settlement})
_GIVER: Final = operator.attrgetter("giver")


def _given_by(ledger: Indexed, giver: str) -> Sequence[Favor]:
    """Every favor ``giver`` gave, in record order."""
    return _people_index(ledger).given_by(giver)


def _moves_of(ledger: Indexed, person: str) -> Sequence[Assignment | Settlement]:
    """Every assignment and settlement naming ``person``, in record order."""
    return _people_index(ledger).moves.get(person, ())


def _owed_to(ledger: Indexed, creditor: str, debtor: str) -> Sequence[Favor]:
    """The favors ``creditor`` gave that name ``debtor`` (receiver or
    referrer), in record order."""
    return _owed_in(_people_index(ledger), creditor, debtor)


def _owed_in(index: _PeopleIndex, creditor: str, debtor: str) -> Sequence[Favor]:
    """:func:`_owed_to`, from the ledger's people index."""
    given = index.given_by(creditor)
    if len(given) < _MANY:
        return [f for f in given if f.receiver == debtor or f.via == debtor]
    return [given[i] for i in _filed(index, creditor).find(debtor)]


class _Filed:
    """Where a giver's favors name each debtor: the positions of the first
    and last favor to each receiver (found in C), and of every favor to
    each referrer; those in between are found by ``list.index``, in C.

    A giver who gave each receiver one favor (a hub's members, say) has
    one table for both ends (half a million favors took about 0.3 s a
    table, settling a hub of a million people).
    """

    __slots__ = ("count", "first", "last", "receivers", "referred")

    def __init__(self, given: Sequence[Favor]) -> None:
        self.count = len(given)
        self.receivers = list(map(_RECEIVER, given))
        positions = range(len(given))
        self.last = dict(zip(self.receivers, positions, strict=True))
        self.first = (
            self.last  # every receiver once: the first favor is the last
            if len(self.last) == self.count
            else dict(zip(reversed(self.receivers), reversed(positions), strict=True))
        )
        self.referred: dict[str, list[int]] = {}
        for i in compress(positions, map(_VIA, given)):
            self.referred.setdefault(given[i].via, []).append(i)  # type: ignore[arg-type]

    def find(self, debtor: str) -> list[int]:
        """The positions of the favors naming ``debtor``, in order."""
        found = list(self.referred.get(debtor, ()))
        i = self.first.get(debtor)
        if i is not None:
            last, receivers = self.last[debtor], self.receivers
            found.append(i)
            while i < last:
                i = receivers.index(debtor, i + 1, last + 1)
                found.append(i)
        return sorted(found) if debtor in self.referred else found


_RECEIVER: Final = operator.attrgetter("receiver")
_VIA: Final = operator.attrgetter("via")


def _filed(index: _PeopleIndex, giver: str) -> _Filed:
    """The giver's favors located by debtor (made again once they give more)."""
    given = index.given_by(giver)
    filed = index.by_debtor.get(giver)
    if filed is None or filed.count != len(given):
        filed = index.by_debtor[giver] = _Filed(given)
    return filed


# ------------------------------------------------------------- the debt view
class _Debts:
    """Net debts of a ledger, with an overlay of moves not yet recorded.

    ``net(d, c)`` is what ``d`` owes ``c`` net (negative: owed the other
    way); ``moved`` holds the changes a batch being applied has made so far.
    """

    def __init__(self, ledger: Indexed) -> None:
        self.ledger = ledger
        self.owed: Mapping[str, Mapping[str, Amount]] = ledger.index.owed
        self.moved: dict[_Pair, Amount] = {}
        self.extra: dict[str, set[str]] = {}  # pairs the overlay put in touch
        self.people: _PeopleIndex | None = None
        self.found: dict[str, list[str]] = {}  # creditors, until a move
        self.nets: dict[_Pair, Amount] = {}  # net debts found, until a move

    def _people(self) -> _PeopleIndex:
        """The ledger's people index, found once: nothing is recorded while
        a view of its debts is in use."""
        if self.people is None:
            self.people = _people_index(self.ledger)
        return self.people

    def net(self, debtor: str, creditor: str) -> Amount:
        """Kept once found: a route asks for the same pairs again and again,
        and exact arithmetic on fractions costs microseconds a step."""
        net = self.nets.get((debtor, creditor))
        if net is not None:
            return net
        row, back = self.owed.get(debtor), self.owed.get(creditor)
        there = ZERO if row is None else row.get(creditor, ZERO)
        here = ZERO if back is None else back.get(debtor, ZERO)
        net = _exact.sub(there, here) if here else there
        moved = self.moved.get((debtor, creditor)) if self.moved else None
        if moved:
            net = _exact.add(net, moved)
        self.nets[debtor, creditor] = net
        return net

    def move(self, debtor: str, creditor: str, amount: Amount) -> None:
        """Make ``debtor`` owe ``creditor`` ``amount`` more (negative: less)."""
        pair, back = (debtor, creditor), (creditor, debtor)
        self.moved[pair] = _exact.add(self.moved.get(pair, ZERO), amount)
        self.moved[back] = _exact.neg(self.moved[pair])
        self.extra.setdefault(debtor, set()).add(creditor)
        self.extra.setdefault(creditor, set()).add(debtor)
        self.found.pop(debtor, None)  # only their creditors change
        self.found.pop(creditor, None)
        self.nets.pop(pair, None)  # and only their net debts
        self.nets.pop(back, None)

    def creditors(self, debtor: str) -> list[str]:
        """Whom ``debtor`` owes (net), by id (kept until the next move: a
        hub owes very many)."""
        found = self.found.get(debtor)
        if found is None:
            row = self.owed.get(debtor, {})
            maybe = set(row) | self.extra.get(debtor, set())
            found = sorted(c for c in maybe if self.net(debtor, c) > 0)
            self.found[debtor] = found
        return found

    def _by_id(self, debtor: str) -> Iterator[str]:
        """:meth:`creditors`, one by one: for a hub, whose row is long and
        whose creditors are not yet known, the first few (by id) are found
        without sorting them all (a route's end uses only as many as it
        needs), then the rest."""
        row = self.owed.get(debtor, {})
        if debtor in self.found or len(row) <= _FEW_FIRST:
            yield from self.creditors(debtor)
            return
        keys = itertools.chain(row, self.extra.get(debtor, ()))
        first = dict.fromkeys(heapq.nsmallest(_FEW_FIRST, keys))
        yield from (c for c in first if self.net(debtor, c) > 0)
        found = self.creditors(debtor)  # more are needed: all of them
        yield from itertools.islice(found, bisect_right(found, max(first)), None)

    def debtors(self, creditor: str) -> list[str]:
        """Who owes ``creditor`` (net), by id.

        Anyone who owes ``creditor`` received (or referred) a favor they
        gave, or is named with them in an assignment or settlement; they
        also have a row of debts naming them: whichever is fewer is searched.
        """
        return sorted(self.owing(self._may_owe(creditor), creditor))

    def _may_owe(self, creditor: str) -> set[str]:
        """Everyone who may owe ``creditor``: those named with them, or, for
        a hub, those with a debt to them, whichever is fewer."""
        people = self._people()
        named = len(people.given_by(creditor))
        if named + len(people.moves.get(creditor, ())) > len(self.owed):  # a hub
            return self._owing_rows(creditor)
        return self._named_with(creditor)

    def creditors_among(self, debtor: str, known: Sequence[str]) -> list[str]:
        """:meth:`creditors`, found for a hub from ``known``: ids in order
        (a plan's people) that most of them are among. Picked out of it in
        C, rather than sorting the hub's whole row."""
        row = self.owed.get(debtor, {})
        if self.moved or len(row) <= _FEW_FIRST:
            return self.creditors(debtor)
        found = list(compress(known, map(row.__contains__, known)))
        if len(found) < len(row):  # the others: two runs, merged by the sort
            found += sorted(set(row).difference(found))
            found.sort()
        if min(row.values()) <= 0:  # only those owed more than nothing
            positive = map(operator.gt, map(row.__getitem__, found), repeat(ZERO))
            found = list(compress(found, positive))
        for back in self._may_owe(debtor):
            if back in row and debtor in self.owed.get(back, {}):  # net of theirs
                i = bisect_left(found, back)
                if i < len(found) and found[i] == back and self.net(debtor, back) <= 0:
                    del found[i]
        self.found[debtor] = found
        return found

    def owing(self, maybe: set[str], creditor: str) -> list[str]:
        """Those of ``maybe`` who owe ``creditor`` (net)."""
        maybe |= self.extra.get(creditor, set())
        maybe.discard(creditor)
        return [d for d in maybe if self.net(d, creditor) > 0]

    def _named_with(self, creditor: str) -> set[str]:
        """Whoever received or referred a favor ``creditor`` gave, or is named
        with them in an assignment or settlement."""
        people = self._people()
        given = people.given_by(creditor)
        maybe = {f.receiver for f in given}
        maybe.update(f.via for f in given if f.via)
        maybe.update(p for e in people.moves.get(creditor, ()) for p in e.people)
        return maybe

    def _owing_rows(self, creditor: str) -> set[str]:
        """Everyone with a (gross) debt to ``creditor``."""
        return {d for d, row in self.owed.items() if creditor in row}

    # ----------------------------------------------------------- discharges
    def route(self, payer: str, payee: str, amount: Amount) -> dict[_Pair, Amount]:
        """The debts a transfer discharges: chains first, then its ends.

        Returns the amount lowered on each pair, in the order first used;
        the moves are not applied.
        """
        used: dict[_Pair, Amount] = {}
        left = amount
        for _ in range(_MAX_CHAINS):
            path = self._chain(payer, payee, used) if left > 0 else None
            if path is None:
                break
            step = min([left, *(self._spare(edge, used) for edge in path)])
            for edge in path:
                used[edge] = _exact.add(used.get(edge, ZERO), step)
            left = _exact.sub(left, step)
        if left > 0:
            self._cover(zip(repeat(payer), self._by_id(payer)), left, used)
            self._cover([(d, payee) for d in self.debtors(payee)], left, used)
        return used

    def _spare(self, edge: _Pair, used: Mapping[_Pair, Amount]) -> Amount:
        net, taken = self.net(*edge), used.get(edge)
        return net if taken is None else _exact.sub(net, taken)

    def _chain(
        self, payer: str, payee: str, used: Mapping[_Pair, Amount]
    ) -> list[_Pair] | None:
        """The shortest chain of debts with spare capacity (by id on ties)."""
        spare = self._spare
        if spare((payer, payee), used) > 0:
            return [(payer, payee)]
        first = None
        if self._payees_side_fewer(payer, payee):
            h = self._middle(payer, payee, used)
        else:
            first = [h for h in self._onward(payer) if spare((payer, h), used) > 0]
            h = next((h for h in first if spare((h, payee), used) > 0), None)
        if h is not None:
            return [(payer, h), (h, payee)]
        if first is None:  # _onward's owe the payer: only those used may not
            first = [
                h
                for h in self._onward(payer)
                if (payer, h) not in used or spare((payer, h), used) > 0
            ]
        budget, ends = _BUDGET, {payer, payee}
        for h in first:
            row = self.owed.get(h, {})
            if len(row) > budget or not (row or h in self.extra):
                continue  # too many to look at, or owes nobody
            budget -= len(row)
            if len(row) <= 2 and h not in self.extra and row.keys() <= ends:
                continue  # it owes only the ends: no middle to find (a hub's
                # creditors who owe it back, each only it)
            for k in self.creditors(h):
                if k in (payer, payee) or spare((h, k), used) <= 0:
                    continue
                if spare((k, payee), used) > 0:
                    return [(payer, h), (h, k), (k, payee)]
        return None

    def _onward(self, debtor: str) -> list[str]:
        """Whom ``debtor`` owes (net), by id, of those who owe someone in
        turn (or were put in touch by a move): the only middles a chain
        from ``debtor`` can have. A hub owes very many, few of whom owe
        anyone: then those with debts are searched, not the hub's row."""
        owed, extra = self.owed, self.extra
        if len(owed.get(debtor, ())) > len(owed) + len(extra):
            return self._onward_of_hub(debtor)
        return [h for h in self.creditors(debtor) if owed.get(h) or h in extra]

    def _onward_of_hub(self, debtor: str) -> list[str]:
        """:meth:`_onward`, found among those who owe anyone."""
        row, owed, extra = self.owed.get(debtor, {}), self.owed, self.extra
        mine = extra.get(debtor, set())
        maybe = set(filter(owed.get, row.keys() & owed.keys()))  # in C
        maybe.update(h for h in mine if owed.get(h))
        maybe.update(h for h in extra if h in row or h in mine)
        if self.moved:
            return sorted(h for h in maybe if self.net(debtor, h) > 0)
        none: Mapping[str, Amount] = {}  # owed more than owing back: net > 0
        return sorted(
            h for h in maybe if row.get(h, ZERO) > owed.get(h, none).get(debtor, ZERO)
        )

    def _payees_side_fewer(self, payer: str, payee: str) -> bool:
        """Whether fewer may owe ``payee`` than ``payer`` owes (gross)."""
        people = self._people()
        named = len(people.given_by(payee)) + len(people.moves.get(payee, ()))
        return named < len(self.owed.get(payer, ()))

    def _middle(
        self, payer: str, payee: str, used: Mapping[_Pair, Amount]
    ) -> str | None:
        """The first (by id) of those who owe ``payee`` whom ``payer`` owes,
        each with spare: the middle of the first two-hop chain, found from
        the payee's side."""
        spare = self._spare
        for h in self.debtors(payee):
            if spare((payer, h), used) > 0 and spare((h, payee), used) > 0:
                return h
        return None

    def _cover(
        self, edges: Iterable[_Pair], amount: Amount, used: dict[_Pair, Amount]
    ) -> None:
        for edge in edges:
            if amount <= 0:
                return
            step = min(amount, self._spare(edge, used))
            if step > 0:
                used[edge] = _exact.add(used.get(edge, ZERO), step)
                amount = _exact.sub(amount, step)

    # ---------------------------------------------------------- explaining
    def behind(
        self,
        used: Mapping[_Pair, Amount],
        cited: Mapping[_Pair, Amount] | None = None,
    ) -> tuple[Obligation, ...]:
        """The parts of each pair's oldest unpaid debts that cover its use.

        Within a pair, what has been paid off (by favors back, settlements or
        assignments) is taken from the oldest debts first, then what
        ``cited`` says earlier transfers of the same plan already cited; the
        parts after that cover the pair's use, each no larger than what is
        left of its debt.
        """
        found: list[Obligation] = []
        for (debtor, creditor), portion in used.items():
            before = ZERO if cited is None else cited.get((debtor, creditor), ZERO)
            found += self._parts(debtor, creditor, before, portion)
        return tuple(found)

    def _parts(
        self, debtor: str, creditor: str, before: Amount, portion: Amount
    ) -> list[Obligation]:
        owed = self.sources(debtor, creditor)
        paid = _exact.sub(
            _exact.total(o.amount for o in owed), self.net(debtor, creditor)
        )
        skip = _exact.add(paid, before) if paid > 0 else before
        parts: list[Obligation] = []
        for obligation in owed:
            if portion <= 0:
                break
            if skip >= obligation.amount:
                skip = _exact.sub(skip, obligation.amount)
                continue
            left = (
                _exact.sub(obligation.amount, skip) if skip > 0 else obligation.amount
            )
            skip = ZERO
            part = left if left <= portion else portion
            if part != obligation.amount:
                obligation = attrs.evolve(obligation, amount=part)
            parts.append(obligation)
            portion = _exact.sub(portion, part)
        return parts

    def sources(
        self, debtor: str, creditor: str, also: str | None = None
    ) -> list[Obligation]:
        """Everything that made ``debtor`` owe ``creditor``, oldest first: the
        live obligations of favors, then (on a tie of dates) the assignments
        and settlements that moved a debt onto the pair (a settlement does so
        when it paid a debt the other way that is no longer owed). ``also``:
        a favor counted even if it was reversed."""
        favors = self._obligations(debtor, creditor, also)
        moved = self._moved_onto(debtor, creditor)
        if not moved:
            return [o for _, o in favors]
        both = sorted([*favors, *moved], key=_FIRST)  # stable: favors first
        return [o for _, o in both]

    def _obligations(
        self, debtor: str, creditor: str, also: str | None = None
    ) -> list[tuple[datetime, Obligation]]:
        """The live obligations ``debtor`` owes ``creditor``, oldest first,
        with their favors' dates (``also``: a favor counted even if reversed).

        A favor's obligations are all owed to its giver, so they are among
        the favors ``creditor`` gave that name ``debtor``.
        """
        reversals = self.ledger.reversals
        favors = [
            f
            for f in _owed_in(self._people(), creditor, debtor)
            if f.id not in reversals or f.id == also
        ]
        favors.sort(key=_AT)  # stable: record order on ties
        return [
            (favor.at, o)
            for favor in favors
            for o in favor.obligations()
            if o.debtor == debtor and o.creditor == creditor and o.amount
        ]

    def _moved_onto(
        self, debtor: str, creditor: str
    ) -> list[tuple[datetime, Obligation]]:
        """The live assignments and settlements that made ``debtor`` owe
        ``creditor`` more, each as an obligation citing it, in record order."""
        people = self._people()
        one, other = people.moves.get(debtor, ()), people.moves.get(creditor, ())
        reversals = self.ledger.reversals
        found = []
        for entry in one if len(one) <= len(other) else other:
            if entry.id in reversals:
                continue
            role: Role = "assignment" if type(entry) is Assignment else "settlement"
            for d, c, amount in entry.effects():
                if d == debtor and c == creditor and amount:
                    found.append((entry.at, Obligation(d, c, amount, entry.id, role)))
        return found

    def paid_by(self, entry: Favor | Assignment) -> list[str]:
        """The ids of the live settlements that paid (part of) ``entry``'s
        obligations (a favor's, or the debt an assignment moved onto its
        debtor and new holder), in the order they paid: within each pair,
        what was paid comes off the oldest debts first (a favor counts even
        if reversed)."""
        found: list[str] = []
        for obligation in _owed_by(entry):
            debtor, creditor = obligation.debtor, obligation.creditor
            start: Amount = ZERO
            for o in self.sources(debtor, creditor, also=entry.id):
                if (o.favor_id, o.role) == (entry.id, obligation.role):
                    break
                start = _exact.add(start, o.amount)
            end = _exact.add(start, obligation.amount)
            payments = self.sources(creditor, debtor)  # what paid the pair off
            found += [
                o.favor_id
                for o in _overlapping(payments, start, end)
                if o.role == "settlement"
            ]
        return list(dict.fromkeys(found))


def _owed_by(entry: Favor | Assignment) -> list[Obligation]:
    """The obligations a favor creates, or the one debt an assignment moved
    (its debtor now owes its new holder)."""
    if isinstance(entry, Favor):
        return entry.obligations()
    return [
        Obligation(entry.debtor, entry.new_holder, entry.amount, entry.id, "assignment")
    ]


def _overlapping(
    owed: Sequence[Obligation], start: Amount, end: Amount
) -> list[Obligation]:
    """Those of ``owed`` (in order, end to end) that overlap [start, end)."""
    found: list[Obligation] = []
    at: Amount = ZERO
    for o in owed:
        before, at = at, _exact.add(at, o.amount)
        if before >= end:
            break
        if at > start:
            found.append(o)
    return found


def moved_favors(debts: _Debts, assignment: Assignment) -> list[str]:
    """The ids of the favors whose debts ``assignment`` passed on: within
    the pair it lowered (its debtor's debt to its holder), payments come off
    the oldest debts first, and the assignment's payment falls on these.
    Where it falls on a debt an earlier assignment moved onto the pair, the
    favors that part of the earlier one passed on, back to the root."""
    return list(dict.fromkeys(_moved(debts, assignment, ZERO, assignment.amount, ())))


def _moved(
    debts: _Debts,
    assignment: Assignment,
    low: Amount,
    high: Amount,
    seen: tuple[str, ...],
) -> Iterator[str]:
    """:func:`moved_favors` for the part [low, high) of ``assignment``'s
    amount (``seen``: the assignments already followed, against a loop)."""
    debtor, holder = assignment.debtor, assignment.holder
    start: Amount = ZERO
    for o in debts.sources(holder, debtor):  # what paid that debt off, in order
        if o.favor_id == assignment.id:
            break
        start = _exact.add(start, o.amount)
    begin, end = _exact.add(start, low), _exact.add(start, high)
    at: Amount = ZERO
    for o in debts.sources(debtor, holder):
        before, at = at, _exact.add(at, o.amount)
        if before >= end:
            break
        if at <= begin:
            continue
        if o.role in ROLES_OF_FAVORS:
            yield o.favor_id
        elif o.role == "assignment" and o.favor_id not in seen:
            earlier = _assignment(debts, debtor, o.favor_id)
            if (earlier.debtor, earlier.new_holder) != (debtor, holder):
                continue  # it moved a debt of its holder's, not its debtor's
            yield from _moved(
                debts,
                earlier,
                _exact.sub(max(begin, before), before),
                _exact.sub(min(end, at), before),
                (*seen, assignment.id),
            )


def _assignment(debts: _Debts, debtor: str, entry_id: str) -> Assignment:
    """The assignment with that id, among those naming ``debtor``."""
    found = next(e for e in debts._people().moves[debtor] if e.id == entry_id)
    assert type(found) is Assignment  # a source's role says so
    return found


ROLES_OF_FAVORS: Final = frozenset({"recipient", "referrer"})


_FIRST: Final = operator.itemgetter(0)
_AT: Final = operator.attrgetter("at")
_settlement: Final = unchecked(Settlement)
_MOVES_DEBTS: Final = (Favor, Reversal, Assignment, Settlement)
_PAYEE: Final = operator.attrgetter("payee")
_AMOUNT: Final = operator.attrgetter("amount")


# ---------------------------------------------------------------- snapshots
def _same_store(ledger: Indexed, other: Indexed) -> bool:
    """Whether both ledgers are handles of one store (opened from the same
    file name or URL: the same log)."""
    path = getattr(ledger, "path", None)
    return path is not None and path == getattr(other, "path", None)


class Snapshot:
    """The ledger as it stood at one moment of its log (and, optionally, as
    of a date): what late explanations are computed from.

    While nothing has been recorded since, it reads the ledger itself;
    afterwards it replays the log as it was into a private ledger, once.
    """

    __slots__ = ("_as_of", "_head", "_ledger", "_length", "_replica")

    def __init__(self, ledger: Indexed, as_of: datetime | str | None = None) -> None:
        self._ledger = ledger
        entries = ledger.index.entries
        self._length = len(entries)
        self._head = entries[-1].id if entries else None
        self._as_of = None if as_of is None else as_moment(as_of)
        self._replica: Indexed | None = None

    def prepare(self) -> None:
        """Index a long log now (:data:`EAGER_INDEX`), so that no explanation
        read while nothing new is recorded has to scan it."""
        ledger = self._ledger
        if self._as_of is None and len(ledger.index.entries) >= EAGER_INDEX:
            index = _people_index(ledger)
            for giver in index.big_givers():
                if len(index.given_by(giver)) >= _MANY:
                    _filed(index, giver)

    def debts(self) -> _Debts:
        ledger = self._ledger
        if self._as_of is None and len(ledger.index.entries) == self._length:
            return _Debts(ledger)
        if self._replica is None:
            self._replica = ledger.replica(self._length, as_of=self._as_of)
        return _Debts(self._replica)

    def since(self, ledger: Indexed) -> Sequence[Entry] | None:
        """What ``ledger`` recorded after this snapshot, if it is the ledger
        the snapshot was taken of, or another handle of its store, and its
        log is the one it had (it may have grown); else ``None``. Another
        ledger (a copy, a view ``as_of`` a moment) may share the start of
        its log and still have held more when the snapshot was taken:
        nothing says what it recorded since."""
        entries, n = ledger.index.entries, self._length
        if ledger is not self._ledger and not _same_store(ledger, self._ledger):
            return None
        if len(entries) < n or (n and entries[n - 1].id != self._head):
            return None
        return entries[n:]

    def explain(self, payer: str, payee: str, amount: Amount) -> tuple[Obligation, ...]:
        """Why ``payer`` owes ``payee`` ``amount``, as of this snapshot."""
        debts = self.debts()
        return debts.behind(debts.route(payer, payee, amount))

    def behind(
        self, debtor: str, creditor: str, amount: Amount
    ) -> tuple[Obligation, ...]:
        """The obligations cancelling ``amount`` of one pair's debt."""
        return self.debts().behind({(debtor, creditor): amount})


class _Plan:
    """The transfers of one plan, as they were derived: the people who
    pay or are paid (sorted ids) and each transfer's payer and payee as
    positions among them; what lets a transfer's explanation find the
    transfers before it that may use the same debts, in C.

    The two columns are packed as 32-bit integers on first use, so the
    transfers of one person are found by ``bytes.find`` (a few microseconds
    for 10^5 transfers) rather than by a pass over every transfer.
    """

    __slots__ = ("_by_payer", "_packed", "payees", "payers", "people", "transfers")

    def __init__(
        self,
        people: Sequence[str],
        payers: Sequence[int],
        payees: Sequence[int],
        transfers: Sequence[Transfer],
    ) -> None:
        self.people, self.payers, self.payees = people, payers, payees
        self.transfers = transfers
        self._packed: tuple[bytes, bytes] | None = None
        self._by_payer: dict[int, list[int]] | None = None

    def paid_by(self, person: str) -> list[int]:
        """The positions of the transfers ``person`` pays, in order."""
        if self._by_payer is not None:
            return [
                j for rank in self.ranks([person]) for j in self._by_payer.get(rank, ())
            ]
        packed, n = self.columns()[0], len(self.transfers)
        return [j for rank in self.ranks([person]) for j in _found(packed, rank, n)]

    def index_payers(self) -> None:
        """File every transfer under its payer (worth it when many are
        explained: once, instead of a search per payer)."""
        if self._by_payer is None:
            by_payer: dict[int, list[int]] = {}
            for j, rank in enumerate(self.payers):
                by_payer.setdefault(rank, []).append(j)
            self._by_payer = by_payer

    def ranks(self, people: Iterable[str]) -> set[int]:
        """The positions of those of ``people`` who pay or are paid."""
        found, known = set(), self.people
        for person in people:
            i = bisect_left(known, person)
            if i < len(known) and known[i] == person:
                found.add(i)
        return found

    def columns(self) -> tuple[bytes, bytes]:
        """The payer and payee columns, packed (on first use)."""
        if self._packed is None:
            self._packed = (
                array("i", self.payers).tobytes(),
                array("i", self.payees).tobytes(),
            )
        return self._packed

    def position(self, transfer: Transfer) -> int | None:
        """Where ``transfer`` (this very object) stands in the plan.

        Its payer's transfers and its payee's are searched in turn, each
        one looked at as found (the payer's first), so this costs about the
        fewer of the two, not the payer's count alone, and one search when
        the payer's first is it.
        """
        payer, payee = self.ranks([transfer.payer]), self.ranks([transfer.payee])
        if not (payer and payee):
            return None
        n, (payers, payees) = len(self.transfers), self.columns()
        paid_by, paid_to = (
            _found(payers, payer.pop(), n),
            _found(payees, payee.pop(), n),
        )
        for i in _in_turn(paid_by, paid_to):  # it is in both, or in neither
            if self.transfers[i] is transfer:
                return i
        return None

    def before(self, k: int, payers: set[int], payees: set[int]) -> list[int]:
        """The positions before ``k`` of the transfers paid by one of
        ``payers`` or to one of ``payees``, in order."""
        found: set[int] = set()
        for ranks, column, packed in zip(
            (payers, payees), (self.payers, self.payees), self.columns(), strict=True
        ):
            if len(ranks) > _FEW_RANKS:  # one pass over them all
                found.update(compress(range(k), map(ranks.__contains__, column)))
                continue
            for rank in ranks:
                found.update(_found(packed, rank, k))
        return sorted(found)


_IN_ORDER: Final = 256
"""After this many explanations asked in plan order, the plan's transfers
are filed by payer (about half a microsecond each)."""

_FEW_RANKS: Final = 32
"""Up to this many people, their transfers are found one person at a time."""

_HEAVY: Final = 1024
"""Anyone paying at least this many transfers of a plan has them looked at
when the plan is made (:meth:`Why.prepare`), so that no first explanation
has to route every one (about 10 microseconds each)."""

_IN_BULK: Final = True
"""Whether make-ups are shared out in runs (:meth:`Why._run`); the tests
compare them with the one-by-one way."""

_WINDOW: Final = 4096
"""How many of a payer's creditors a run first looks at (twice as many
each time it runs out)."""

_MAX_WAIT: Final = 32
"""The most transfers shared out one by one before a run is tried again."""

_INT32: Final = array("i").itemsize

_NEXT: Final = (1).__add__
_LT: Final[Callable[[Amount, Amount], bool]] = operator.lt


class _Stream:
    """The debts a run of make-ups takes (:meth:`Why._stream`), in turn,
    kept by column (lists of ints and amounts: no object a debt, which the
    collector would have to look at): each debt's creditor (its position
    among the debtor's creditors, by id), what a make-up may take of it,
    what a plain transfer before claimed of it, and the position of the
    transfer paying it that falls short once it is taken (``_PAST``:
    none)."""

    __slots__ = ("at", "cap", "index", "plain")

    def __init__(self) -> None:
        self.index: list[int] = []
        self.cap: list[Amount] = []
        self.plain: list[Amount] = []
        self.at: list[int] = []

    def __len__(self) -> int:
        return len(self.index)

    def append(self, index: int, cap: Amount, plain: Amount, at: int) -> None:
        """Add one debt at the end."""
        self.index.append(index)
        self.cap.append(cap)
        self.plain.append(plain)
        self.at.append(at)


@attrs.frozen
class _Run:
    """A run of make-ups shared out (:meth:`Why._run`): its debtor and the
    debtor's creditors (by id), its stream of debts, where each debt starts
    along it (running sums), the transfers it shared out (in plan order)
    and where each one's take starts, and how many of the stream's debts
    it took in full (the first ones)."""

    debtor: str
    creditors: list[str]
    stream: _Stream
    starts: list[Amount]
    queue: list[int]
    takes: list[Amount]
    full: int


_PAST: Final = sys.maxsize  # a position past every plan


def _found(packed: bytes, rank: int, stop: int) -> Iterator[int]:
    """The positions below ``stop`` holding ``rank`` in a packed column."""
    pattern, end = array("i", [rank]).tobytes(), stop * _INT32
    i = packed.find(pattern, 0, end)
    while i != -1:
        if i % _INT32 == 0:
            yield i // _INT32
            i = packed.find(pattern, i + _INT32, end)
        else:  # straddles two entries: look on from the next one
            i = packed.find(pattern, i - i % _INT32 + _INT32, end)


def _in_turn(*found: Iterator[int]) -> Iterator[int]:
    """What each of ``found`` finds, in turn, each as soon as it is found,
    until one of them has no more.

    >>> list(_in_turn(iter([1, 2, 3]), iter([7])))
    [1, 7, 2]
    """
    for each in itertools.cycle(found):
        i = next(each, None)
        if i is None:
            return
        yield i


def _repeats(items: Sequence[str]) -> list[int]:
    """The positions of the items that came before in ``items``."""
    if len(set(items)) == len(items):
        return []
    seen: set[str] = set()
    found = []
    for i, item in enumerate(items):
        if item in seen:
            found.append(i)
        seen.add(item)
    return found


class _Claims:
    """What the transfers one debtor pays claim of its own debts.

    Each transfer's claims, and what those before it had claimed of the
    same pairs, are kept for the transfers shared out one by one (the
    *events*), with the whole claimed of each pair, so no explanation sums
    over every transfer of a payer who pays many; those shared out in a run
    (:meth:`Why._run`) keep only their place in it, and their claims are
    worked out when asked (:meth:`Why._in_run`). A heavy payer's other
    transfers are *plain* (:meth:`Why.prepare`): each claims its payee's
    debt, whole, and nothing else, and is found when asked.
    """

    __slots__ = (
        "at",
        "before",
        "claims",
        "creditors",
        "debtor",
        "events",
        "first_to",
        "full",
        "gone",
        "in_runs",
        "partly",
        "ready",
        "routed",
        "run_at",
        "run_from",
        "runs",
        "scan",
        "scanned",
        "seen",
        "total",
        "valid",
        "wait",
        "waits",
        "when",
        "window",
    )

    def __init__(
        self, debtor: str, events: Iterable[int], first_to: Mapping[str, int]
    ) -> None:
        self.debtor = debtor
        self.events = set(events)  # those to share out one by one
        self.routed = frozenset(self.events)  # not plain when the plan was made
        self.first_to = first_to  # payee: the first transfer paying it
        self.claims: dict[int, dict[_Pair, Amount]] = {}
        self.before: dict[int, dict[_Pair, Amount]] = {}
        self.runs: list[_Run] = []  # in the order shared out (see run_of)
        self.run_at: list[int] = []  # where each run's first transfer stands
        self.run_from: list[int] = []  # each run's first creditor (index)
        self.in_runs = 0  # how many transfers runs shared out
        self.at: set[int] = set()  # see taken_at
        self.seen = 0
        self.total: dict[_Pair, Amount] = {}  # what the events claimed (see taken)
        self.creditors: list[str] | None = None  # by id, once needed
        self.full = 0  # the creditors before this one are claimed in full
        self.gone: list[int] | None = None  # see watch
        self.partly: list[str] = []  # payees paid less than the debt, or more
        self.ready: tuple[list[str], list[int]] | None = None  # see Why._found
        self.when = [0]  # the transfer being shared out, as the search reads it
        self.scan: Iterator[int] = iter(())
        self.scanned = 0  # the search has looked at the creditors before this
        self.valid: set[int] = set()  # pending, and fit to start a run
        self.wait = 0  # transfers to share out one by one before a run is tried
        self.waits = 1  # how long the next wait is, after a run not found
        self.window = _WINDOW  # creditors a run looks at (more if it ran out)

    def plain_to(self, payee: str) -> int | None:
        """The position of the plain transfer paying ``payee``, if any."""
        at = self.first_to.get(payee)
        return None if at is None or at in self.events else at

    def was_plain(self, k: int, payee: str) -> bool:
        """Whether transfer ``k`` (paying ``payee``) was plain when the plan
        was made: then its route is its payee's debt, for its amount."""
        return self.first_to.get(payee) == k and k not in self.routed

    def run_of(self, k: int) -> tuple[_Run, int] | None:
        """The run that shared out transfer ``k``, and its place in it.

        Transfers are shared out in plan order (one by one or in runs), so
        the runs' transfers come in turn: found by bisection."""
        r = bisect_right(self.run_at, k) - 1
        if r < 0:
            return None
        run = self.runs[r]
        q = bisect_left(run.queue, k)
        return (run, q) if q < len(run.queue) and run.queue[q] == k else None

    def taken(self, pair: _Pair) -> Amount | None:
        """What the transfers shared out so far claimed of ``pair`` in all
        (``None``: nothing): the events' sums (``total``), else, for a debt
        a run took in full, the whole of it (kept with the run, not copied
        into ``total``: runs move ``full`` past them, and what the events
        claim later starts at or after it, so the two never overlap)."""
        found = self.total.get(pair)
        if found is not None or not self.runs or pair[0] != self.debtor:
            return found
        creditors, creditor = self.creditors or [], pair[1]
        i = bisect_left(creditors, creditor)
        if i == len(creditors) or creditors[i] != creditor:
            return None
        r = bisect_right(self.run_from, i) - 1
        if r < 0:
            return None
        run = self.runs[r]
        p = bisect_left(run.stream.index, i, 0, run.full)
        return run.stream.cap[p] if p < run.full and run.stream.index[p] == i else None

    def taken_at(self) -> set[int]:
        """The positions, among the debtor's creditors (by id), of those
        whose debts ``total`` holds (every pair in it is the debtor's own;
        it only grows: each new pair is looked up once)."""
        total, creditors = self.total, self.creditors or []
        for _, creditor in itertools.islice(total, self.seen, None):
            i = bisect_left(creditors, creditor)
            if i < len(creditors) and creditors[i] == creditor:
                self.at.add(i)
        self.seen = len(total)
        return self.at

    def watch(self, gone: list[int]) -> None:
        """From now on, let make-ups skip at once (:meth:`skip`) what
        ``gone`` says is claimed in full: for each creditor (by id), the
        position of a transfer after which nothing of its debt is left,
        or a position past the plan (see :meth:`Why._look_up`)."""
        self.gone = gone
        now = map(self.when.__getitem__, repeat(0))
        alive = map(operator.lt, now, itertools.islice(gone, self.full, None))
        self.scan = compress(itertools.count(self.full), alive)
        self.scanned = self.full

    def skip(self, k: int) -> None:
        """Move past the creditors (from the first not claimed in full) of
        whose debt ``gone`` says nothing is left before transfer ``k``, in
        C: a make-up for ``k`` would move past each."""
        if self.gone is None or self.full < self.scanned:  # at one looked at
            return
        self.when[0] = k
        self.full = next(self.scan, len(self.gone))
        self.scanned = self.full + 1


class Why(LazyExplanation):
    """Transfers' explanations, computed from a snapshot when first asked.

    One is shared by every transfer of a settlement (or, with ``set_off``, of
    a clearing, where each transfer cancels part of its own pair's debt).
    Given the ``plan`` the transfers make up, each pair's debts are shared
    out between them: first to the transfers its debtor pays (its own debt),
    in plan order, then to the others (chains through it, debts owed to a
    payee), in plan order. A transfer cites the parts left after those
    cited before it in that order (:meth:`others_before`).
    """

    __slots__ = (
        "_applied",
        "_done",
        "_owns",
        "_recorded",
        "_routes",
        "_uses",
        "plan",
        "set_off",
        "snapshot",
    )

    def __init__(self, snapshot: Snapshot, *, set_off: bool = False) -> None:
        self.snapshot, self.set_off = snapshot, set_off
        self.plan: _Plan | None = None
        self._routes: dict[int, dict[_Pair, Amount]] = {}
        self._done = 0  # the transfers before it are summed up in _uses
        self._uses: dict[_Pair, Amount] = {}
        self._owns: dict[str, _Claims] = {}
        self._applied: dict[int, str] = {}  # transfer (by id()): its entry
        self._recorded: set[str] = set()  # the entries applying it made

    def adopt(self, transfers: Iterable[Transfer]) -> None:
        """Make ``transfers`` this plan's (what ``Ledger.apply`` checks)."""
        for transfer in transfers:
            object.__setattr__(transfer, "_plan", self)

    def check_fits(self, ledger: Indexed, transfers: Iterable[Transfer]) -> None:
        """Refuse to apply ``transfers`` of this plan to ``ledger`` if one
        was applied already, or the ledger recorded an entry that moves
        debts since the plan was made, other than those applying it made.

        Raises
        ------
        StalePlanError
            Naming the transfer, or the entry.
        """
        since = self.snapshot.since(ledger)
        if since is None:  # made for another log: its transfers as given
            return
        recorded = {entry.id for entry in since}
        for t in transfers:
            done = self._applied.get(id(t))
            if done in recorded:
                raise StalePlanError(
                    f"the transfer {t.payer} -> {t.payee} {shown(t.amount)} of this"
                    f" plan was already applied (settlement {done!r}); settle again"
                )
        for entry in since:
            if isinstance(entry, _MOVES_DEBTS) and entry.id not in self._recorded:
                noun = type(entry).__name__.lower()
                raise StalePlanError(
                    f"the ledger changed since this plan was made: {noun}"
                    f" {entry.id!r} was recorded; settle again"
                )

    def applied(self, transfers: Sequence[Transfer], entries: Sequence[Entry]) -> None:
        """Note that applying ``transfers`` (some of them this plan's)
        recorded ``entries`` (one per transfer, in order, or one for them
        all; a set-off may follow)."""
        self._recorded.update(entry.id for entry in entries)
        for i, t in enumerate(transfers):
            if getattr(t, "_plan", None) is self:
                self._applied[id(t)] = entries[min(i, len(entries) - 1)].id

    def prepare(self) -> None:
        """Do now what the first explanation would pay for: index a long
        log (:meth:`Snapshot.prepare`) and, for anyone who pays at least
        :data:`_HEAVY` transfers, find which of them are plain
        (:meth:`_looked_at`) and, if some are not, the payer's creditors
        by id (:meth:`_found`), which make-ups read."""
        self.snapshot.prepare()
        plan = self.plan
        if plan is None or len(plan.transfers) < _HEAVY:
            return
        plan.columns()
        heavy = [r for r, n in Counter(plan.payers).items() if n >= _HEAVY]
        if heavy:
            plan.index_payers()
            debts = self.snapshot.debts()
            for rank in heavy:
                payer = plan.people[rank]
                own = self._owns[payer] = self._looked_at(debts, payer)
                if own.events:  # a make-up may come: its creditors, now
                    own.ready = self._found(debts, own)

    def _looked_at(self, debts: _Debts, payer: str) -> _Claims:
        """The claims of ``payer``'s transfers, with the ones not plain
        found, to be shared out when first asked.

        A plain transfer pays a payee the payer owes at least its amount
        (net), and none of the payer's transfers before it paid: its route
        is that one debt, so, unless a transfer before it that is not plain
        claims some of that debt, it claims exactly its amount of it and
        nothing else. Looked at column by column, at C speed.
        """
        plan = self.plan
        assert plan is not None
        where = plan.paid_by(payer)
        transfers = list(map(plan.transfers.__getitem__, where))
        payees, amounts = list(map(_PAYEE, transfers)), list(map(_AMOUNT, transfers))
        row = debts.owed.get(payer, {})
        owed = list(map(row.get, payees, repeat(ZERO)))
        enough = list(map(ge, owed, amounts))
        owe_back = {
            p for p in debts._named_with(payer) if payer in debts.owed.get(p, {})
        }
        for i in compress(range(len(payees)), map(owe_back.__contains__, payees)):
            enough[i] = debts.net(payer, payees[i]) >= amounts[i]
        for i in _repeats(payees):
            enough[i] = False
        events = [j for j, plain in zip(where, enough, strict=True) if not plain]
        first_to = dict(zip(reversed(payees), reversed(where), strict=True))
        found = _Claims(payer, events, first_to)
        found.partly = list(compress(payees, map(operator.ne, owed, amounts)))
        return found

    def __call__(self, transfer: Transfer) -> tuple[Obligation, ...]:
        t, debts = transfer, self.snapshot.debts()
        if self.set_off:
            return debts.behind({(t.payer, t.payee): t.amount})
        plan, k = self.plan, self._position(t)
        if plan is None or k is None:
            return debts.behind(debts.route(t.payer, t.payee, t.amount))
        used = self._route(debts, k)
        if k == self._done:  # asked in plan order: the sums are at hand
            if k == _IN_ORDER:  # many will be: file the transfers by payer
                plan.index_payers()
            uses = self._uses
            others = {pair: uses[pair] for pair in used if pair in uses}
            self._sum_up(k, used)
        else:
            others = self.others_before(debts, k, used)
        claims, claimed = self._claims(debts, k)
        shares: dict[_Pair, Amount] = {}
        cited: dict[_Pair, Amount] = {}
        for pair, x in [*used.items(), *claims.items()]:
            if pair in shares:
                continue
            if pair[0] == t.payer:  # its own debt, as its payments claim it
                shares[pair] = claims.get(pair, ZERO)
                cited[pair] = claimed.get(pair, ZERO)
            else:  # after every claim of the debtor, then the others before
                shares[pair] = x
                cited[pair] = _exact.add(
                    self._claimed(debts, pair), others.get(pair, ZERO)
                )
        return debts.behind({p: x for p, x in shares.items() if x}, cited)

    def _claims(
        self, debts: _Debts, k: int
    ) -> tuple[Mapping[_Pair, Amount], Mapping[_Pair, Amount]]:
        """What transfer ``k`` claims of its payer's own debts, and what the
        payer's transfers before it had claimed of the same pairs."""
        assert self.plan is not None
        t = self.plan.transfers[k]
        own = self._own(debts, t.payer)
        if k in own.claims:
            return own.claims[k], own.before[k]
        found = own.run_of(k)
        if found is not None:
            return self._in_run(*found)
        pair = (t.payer, t.payee)  # plain: one debt, claimed whole
        return {pair: t.amount}, {pair: ZERO}

    def _claimed(self, debts: _Debts, pair: _Pair) -> Amount:
        """What the transfers ``pair``'s debtor pays claim of it in all."""
        own = self._own(debts, pair[0])
        total = own.taken(pair) or ZERO
        plain = own.plain_to(pair[1])
        if plain is None:
            return total
        assert self.plan is not None
        return _exact.add(total, self.plan.transfers[plain].amount)

    def _own(self, debts: _Debts, debtor: str) -> _Claims:
        """What the transfers ``debtor`` pays claim of its own debts: in
        plan order, what each one's route uses of each, as far as the ones
        before left it; what that falls short comes off the debtor's other
        debts (by creditor id), as a route's ends would. Shared out once,
        for every transfer that is not plain."""
        found = self._owns.get(debtor)
        if found is None:
            assert self.plan is not None
            found = _Claims(debtor, self.plan.paid_by(debtor), {})
            self._owns[debtor] = found
        if len(found.claims) + found.in_runs < len(found.events):
            known = found.creditors or (found.ready and found.ready[0])
            if known and not debts.moved:  # routes read them, not the whole row
                debts.found.setdefault(debtor, known)
            self._share_out(debts, found)
        return found

    def _share_out(self, debts: _Debts, own: _Claims) -> None:
        """Share out the transfers of ``own`` that are not plain, in plan
        order; a plain one to a payee whose debt one of them claimed is no
        longer plain, and is shared out in its turn."""
        pending = sorted(own.events)
        while pending:
            if own.gone is not None and _IN_BULK:  # make-ups may run in bulk
                if own.wait:
                    own.wait -= 1
                elif self._run(debts, own, pending):
                    continue
            j = heapq.heappop(pending)
            plain_before: dict[_Pair, Amount] = {}  # a plain one's claim
            claims = self._claim(debts, own, j, plain_before)
            total, taken = own.total, own.taken
            before = own.before[j] = {}
            for pair, x in claims.items():
                had = taken(pair)  # what came before this transfer's claim
                more = plain_before[pair]
                if had is None:
                    before[pair] = more
                    total[pair] = x
                else:
                    before[pair] = _exact.add(had, more) if more else had
                    total[pair] = _exact.add(had, x)
                later = own.plain_to(pair[1])
                if later is not None and later > j:  # it now falls short
                    own.events.add(later)
                    heapq.heappush(pending, later)
            own.claims[j] = claims

    def _run(self, debts: _Debts, own: _Claims, pending: list[int]) -> bool:
        """Share out, in bulk, a run of transfers each of which falls short
        by its whole amount and makes it up from the next debts: what
        :meth:`_claim` would find one by one, without routing or searching.

        The debts a make-up comes to next, by creditor id from ``own.full``
        (:meth:`_stream`), are taken in turn by the amounts of a queue of
        transfers: first those left to share out (``pending``), in plan
        order, each plain, to a payee whose debt transfers before it
        claimed in full (so it claims none of it and makes up its whole
        amount); then, each in its turn, the first transfer to each payee
        whose debt the make-ups reach. The run stops before a transfer whose
        payee's debt was not yet taken in full, or whose amount is more
        than the stream has left: the rest are shared out one by one.
        Returns whether any transfer was shared out.

        Worked out on running sums, in C: where each debt starts along the
        stream and where each transfer's take starts (its amount after the
        amounts before it in the queue). A transfer's turn comes while its
        take starts at or after the end of the debt it waits for; the run
        is kept as it is (``own.runs``), not as claims per transfer, nor
        as the debts it took in full (:meth:`_Claims.taken`).
        """
        transfers, debtor, total = self._transfers(), own.debtor, own.total
        stream, part, cut = self._stream(debts, own, pending)
        if not stream:
            return self._no_run(own)
        pointer = stream.at[0] if part else _PAST  # its transfer is pending
        valid = own.valid  # stays so: a debt taken in full stays so
        queue = sorted(pending)  # the transfers, in the order they take
        for j in itertools.filterfalse(valid.__contains__, queue):  # new ones
            if j == pointer:  # its turn comes once the stream takes it all
                continue
            payee = transfers[j].payee
            pair = (debtor, payee)
            if not own.was_plain(j, payee) or (own.taken(pair) or ZERO) < (
                debts.net(*pair)
            ):
                return self._no_run(own)
            valid.add(j)
        needs = [-1] * len(queue)  # each waits until stream[s] is taken in full
        at = bisect_left(queue, pointer)  # the first debt's, if pending:
        if at < len(queue) and queue[at] == pointer:  # waits for all of it
            needs[at] = 0
        waiting = len(queue)
        fresh = 1 if part else 0  # the first debt a make-up comes to untaken
        ats = stream.at
        paid = map(operator.ne, itertools.islice(ats, fresh, None), repeat(_PAST))
        joins = list(compress(itertools.count(fresh), paid))
        queue += map(ats.__getitem__, joins)  # each once its debt is reached
        needs += joins
        # where each debt of the stream starts and each transfer's take starts
        starts = _exact.running(stream.cap)
        takes = _exact.running(map(_AMOUNT, map(transfers.__getitem__, queue)), part)
        ready = map(starts.__getitem__, map(_NEXT, needs))
        late = compress(itertools.count(), map(_LT, takes, ready))
        done = min(next(late, len(queue)), bisect_right(takes, starts[-1]) - 1)
        if not done:
            pending[:] = queue[:waiting]  # in plan order: a heap
            return self._no_run(own)
        taken = takes[done]
        k = bisect_right(starts, taken) - 1  # stream[k]: the first not taken in full
        reached = bisect_left(starts, taken)  # the debts before it were reached
        joined = waiting + bisect_left(joins, reached)  # theirs were reached
        own.events.update(queue[waiting:joined])
        pending[:] = queue[done:joined]  # reached, not run (done <= joined)
        creditors = own.creditors or []
        own.runs.append(_Run(debtor, creditors, stream, starts, queue[:done], takes, k))
        own.run_at.append(queue[0])
        own.run_from.append(stream.index[0])
        own.in_runs += done
        if k:  # the first may have been taken in part before: now in full
            total[debtor, creditors[stream.index[0]]] = stream.cap[0]
        part = _exact.sub(taken, starts[k]) if k < len(stream) else ZERO
        if part:
            total[debtor, creditors[stream.index[k]]] = part
        if k < len(stream):
            own.full = stream.index[k] if part or not k else stream.index[k - 1] + 1
        else:
            own.full = stream.index[-1] + 1
        assert own.gone is not None
        own.watch(own.gone)
        if pending and not cut:  # the window ran out
            own.window *= 2
        own.waits = 1
        return True

    @staticmethod
    def _in_run(run: _Run, q: int) -> tuple[dict[_Pair, Amount], dict[_Pair, Amount]]:
        """What the ``q``-th transfer of a run (:meth:`_run`) claims, and
        what was claimed of the same pairs before it: its take, from
        ``takes[q]`` to ``takes[q + 1]`` along the stream, found by
        bisection."""
        stream, starts, takes = run.stream, run.starts, run.takes
        start, end = takes[q], takes[q + 1]
        claims: dict[_Pair, Amount] = {}
        before: dict[_Pair, Amount] = {}
        i = bisect_right(starts, start) - 1  # the debt it starts in
        while i < len(stream) and starts[i] < end:
            pair = (run.debtor, run.creditors[stream.index[i]])
            plain = stream.plain[i]
            low = start if start > starts[i] else starts[i]
            high = end if end < starts[i + 1] else starts[i + 1]
            claims[pair] = _exact.sub(high, low)
            off = _exact.sub(low, starts[i])
            before[pair] = (_exact.add(off, plain) if plain else off) if off else plain
            i += 1
        return claims, before

    def _stream(
        self, debts: _Debts, own: _Claims, pending: Sequence[int]
    ) -> tuple[_Stream, Amount, bool]:
        """The debts a run's make-ups take, in turn: from ``own.full``, by
        creditor id, as far as :data:`_WINDOW` (or more) of them, each
        ``(index, pair, what a make-up may take, what a plain transfer
        before claimed, the position of the transfer paying it that falls
        short once it is taken)`` (``_PAST``: none); with what was taken of
        the first already, and whether the stream stops before the window's
        end.

        Those a make-up would skip (:meth:`_Claims.skip`) are left out.
        Each of the others must not have been claimed yet (but the first),
        and each one's transfer must come after every transfer pending and
        every one before it in the stream, so that the make-ups reach them
        in the order the transfers are shared out.
        """
        transfers, debtor, total = self._transfers(), own.debtor, own.total
        creditors, gone, events = own.creditors, own.gone, own.events
        assert creditors is not None
        assert gone is not None
        first, last = min(pending), max(pending)
        start = own.full
        end = min(len(creditors), start + own.window)
        found = compress(
            range(start, end), map(operator.gt, gone[start:end], repeat(first))
        )
        stream = _Stream()
        part: Amount = ZERO
        alive: list[int] = []
        r = size = 0
        while True:
            if r == len(alive):  # the next ones, more each time (a run may stop)
                size = 2 * size or _FEW_FIRST
                alive, r = list(itertools.islice(found, size)), 0
                if not alive:
                    break
                # where each is first paid: _PAST for those that must be
                # looked at anyway (paid by none, or paid less than owed)
                paids = list(map(gone.__getitem__, alive))
                odd = self._odd(own, alive, paids)
            n = bisect_left(odd, r)
            s = odd[n] if n < len(odd) else len(alive)  # the next looked at
            if stream.index and paids[r] > last and s > r:  # plain ones, in C
                ats = paids[r:s]  # each after the one before
                stream.index += alive[r:s]
                stream.cap += map(_AMOUNT, map(transfers.__getitem__, ats))
                stream.plain += repeat(ZERO, s - r)
                stream.at += ats
                last, r = ats[-1], s
                continue
            i = alive[r]
            creditor = creditors[i]
            pair, paid = (debtor, creditor), own.first_to.get(creditor, -1)  # -1: none
            r += 1
            if not stream.index and start < own.scanned and i != start:
                return stream, part, True  # the pointer's, looked at: not left out
            plain: Amount = ZERO
            at = _PAST
            if pair in total:  # taken in part: only the first, as one left
                if stream.index or (paid != -1 and paid not in pending):
                    return stream, part, True
                part, cap = total[pair], debts.net(*pair)
                if part >= cap:  # taken in full (by a route): passed over
                    part = ZERO
                    continue
                if paid != -1:
                    at = paid  # pending: its own turn
                    if not own.was_plain(paid, creditor):
                        return stream, part, True
            elif paid == -1:  # paid by no transfer
                cap = debts.net(*pair)
            elif paid in events or first <= paid <= last:
                return stream, part, True
            elif paid < first:  # a plain transfer claimed part of it
                plain = transfers[paid].amount
                cap = _exact.sub(debts.net(*pair), plain)
            else:  # paid in full (net) by a plain transfer after the others
                at = last = paid
                cap = debts.net(*pair) if gone[i] == _PAST else transfers[paid].amount
            if cap > 0:
                stream.append(i, cap, plain, at)
        return stream, part, end == len(creditors)

    @staticmethod
    def _odd(own: _Claims, alive: list[int], paids: list[int]) -> list[int]:
        """Where, in a stream's debts (creditor ``alive[r]``, first paid by
        ``paids[r]``, as ``own.gone`` says), :meth:`_stream` must look at
        one by one: a debt taken in part, one paid by no transfer or by one
        that pays less than the debt (``_PAST``), by one shared out one by
        one, and one paid before (or after none of) the debt before it; the
        others are each paid in full by a plain transfer after the one
        before, and go into the stream as they are, in C. Sorted."""
        taken = own.taken_at()
        odd = set(compress(itertools.count(), map(taken.__contains__, alive)))
        odd.update(compress(itertools.count(), map(own.events.__contains__, paids)))
        odd.update(compress(itertools.count(), map(operator.eq, paids, repeat(_PAST))))
        later = map(operator.ge, paids, paids[1:])  # paid before the one before
        odd.update(compress(itertools.count(1), later))
        return sorted(odd)

    @staticmethod
    def _no_run(own: _Claims) -> bool:
        """No run now: share out one by one, for longer after each miss."""
        own.wait, own.waits = own.waits, min(2 * own.waits, _MAX_WAIT)
        return False

    def _claim(
        self, debts: _Debts, own: _Claims, j: int, plain: dict[_Pair, Amount]
    ) -> dict[_Pair, Amount]:
        """What transfer ``j`` claims of ``own``'s debtor's debts, after
        the transfers before it (``plain``: what a plain one among them
        claimed of each pair looked at)."""
        debtor, transfers = own.debtor, self._transfers()

        def taken(pair: _Pair) -> Amount:
            if pair not in plain:
                at = own.plain_to(pair[1])
                plain[pair] = (
                    transfers[at].amount if at is not None and at < j else ZERO
                )
            had, more = own.taken(pair) or ZERO, plain[pair]
            return _exact.add(had, more) if more else had

        claims: dict[_Pair, Amount] = {}
        short: Amount = ZERO
        for pair, x in self._route(debts, j).items():
            if pair[0] != debtor:
                continue
            gone = taken(pair)
            left = _exact.sub(debts.net(*pair), gone) if gone else debts.net(*pair)
            got = x if x <= left else (left if left > 0 else ZERO)
            if got:
                claims[pair] = got
            if got != x:
                short = _exact.add(short, _exact.sub(x, got))
        if short > 0:
            if own.creditors is None:
                self._look_up(debts, own)
            self._make_up(debts, own, j, short, claims, taken)
        return claims

    def _look_up(self, debts: _Debts, own: _Claims) -> None:
        """Find ``own``'s debtor's creditors, by id, for make-ups; for a
        heavy payer, with where the first transfer paying each stands
        (:meth:`_Claims.watch`), as found when the plan was made if it has
        transfers that are not plain (:meth:`_found`)."""
        if not own.first_to:  # not a heavy payer
            own.creditors = debts.creditors(own.debtor)
            return
        creditors, gone = own.ready or self._found(debts, own)
        own.ready = None
        own.creditors = creditors
        own.watch(gone)

    def _found(self, debts: _Debts, own: _Claims) -> tuple[list[str], list[int]]:
        """A heavy payer's creditors, by id, found among the plan's people,
        and, for each, where the first transfer paying it stands (or
        ``_PAST``): what :meth:`_Claims.watch` reads.

        Once that transfer is shared out, nothing of its payee's debt is
        left for a make-up, unless it is plain and pays less than the debt,
        gross (as one owed partly back is): those are forgotten (``_PAST``).
        A plain transfer claims its whole amount, here the whole debt; one
        shared out one by one pays more than the debt (net), or was plain
        and pays all of it, and so claims all that the transfers before it
        left of it. Found when the plan is made for a payer with transfers
        that are not plain (each about 10 ms at 10^5 creditors, so that no
        first explanation pays it), else on the first make-up.
        """
        plan = self.plan
        assert plan is not None
        creditors = debts.creditors_among(own.debtor, plan.people)
        gone = list(map(own.first_to.get, creditors, repeat(_PAST)))
        for payee in own.partly:
            i = bisect_left(creditors, payee)
            if i < len(creditors) and creditors[i] == payee:
                gone[i] = _PAST
        return creditors, gone

    @staticmethod
    def _make_up(
        debts: _Debts,
        own: _Claims,
        j: int,
        short: Amount,
        claims: dict[_Pair, Amount],
        taken: Callable[[_Pair], Amount],
    ) -> None:
        """Add what transfer ``j``'s route falls short of to its ``claims``,
        from the debtor's debts left, by creditor id; a debt claimed in
        full stays so, so the search starts after those (``own.full``),
        and skips those that plain transfers before ``j`` claimed in full."""
        creditors = own.creditors or []
        while short > 0 and own.full < len(creditors):
            own.skip(j)
            if own.full == len(creditors):
                break
            pair = (own.debtor, creditors[own.full])
            gone, mine = taken(pair), claims.get(pair, ZERO)
            if mine:
                gone = _exact.add(gone, mine)
            left = _exact.sub(debts.net(*pair), gone) if gone else debts.net(*pair)
            step = short if short < left else left
            if step > 0:
                claims[pair] = _exact.add(mine, step) if mine else step
                short = _exact.sub(short, step)
            if step == left:  # nothing of it is left
                own.full += 1

    def _transfers(self) -> Sequence[Transfer]:
        """The plan's transfers, in order (only a plan's explanations ask)."""
        assert self.plan is not None
        return self.plan.transfers

    def _position(self, t: Transfer) -> int | None:
        """Where ``t`` stands in the plan (first tried: the next in order)."""
        plan, k = self.plan, self._done
        if plan is None:
            return None
        if k < len(plan.transfers) and plan.transfers[k] is t:
            return k
        return plan.position(t)

    def _route(self, debts: _Debts, k: int) -> dict[_Pair, Amount]:
        """What the plan's transfer ``k`` discharges on its own (kept)."""
        route = self._routes.get(k)
        if route is None:
            assert self.plan is not None
            t = self.plan.transfers[k]
            own = self._owns.get(t.payer)
            if own is not None and own.was_plain(k, t.payee):
                route = {(t.payer, t.payee): t.amount}  # as routing it finds
            else:
                route = debts.route(t.payer, t.payee, t.amount)
            self._routes[k] = route
        return route

    def _sum_up(self, k: int, used: Mapping[_Pair, Amount]) -> None:
        """Add transfer ``k``'s uses of pairs it does not pay its own debt
        on to the sums of uses (``k`` was the next in plan order)."""
        uses, payer = self._uses, self._payer(k)
        for pair, x in used.items():
            if pair[0] != payer:
                uses[pair] = _exact.add(uses.get(pair, ZERO), x)
        self._done = k + 1

    def _payer(self, k: int) -> str:
        assert self.plan is not None
        return self.plan.transfers[k].payer

    def others_before(
        self, debts: _Debts, k: int, used: Mapping[_Pair, Amount]
    ) -> dict[_Pair, Amount]:
        """How much of each pair (D, C) in ``used`` the transfers before
        ``k`` not paid by D use.

        Such a transfer uses (D, C) only as a debt owed to its payee (it is
        paid to C) or as the middle link of a three-hop chain (its payer
        owes D, and C owes its payee): only those transfers are routed, each
        once.
        """
        plan = self.plan
        assert plan is not None
        payers: set[str] = set()
        payees: set[str] = set()
        people = debts._people()
        for debtor, creditor in used:
            payees.add(creditor)
            right = debts.owed.get(creditor, {})  # whom the creditor owes
            left = len(people.given_by(debtor)) + len(
                people.moves.get(debtor, ())
            )  # how many may owe the debtor
            if len(right) <= left:
                payees.update(right)
            else:
                payers.update(debts._named_with(debtor))
        found: dict[_Pair, Amount] = {}
        for j in plan.before(k, plan.ranks(payers), plan.ranks(payees)):
            route, payer = self._route(debts, j), plan.transfers[j].payer
            for pair in used:
                x = route.get(pair)
                if x and pair[0] != payer:
                    found[pair] = _exact.add(found.get(pair, ZERO), x)
        return found


def explain_at(
    ledger: Indexed, transfer: Transfer, as_of: datetime | str | None = None
) -> tuple[Obligation, ...]:
    """:func:`favorledger.settlement.explain`, without checking the people."""
    return Snapshot(ledger, as_of).explain(
        transfer.payer, transfer.payee, transfer.amount
    )


# ----------------------------------------------------------------- applying
def discharges(
    ledger: Indexed,
    transfers: Sequence[Transfer],
    *,
    at: datetime,
    reason: str,
    kind: str,
    set_off: bool,
    passed: Sequence[Debt] = (),
) -> list[Settlement]:
    """The settlement entries that record ``transfers`` (see ``Ledger.apply``).

    Each transfer, in order, discharges the debts :meth:`_Debts.route`
    finds as they stand after the ones before it; what no debt carries is
    passed on. If the transfers leave every balance at zero, one more entry
    sets off whatever is still owed (it runs around cycles). With
    ``set_off``, the transfers are debts to cancel (and ``passed`` debts
    that grow), recorded as one entry.
    """
    if set_off:
        if not transfers and not passed:
            return []
        moves = [Debt(t.payer, t.payee, t.amount) for t in transfers]
        return [
            Settlement(discharged=moves, passed=passed, kind=kind, at=at, reason=reason)
        ]
    debts = _Debts(ledger)
    found: list[Settlement] = []
    for t in transfers:
        used = debts.route(t.payer, t.payee, t.amount)
        lowered = [Debt(d, c, x) for (d, c), x in used.items()]
        passed = _passed(t, lowered)
        for debt in lowered:
            debts.move(debt.debtor, debt.creditor, _exact.neg(debt.amount))
        for debt in passed:
            debts.move(debt.debtor, debt.creditor, debt.amount)
        if not found:  # checks the time, kind and reason the caller gave
            found.append(
                Settlement(
                    payer=t.payer,
                    payee=t.payee,
                    amount=t.amount,
                    discharged=lowered,
                    passed=passed,
                    kind=kind,
                    at=at,
                    reason=reason,
                )
            )
            continue
        first = found[0]  # the others are made of checked parts: not again
        found.append(
            _settlement(
                new_id(),
                t.payer,
                t.payee,
                t.amount,
                tuple(lowered),
                tuple(passed),
                first.kind,
                first.at,
                first.reason,
            )
        )
    rest = _left_over(ledger, transfers, debts)
    if rest and found:  # around cycles: the first checked the time and reason
        first, no_one = found[0], None
        cycles = (new_id(), no_one, no_one, no_one, tuple(rest), (), "set-off")
        found.append(_settlement(*cycles, first.at, first.reason))
    elif rest:
        found.append(Settlement(discharged=rest, kind="set-off", at=at, reason=reason))
    return found


def settles_only(ledger: Indexed, transfers: Iterable[Transfer]) -> None:
    """Check that ``transfers`` made by hand (of no plan), taken together,
    move every balance towards zero and not past it.

    A plan from :func:`~favorledger.settlement.settle` is checked by its own
    rules (:class:`Why`) on the ledger it was made for (any handle of its
    log); these are what an app builds from what people say, where a
    retried request, a swapped pair or a slip would otherwise make someone
    owe what they were owed. A plan's transfers given to another ledger are
    checked as made by hand: its rules know nothing of that ledger.

    Raises
    ------
    OverpaymentError
        Naming the first person (payer before payee, in transfer order)
        whose balance would move away from zero or past it.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 3)
    >>> settles_only(led, [Transfer("bob", "ann", 3)])
    >>> settles_only(led, [Transfer("bob", "ann", 5)])
    Traceback (most recent call last):
    ...
    favorledger.errors.OverpaymentError: 'bob' has a balance of -3 and these ...
    """
    transfers = list(transfers)
    fitting = {p for p in plans_of(transfers) if p.snapshot.since(ledger) is not None}
    moved: dict[str, Amount] = {}
    for t in transfers:
        if getattr(t, "_plan", None) not in fitting:
            moved[t.payer] = _exact.add(moved.get(t.payer, ZERO), t.amount)
            moved[t.payee] = _exact.sub(moved.get(t.payee, ZERO), t.amount)
    balances = ledger.index.balances
    for person, change in moved.items():
        was = balances.get(person, ZERO)
        left = _exact.add(was, change)
        if not min(was, ZERO) <= left <= max(was, ZERO):
            raise OverpaymentError(
                f"{person!r} has a balance of {shown(was)} and these transfers"
                f" would leave {shown(left)}: a settlement moves a balance"
                " towards zero, never past it (a payment that settles nothing"
                " is a favor: record it)"
            )


def plans_of(transfers: Iterable[Transfer]) -> dict[Why, list[Transfer]]:
    """The plans ``transfers`` belong to, each with its transfers among
    them, in order (a transfer of no plan is in none).

    Examples
    --------
    >>> from favorledger import Ledger
    >>> from favorledger.settlement import settle
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 2)
    >>> plan = settle(led)
    >>> [len(own) for own in plans_of([*plan, Transfer("ann", "bob", 1)]).values()]
    [1]
    """
    found: dict[Why, list[Transfer]] = {}
    for t in transfers:
        plan = getattr(t, "_plan", None)
        if isinstance(plan, Why):
            found.setdefault(plan, []).append(t)
    return found


def dated_after(
    latest: Entry | None, at: datetime, *, dated: bool, what: str
) -> datetime:
    """The time to record an entry that moves debts at: ``at``, or, if
    ``latest`` (the latest entry it ``what``: settles, passes on) is later,
    that entry's time, unless ``dated`` (the caller gave ``at``): then it
    is refused, naming that entry.

    Examples
    --------
    >>> from favorledger import Favor
    >>> f1 = Favor(giver="carol", receiver="me", value=3, id="f1",
    ...            at="2026-06-01T00:00Z")
    >>> dated_after(f1, as_moment("2026-01-01T00:00Z"), dated=False, what="settles")
    datetime.datetime(2026, 6, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> dated_after(f1, as_moment("2026-01-01T00:00Z"), dated=True, what="settles")
    Traceback (most recent call last):
    ...
    favorledger.errors.MarketError: at must not be before the latest entry it \
settles, favor 'f1' of 2026-06-01T00:00+00:00, got 2026-01-01T00:00+00:00
    """
    if latest is None or latest.at <= at:
        return at
    if dated:
        noun = type(latest).__name__.lower()
        where = f"the latest entry it {what}, {noun} {latest.id!r} of"
        not_before("at", at, latest.at, where, MarketError)
    return latest.at


def latest_settled(ledger: Indexed, entries: Iterable[Settlement]) -> Entry | None:
    """The latest entry (by time; the first found on a tie) that moved a debt
    between two people whose debt one of ``entries`` discharges: a favor,
    an assignment, a settlement or the reversal of one. ``None`` if none.

    A settlement dated before it would discharge a debt not yet owed (see
    ``Ledger.apply``); a debt it passes on is new, and needs no entry.
    """
    pairs = {(d.debtor, d.creditor) for e in entries for d in e.discharged}
    return latest_between(ledger, pairs)


def latest_between(ledger: Indexed, pairs: Iterable[tuple[str, str]]) -> Entry | None:
    """The latest entry (by time; the first found on a tie) that moved a debt
    between the two people of one of ``pairs`` (either way round): a favor,
    an assignment, a settlement or the reversal of one. ``None`` if none.

    An entry that discharges their debt (a settlement, an assignment) is not
    dated before it (see ``Ledger.apply`` and ``trading.assign``).
    """
    unordered = sorted({(a, b) if a <= b else (b, a) for a, b in pairs})
    index, reversals = _people_index(ledger), ledger.reversals
    latest: Entry | None = None
    for a, b in unordered:
        found: list[Entry] = [*_owed_in(index, a, b), *_owed_in(index, b, a)]
        one, other = index.moves.get(a, ()), index.moves.get(b, ())
        found += (
            move
            for move in (one if len(one) <= len(other) else other)
            if any({d, c} == {a, b} for d, c, _ in move.effects())
        )
        found += [reversals[e.id] for e in found if e.id in reversals]
        for entry in found:
            if latest is None or entry.at > latest.at:
                latest = entry
    return latest


def _passed(t: Transfer, lowered: Sequence[Debt]) -> list[Debt]:
    """The debts passed on so only the payer's and payee's balances move.

    Lowering a debt moves its debtor's balance up and its creditor's down.
    Whoever ends up moved up when they should not be (someone who owed the
    payee) now owes, in order, whoever was moved down (someone the payer
    owed); with no debts at all, the payee owes the payer.
    """
    off: dict[str, Amount] = {}
    for debt in lowered:
        off[debt.debtor] = _exact.add(off.get(debt.debtor, ZERO), debt.amount)
        off[debt.creditor] = _exact.sub(off.get(debt.creditor, ZERO), debt.amount)
    off[t.payer] = _exact.sub(off.get(t.payer, ZERO), t.amount)
    off[t.payee] = _exact.add(off.get(t.payee, ZERO), t.amount)
    ups = [(p, x) for p, x in off.items() if x > 0]  # moved up too far: owe more
    downs = [(p, _exact.neg(x)) for p, x in off.items() if x < 0]
    passed: list[Debt] = []
    i = j = 0
    up_left = ups[0][1] if ups else ZERO
    down_left = downs[0][1] if downs else ZERO
    while i < len(ups) and j < len(downs):
        step = min(up_left, down_left)
        if ups[i][0] != downs[j][0]:
            passed.append(Debt(ups[i][0], downs[j][0], step))
        up_left = _exact.sub(up_left, step)
        down_left = _exact.sub(down_left, step)
        if not up_left:
            i += 1
            up_left = ups[i][1] if i < len(ups) else ZERO
        if not down_left:
            j += 1
            down_left = downs[j][1] if j < len(downs) else ZERO
    return passed


def _left_over(
    ledger: Indexed, transfers: Sequence[Transfer], debts: _Debts
) -> list[Debt]:
    """What is still owed after ``transfers``, if they leave every balance at
    zero (then it runs around cycles); else nothing."""
    index = ledger.index
    after = dict(index.balances)
    for t in transfers:
        after[t.payer] = _exact.add(after.get(t.payer, ZERO), t.amount)
        after[t.payee] = _exact.sub(after.get(t.payee, ZERO), t.amount)
    if any(after.values()):
        return []
    rest = []
    for debtor in sorted(set(index.owed) | set(debts.extra)):
        for creditor in debts.creditors(debtor):
            rest.append(Debt(debtor, creditor, debts.net(debtor, creditor)))
    return rest
