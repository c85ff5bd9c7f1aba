"""Settling up leaves nothing owed, for every valid ledger (issue 11).

Each test states one promise in its docstring. Expected states are computed
here from the ledger's own pairwise view before and after, never from the
settlement code.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from unittest import mock

import attrs
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from favorledger import (
    Assignment,
    Debt,
    Favor,
    FavorLedgerError,
    InvalidEntryError,
    Ledger,
    MarketError,
    Settlement,
    Transfer,
    agenda,
    discharge,
)
from favorledger.clearing import clear_cycles
from favorledger.io.jsonl import read_jsonl, write_jsonl
from favorledger.settlement import explain, settle
from favorledger.testing.strategies import favors, ledgers

try:  # settle loads numpy for a large plan; explanations then scan with it
    import numpy
except ImportError:  # pragma: no cover - numpy comes with the dev extra
    numpy = None

METHODS = ["exact", "greedy", "ties", "auto"]
PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]  # eleven primes


# ------------------------------------------- what was seen (regressions)
def eleven_prime_thirds() -> Ledger:
    """Eleven favors of 1/p for the odd primes up to 37 between one pair:
    the sum's denominator is past 10**12."""
    led = Ledger()
    for p in PRIMES:
        led.record("ann", "bob", Fraction(1, p))
    return led


def two_huge_favors() -> Ledger:
    led = Ledger()
    led.record("ann", "bob", 999999999999999)
    led.record("ann", "bob", 999999999999999)
    return led


def a_fine_referral() -> Ledger:
    led = Ledger()
    led.record("carol", "me", Fraction(1, 999999999999), via="bob")
    return led


SEEN = [eleven_prime_thirds, two_huge_favors, a_fine_referral]


@pytest.mark.parametrize("make", SEEN)
@pytest.mark.parametrize("method", METHODS)
def test_derived_amounts_are_never_refused_by_settle(make, method: str) -> None:
    """Sums and shares the library derives are settled, whatever their size
    or resolution; applying them leaves nothing owed."""
    led = make()
    plan = settle(led, method=method)
    assert plan
    led.apply(plan)
    assert set(led.balances().values()) == {0}
    assert led.who_owes_whom() == []


@pytest.mark.parametrize("make", SEEN)
def test_derived_amounts_are_never_refused_by_clearing(make) -> None:
    """Clearing cycles works on the same ledgers (plus a cycle through them)."""
    led = make()
    debts = led.who_owes_whom()
    first = debts[0]
    led.record(first.debtor, first.creditor, 1)  # a favor the other way
    clearing = clear_cycles(led)
    before = led.balances()
    led.apply(clearing)
    assert led.balances() == before
    assert led.who_owes_whom() == list(clearing.remaining)


def test_the_newcomers_club_owes_nothing_after_settling() -> None:
    """The issue's story: after settle --apply nobody owes anybody, and
    nobody's debt grew or appeared."""
    led = Ledger()
    led.record("me", "carol", 2)
    led.record("bob", "dave", 1)
    led.record("carol", "bob", Decimal("3.5"))
    led.record("dave", "me", 4, via="carol")
    plan = settle(led, method="greedy")
    recorded = led.apply(plan)
    assert len(recorded) >= len(plan)
    assert led.who_owes_whom() == []
    for a in led.people:
        for b in led.people:
            if a != b:
                assert led.owes(a, b) == 0


# --------------------------------------------------------------- properties
def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with the profile."""
    return settings(
        max_examples=max(1, n * settings.default.max_examples // 100), deadline=None
    )


market_ledgers = ledgers(max_people=7, max_favors=15, market=True)


def pairs(led: Ledger) -> dict[tuple[str, str], Fraction]:
    """Every ordered pair's net debt, read through ``owes``."""
    return {
        (a, b): Fraction(led.owes(a, b))
        for a in led.people
        for b in led.people
        if a != b
    }


def nothing_owed(led: Ledger) -> None:
    assert led.who_owes_whom() == []
    assert set(pairs(led).values()) <= {0}
    assert set(led.balances().values()) <= {0}
    far = "2100-01-01T00:00+00:00"
    for person in led.people:
        asked = [i for i in agenda(led, person, today=far) if i.action == "return"]
        assert asked == []


@pytest.mark.parametrize("method", METHODS)
@given(led=market_ledgers)
@examples(60)
def test_settling_then_applying_leaves_nothing_owed(led: Ledger, method: str) -> None:
    """After ``apply(settle(led, method=m))`` nobody owes anybody, the agenda
    asks nobody to return anything, and settling again suggests nothing;
    on ledgers with referrals, fractions, reversals, pledges and assignments.
    Every entry recorded (the set-off too) is what the checked constructor
    makes of its fields."""
    plan = settle(led, method=method)
    recorded = led.apply(plan, at="2031-01-01T00:00+00:00", reason="squared up")
    assert all(isinstance(entry, Settlement) for entry in recorded)
    assert recorded == [attrs.evolve(entry) for entry in recorded]
    assert len({(e.at, e.reason) for e in recorded}) <= 1
    assert all(e.reason == "squared up" for e in recorded)
    assert [(s.payer, s.payee, s.amount) for s in recorded[: len(plan)]] == [
        (t.payer, t.payee, t.amount) for t in plan
    ]
    nothing_owed(led)
    assert settle(led, method=method) == []
    replay = Ledger.from_entries(led.log)
    assert replay.who_owes_whom() == []
    assert replay.balances() == led.balances()


@given(led=market_ledgers, data=st.data())
@examples(60)
def test_reversing_an_applied_settlement_restores_every_pair(
    led: Ledger, data: st.DataObject
) -> None:
    """Reversing what ``apply`` recorded, in any order, brings back every
    pair's debt and every balance exactly as they were."""
    method = data.draw(st.sampled_from(METHODS))
    before, balances = pairs(led), led.balances()
    recorded = led.apply(settle(led, method=method), at="2031-01-01T00:00+00:00")
    for entry in data.draw(st.permutations(recorded)):
        led.reverse(entry.id, at="2031-02-01T00:00+00:00", reason="undo")
    assert pairs(led) == before
    assert led.balances() == balances


@given(led=market_ledgers)
@examples(60)
def test_any_ledger_settles_and_clears_without_an_error(led: Ledger) -> None:
    """Every method settles, every explanation can be given, and applying a
    clearing keeps every balance and leaves exactly ``remaining`` per pair."""
    for method in METHODS:
        plan = settle(led, method=method)
        for transfer in plan:
            assert isinstance(transfer.explained_by, tuple)
            assert isinstance(explain(led, transfer), tuple)
        if len(plan) == 1:  # a lone transfer is explained as explain does
            assert plan[0].explained_by == explain(led, plan[0])
    clearing = clear_cycles(led)
    before = led.balances()
    led.apply(clearing, at="2031-01-01T00:00+00:00")
    assert led.balances() == before
    assert led.who_owes_whom() == list(clearing.remaining)
    expected = {(d.debtor, d.creditor): Fraction(d.amount) for d in clearing.remaining}
    for pair, net in pairs(led).items():
        assert net == expected.get(pair, 0)


@given(led=market_ledgers, more=st.lists(favors(), max_size=4), data=st.data())
@examples(60)
def test_an_explanation_asked_late_equals_one_asked_at_once(
    led: Ledger, more: list[Favor], data: st.DataObject
) -> None:
    """Laziness changes no answer, even after more favors are recorded (and
    some reversed) between settling and asking."""
    method = data.draw(st.sampled_from(["greedy", "exact", "ties"]))
    at_once = settle(led, method=method)
    late = settle(led, method=method)
    cleared_now, cleared_late = clear_cycles(led), clear_cycles(led)
    asked = [t.explained_by for t in at_once]
    asked_cleared = [t.explained_by for t in cleared_now.transfers]
    led.add_many(more)
    for favor in (
        data.draw(st.lists(st.sampled_from(more), unique=True)) if more else []
    ):
        led.reverse(favor.id, at=favor.at)
    assert [t.explained_by for t in late] == asked
    assert [t.explained_by for t in cleared_late.transfers] == asked_cleared
    assert late == at_once


Index = tuple[dict[str, list[Favor]], dict[str, list[Assignment | Settlement]]]


def index_by_scan(led: Ledger) -> Index:
    """Each giver's favors, and each person's assignments and settlements,
    read off the log."""
    given: dict[str, list[Favor]] = {}
    moves: dict[str, list[Assignment | Settlement]] = {}
    for entry in led.log:
        if isinstance(entry, Favor):
            given.setdefault(entry.giver, []).append(entry)
        elif isinstance(entry, Assignment | Settlement):
            for person in entry.people:
                moves.setdefault(person, []).append(entry)
    return given, moves


def index_as_it_stands(led: Ledger) -> Index:
    """The index explanations read, without extending it: each giver's
    favors as a lookup finds them (a scan of the givers' column, for an
    index kept in one)."""
    index = discharge._INDEXES[led]
    assert index.count == len(led.log)
    people = {*led.people, *index.given, *index.moves}
    found = {person: list(index.given_by(person)) for person in people}
    assert index.count == len(led.log)
    return (
        {giver: given for giver, given in found.items() if given},
        {person: list(found) for person, found in index.moves.items()},
    )


_FIND = {"_numpy": lambda: None}  # scanned by ``find``, numpy loaded or not

KEPT = {
    "by giver": {"_COLUMNS": 10**9},
    "in a column": {"_COLUMNS": 0, **_FIND},
    "in a column, hashes colliding, in bulk": {
        "_COLUMNS": 0,
        "_hash": lambda x: hash(x) & 3,
        "_BULK": 2,
        **_FIND,
    },
    "in a column, then by giver": {"_COLUMNS": 0, "_REFILE": 3, **_FIND},
    **(
        {}
        if numpy is None
        else {
            "in a column, scanned by numpy": {
                "_COLUMNS": 0,
                "_numpy": lambda: numpy,
            },
            "in a column, scanned by numpy, hashes colliding": {
                "_COLUMNS": 0,
                "_hash": lambda x: hash(x) & 3,
                "_numpy": lambda: numpy,
            },
        }
    ),
}
"""How the index is kept: a dict of lists by giver, or the givers' hashes
in a column scanned by lookups, by ``find`` or by numpy (with 2-bit
hashes, many entries share a giver's hash and, for ``find``, match across
two entries; a giver found twice has the rest picked out in one pass;
lookups that have scanned the log three times over file it by giver)."""


def owed_to_by_scan(led: Ledger, creditor: str, debtor: str) -> list[Favor]:
    return [
        f
        for f in led.log
        if isinstance(f, Favor)
        and f.giver == creditor
        and debtor in (f.receiver, f.via)
    ]


def record_then_fail(led: Ledger, more: list[Favor]) -> None:
    """Record one favor, let the index see it, record more, then fail: the
    batch is rolled back (and the log is as long again after one more)."""
    with led.batch():
        led.record("ann", "bob", 1, at="2031-01-03T00:00+00:00")
        assert discharge._given_by(led, "ann")
        led.add_many(more)
        raise RuntimeError("rolled back")


@pytest.mark.parametrize("kept", KEPT)
@pytest.mark.parametrize("when", ["first explanation", "settle"])
@given(led=market_ledgers, more=st.lists(favors(), max_size=4))
@examples(40)
def test_the_index_explanations_read_keeps_in_step_with_the_log(
    when: str, kept: str, led: Ledger, more: list[Favor]
) -> None:
    """Explanations read each giver's favors (also filed by debtor, for a
    giver of many) and each person's assignments and settlements from an
    index built on first use (or by ``settle``, for a log of at least
    ``EAGER_INDEX`` entries) and extended as the log grows. After every
    kind of write, a settlement applied and reversed, and a batch that
    fails, it holds exactly what a scan of the log finds, and explanations
    equal those of a replay. Whether the index is kept by giver or as a
    column of the givers' hashes (:data:`KEPT`), lookups find the same."""
    eager, many = (0, 1) if when == "settle" else (10**9, 10**9)
    with (
        mock.patch.object(discharge, "EAGER_INDEX", eager),
        mock.patch.object(discharge, "_MANY", many),
        mock.patch.multiple(discharge, **KEPT[kept]),
    ):
        discharge._INDEXES.pop(led, None)  # made while drawing it: kept another way
        plan = settle(led, method="greedy")
        if when == "settle" and plan:  # indexed before anything is explained
            assert index_as_it_stands(led) == index_by_scan(led)
        explain_all = [t.explained_by for t in plan]
        assert all(isinstance(why, tuple) for why in explain_all)  # index built
        recorded = led.apply(settle(led, method="greedy"), at="2031-01-01T00:00+00:00")
        if recorded:
            led.reverse(recorded[0].id, at="2031-01-02T00:00+00:00")
        with pytest.raises((RuntimeError, FavorLedgerError)):
            record_then_fail(led, more)
        led.record("ann", "zed", "1/3", at="2031-01-04T00:00+00:00")
        for person in led.people:  # file each giver's favors by debtor now
            discharge._owed_to(led, person, "zed")
        led.record("ann", "zed", 2, at="2031-01-05T00:00+00:00")
        given, moves = index_by_scan(led)
        for person in led.people:
            assert list(discharge._given_by(led, person)) == given.get(person, [])
            assert list(discharge._moves_of(led, person)) == moves.get(person, [])
            for other in led.people:
                assert list(discharge._owed_to(led, person, other)) == (
                    owed_to_by_scan(led, person, other)
                )
        replay = Ledger.from_entries(led.log, referral_share=led.referral_share)
        assert [t.explained_by for t in settle(led, method="greedy")] == [
            t.explained_by for t in settle(replay, method="greedy")
        ]
        for transfer in settle(led, method="greedy"):
            assert explain(led, transfer) == explain(replay, transfer)


PEOPLE = ["ann", "bob", "cy", "dee", "eve"]


@given(
    named=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from([None, *PEOPLE])),
        max_size=12,
    ),
    once=st.booleans(),
)
@examples(200)
def test_a_givers_favors_filed_by_debtor_are_those_a_scan_finds(
    named: list[tuple[str, str | None]], once: bool
) -> None:
    """A giver's favors located by debtor (``discharge._Filed``, what an
    explanation reads for a giver of many) are exactly those naming the
    debtor, receiver or referrer, in record order: whether each receiver
    got one favor (one table serves both ends) or some got several."""
    if once:  # every receiver once, as a hub's members
        named = [(f"{receiver}{i}", via) for i, (receiver, via) in enumerate(named)]
    given = [
        Favor(
            giver="zed",
            receiver=receiver,
            value=1,
            at="2024-01-01T00:00+00:00",
            via=None if via == receiver else via,
            id=f"f{i}",
        )
        for i, (receiver, via) in enumerate(named)
    ]
    filed = discharge._Filed(given)
    for debtor in {*PEOPLE, *(f.receiver for f in given)}:
        scan = [i for i, f in enumerate(given) if debtor in (f.receiver, f.via)]
        assert filed.find(debtor) == scan


def ring() -> Ledger:
    """A cycle to clear (a -> b -> c -> a, 3 each) and one debt beside it."""
    led = Ledger()
    for giver, receiver, value in [("a", "b", 3), ("b", "c", 3), ("c", "a", 3)]:
        led.record(giver, receiver, value, at="2024-01-01T00:00:00+00:00")
    led.record("a", "d", 1, at="2024-01-02T00:00:00+00:00")
    return led


@given(led=market_ledgers)
@example(led=ring())  # always a cycle to clear, whatever the profile draws
@examples(40)
def test_clearing_a_long_log_indexes_it_before_anything_is_explained(
    led: Ledger,
) -> None:
    """Like ``settle``, ``clear_cycles`` indexes a log of at least
    ``EAGER_INDEX`` entries when it finds cycles to clear, so no explanation
    pays for a scan; the index holds what a scan finds and the explanations
    are those of a replay (a log exactly ``EAGER_INDEX`` long included)."""
    with mock.patch.object(discharge, "EAGER_INDEX", len(led.log)):
        clearing = clear_cycles(led)
        if clearing.transfers:
            assert index_as_it_stands(led) == index_by_scan(led)
        replay = Ledger.from_entries(led.log, referral_share=led.referral_share)
        assert [t.explained_by for t in clearing.transfers] == [
            t.explained_by for t in clear_cycles(replay).transfers
        ]


@given(led=market_ledgers)
@examples(60)
def test_who_owes_a_person_is_found_from_entries_or_from_rows_of_debts(
    led: Ledger,
) -> None:
    """Whoever owes someone net received or referred a favor they gave (or
    is named with them in an assignment or settlement) and has a row of
    debts naming them: both searches (explanations take the smaller) find
    exactly the people who owe them, by id."""
    debts = discharge._Debts(led)
    for person in led.people:
        owing = sorted(d for d in led.people if led.owes(d, person) > 0)
        assert debts.debtors(person) == owing
        for search in (debts._named_with, debts._owing_rows):
            assert sorted(debts.owing(search(person), person)) == owing


@given(led=market_ledgers)
@examples(40)
def test_settling_after_a_partial_apply_suggests_the_rest(led: Ledger) -> None:
    """Record the first greedy transfer: the rest is suggested again, and
    applying it leaves nothing owed."""
    plan = settle(led, method="greedy")
    assume(plan)
    led.apply(plan[:1], at="2031-01-01T00:00+00:00")
    rest = settle(led, method="greedy")
    assert [(t.payer, t.payee, t.amount) for t in rest] == [
        (t.payer, t.payee, t.amount) for t in plan[1:]
    ]
    led.apply(rest, at="2031-01-02T00:00+00:00")
    nothing_owed(led)


@given(led=market_ledgers)
@examples(30)
def test_settlements_survive_every_store(led: Ledger, tmp_path_factory) -> None:
    """Settlement entries replay exactly from JSON Lines and from SQLite."""
    led.apply(settle(led, method="greedy"), at="2031-01-01T00:00+00:00")
    folder = tmp_path_factory.mktemp("store")
    write_jsonl(led.log, folder / "log.jsonl")
    assert tuple(read_jsonl(folder / "log.jsonl")) == led.log
    with Ledger.open(folder / "favors.db") as stored:
        stored.add_many(led.log)
    with Ledger.open(folder / "favors.db") as stored:
        assert stored.log == led.log
        assert stored.who_owes_whom() == []


# --------------------------------------------------------------- examples
def test_a_chain_is_paid_on_the_middlemans_behalf() -> None:
    """X -> H -> Y: X's debt to H and H's debt to Y both go down; history
    shows the settlement, with its chain, to all three."""
    led = Ledger()
    led.record("sara", "bob", 4, id="f1")
    led.record("bob", "me", 4, id="f2")
    (t,) = settle(led, method="greedy")
    (entry,) = led.apply([t], at="2031-01-01T00:00+00:00", reason="end of term")
    assert [(d.debtor, d.creditor, d.amount) for d in entry.discharged] == [
        ("me", "bob", 4),
        ("bob", "sara", 4),
    ]
    assert entry.passed == ()
    for person in ("me", "bob", "sara"):
        assert led.history(person)[-1] == entry
    assert led.who_owes_whom() == []
    led.reverse(entry.id, at="2031-01-02T00:00+00:00")
    assert led.owes("me", "bob") == led.owes("bob", "sara") == 4


def test_free_pairs_pass_the_debt_on() -> None:
    """X owes Z and W owes Y; greedy pairs X with Y: W's debt to Y and X's to
    Z go, and W owes Z instead, which W's own transfer then pays."""
    led = Ledger()
    led.record("z", "x", 5)
    led.record("y", "w", 5)
    first = Transfer("x", "y", 5)
    (entry,) = led.apply([first], at="2031-01-01T00:00+00:00")
    assert {(d.debtor, d.creditor) for d in entry.discharged} == {
        ("x", "z"),
        ("w", "y"),
    }
    assert [(d.debtor, d.creditor, d.amount) for d in entry.passed] == [("w", "z", 5)]
    assert led.who_owes_whom() == [Debt("w", "z", Decimal(5))]
    led.apply(settle(led), at="2031-01-02T00:00+00:00")
    assert led.who_owes_whom() == []


def test_a_square_ring_is_set_off_when_applied() -> None:
    """Balances all zero but a cycle owed: settling suggests nothing, and
    applying that empty plan sets the cycle off."""
    led = Ledger()
    for a, b in [("ann", "bob"), ("bob", "cat"), ("cat", "ann")]:
        led.record(a, b, 2)
    assert settle(led) == []
    (entry,) = led.apply([], at="2031-01-01T00:00+00:00")
    assert entry.kind == "set-off"
    assert entry.payer is None
    assert led.who_owes_whom() == []


def test_a_settlement_discharging_more_than_is_owed_is_refused() -> None:
    led = Ledger()
    led.record("ann", "bob", 2)
    too_much = Settlement(
        payer="bob", payee="ann", amount=3, discharged=[Debt("bob", "ann", 3)]
    )
    before = led.log
    with pytest.raises(MarketError, match="exceeds what 'bob' owes 'ann'"):
        led.add(too_much)
    assert led.log == before
    assert led.owes("bob", "ann") == 2


def test_a_settlement_must_move_only_the_payer_and_payee() -> None:
    with pytest.raises(InvalidEntryError, match="no other balance"):
        Settlement(payer="a", payee="b", amount=1, discharged=[Debt("a", "c", 1)])
