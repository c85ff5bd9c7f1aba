"""Reopening a store indexes its plain favors in bulk, with the same result.

A store mostly holds the commonest favor (no referrer, no pledge). Reopening
rebuilds a chunk of those rows at a time (``plain_favors``) and indexes each
run of them at once (``Ledger._add_plain_run``): each person's balance moves
once by the run's sum, not once a favor. The promise: the ledger is exactly
the one replaying the entries one by one gives, down to the order of its
tables and the type and form of every amount, whatever else the store
holds (referrals, reversals, ties, people, the market's entries) between
the runs; and a run the bulk path cannot take (an id twice, someone a strict
ledger does not know) changes nothing, so the entries are then replayed one
by one, which reports what is wrong.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sqlite import _insert_raw, rich_ledgers

from favorledger import Favor, Ledger, trading
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import StoredLedger, open_ledger
from favorledger.io.stored import plain_favor, plain_favors
from favorledger.model import Entry
from favorledger.testing.strategies import favors, ledgers, person_ids, values

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def exact(value: object) -> str:
    """A value with its type and form (``Decimal('5')`` is not ``Decimal('5.0')``)."""
    return f"{type(value).__name__}:{value!r}"


def state(led: Ledger) -> list[object]:
    """Everything the ledger holds, in order, every amount with its form."""
    market = led._market
    return [
        [dumps_entry(entry) for entry in led._log],
        [(key, dumps_entry(person)) for key, person in led._people.items()],
        [(key, dumps_entry(favor)) for key, favor in led._favors.items()],
        [(key, exact(amount)) for key, amount in led._balance.items()],
        [
            (debtor, [(creditor, exact(gross)) for creditor, gross in row.items()])
            for debtor, row in led._owed.items()
        ],
        sorted(led._reversal_of),
        sorted(led._reversals),
        sorted(led._statements, key=repr),
        sorted(led._ties, key=sorted),
        [sorted(getattr(market, name)) for name in sorted(vars(market))],
        repr(led.who_owes_whom()),
        [entry.id for person in sorted(led._people) for entry in led.history(person)],
        Ledger.__repr__(led),
    ]


def one_by_one(entries: list[Entry], **settings_: object) -> Ledger:
    """The ledger replaying ``entries`` one entry at a time."""
    led = Ledger(**settings_)  # type: ignore[arg-type]
    for entry in entries:
        led.add(entry)
    return led


def stored(path: Path, entries: list[Entry], share: object) -> None:
    with open_ledger(path, referral_share=share) as led:  # type: ignore[arg-type]
        led.add_many(entries)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def plain(n: int, giver: str, receiver: str, value: object) -> Favor:
    return Favor(giver=giver, receiver=receiver, value=value, id=f"f{n}", at=at(n))  # type: ignore[arg-type]


# --------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    led=st.one_of(
        ledgers(market=True),
        ledgers(min_people=2, max_people=40, max_favors=60, market=True),
        rich_ledgers(),
    )
)
def test_a_reopened_store_is_the_ledger_replayed_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, led: Ledger
) -> None:
    path = tmp_path_factory.mktemp("bulk") / "favors.db"
    log = list(led.log)
    stored(path, log, led.referral_share)
    with open_ledger(path, referral_share=led.referral_share) as back:
        assert state(back) == state(one_by_one(log, referral_share=led.referral_share))
        assert back.damage == ()


@st.composite
def plain_runs(draw: st.DrawFn) -> tuple[Ledger, list[Favor]]:
    """A ledger (with referrals, reversals, the market...) and a run of new
    plain favors, some naming people it does not know, some worth amounts
    that are not small whole ones."""
    led = draw(st.one_of(ledgers(market=True), rich_ledgers()))
    pool = [*sorted(led.people), "newcomer", "other"]
    people = st.sampled_from(pool)
    amounts = st.one_of(values(), st.sampled_from([Decimal(1025), Decimal(10**9)]))
    run = draw(
        st.lists(favors(people=people, amounts=amounts, referrals=False), max_size=30)
    )
    return led, run


@settings(max_examples=150, deadline=None)
@given(case=plain_runs())
def test_a_run_of_plain_favors_indexes_as_adding_them_one_by_one(
    case: tuple[Ledger, list[Favor]],
) -> None:
    led, run = case
    log = list(led.log)
    expected = one_by_one([*log, *run], referral_share=led.referral_share)
    bulk = one_by_one(log, referral_share=led.referral_share)
    assert bulk._add_plain_run(run) is True
    assert state(bulk) == state(expected)


@settings(max_examples=60, deadline=None)
@given(case=plain_runs(), data=st.data())
def test_a_run_with_an_id_recorded_twice_changes_nothing(
    case: tuple[Ledger, list[Favor]], data: st.DataObject
) -> None:
    led, run = case
    taken = sorted({*led.favors, *led.market.entries} | {f.id for f in run})
    if not taken:
        return
    twice = data.draw(st.sampled_from(taken))
    again = Favor(giver="x", receiver="y", value=1, id=twice, at=T0)
    where = data.draw(st.integers(0, len(run)))
    before = state(led)
    assert led._add_plain_run([*run[:where], again, *run[where:]]) is False
    assert state(led) == before


def test_a_strict_ledger_refuses_a_run_naming_someone_unknown() -> None:
    led = Ledger(strict=True)
    led.add_person("ann")
    led.add_person("bob")
    before = state(led)
    assert led._add_plain_run([plain(1, "ann", "bob", 2), plain(2, "bob", "ann", 1)])
    assert state(led) != before
    before = state(led)
    assert not led._add_plain_run(
        [plain(3, "ann", "bob", 1), plain(4, "cat", "ann", 1)]
    )
    assert state(led) == before


# ----------------------------------------------------------- regressions
def mixed_store() -> list[Entry]:
    """Plain favors, then referrals, reversals and the market, then plain
    favors again (people met again and people new, whole amounts and not)."""
    led = Ledger()
    n = 0
    for giver, receiver, value in [
        ("ann", "bob", 2),
        ("bob", "ann", 2),  # bob's and ann's balances back to 0
        ("ann", "bob", 3),  # a pair met again
        ("cat", "ann", "2.5"),
        ("cat", "ann", "2.5"),  # a non-whole sum that looks whole: 5
        ("dan", "bob", "1/3"),
        ("ann", "dan", 1024),
        ("ann", "dan", 1),  # past the shared small amounts
    ]:
        n += 1
        led.add(plain(n, giver, receiver, value))
    led.record("eve", "ann", 4, via="bob", id="v1", at=at(100))
    led.reverse("f3", id="r1", at=at(101))
    led.reverse("v1", id="r2", at=at(102))
    pledge = trading.pledge(led, "bob", "eve", 2, id="p1", at=at(103))
    trading.call(led, pledge.id, at=at(104))
    led.add_person("fay", "Fay", at=at(105))
    led.tie("fay", "ann", "0.5", id="t1", at=at(106))
    for giver, receiver, value in [
        ("bob", "ann", 3),  # the pair reversed above, owed again
        ("fay", "gus", 1),  # fay was stated, gus is new
        ("dan", "bob", "2/3"),  # a Ratio pair reaching a whole 1
        ("gus", "fay", 1),
        ("ann", "cat", 5),  # cat's balance back to 0
    ]:
        n += 1
        led.add(plain(n, giver, receiver, value))
    return list(led.log)


def test_a_mixed_store_reopens_as_its_entries_replayed_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    runs: list[tuple[int, bool]] = []
    bulk = StoredLedger._add_plain_run

    def spy(self: Ledger, run: list[Favor]) -> bool:
        runs.append((len(run), bulk(self, run)))
        return runs[-1][1]

    monkeypatch.setattr(StoredLedger, "_add_plain_run", spy)
    with open_ledger(path) as back:
        assert state(back) == state(one_by_one(entries))
        assert back.balance("cat") == 0
        assert back.owes("bob", "dan") == 1
    assert runs == [(8, True), (5, True)]  # both runs were indexed in bulk


def test_a_store_with_an_id_twice_is_replayed_one_by_one(tmp_path: Path) -> None:
    """A run the bulk path refuses is replayed favor by favor: the damage
    names the row, as before, and the rest is indexed."""
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    with sqlite3.connect(path) as connection:  # a store changed around the library
        connection.execute("DROP TRIGGER entries_new_id")
        connection.execute("DROP INDEX entries_entry_id")
    again = dumps_entry(entries[0]).replace('"value": "2"', '"value": "7"')
    _insert_raw(path, ("f1", "favor", "x", again))
    with open_ledger(path) as back:
        assert back.damage == (
            f"{path}: entry {len(entries) + 1} cannot be replayed: Favor.id 'f1'"
            " is already recorded with a different body: value 2 != 7",
        )
        assert state(back) == state(one_by_one(entries))


# --------------------------------------------------------------- the reader
@settings(max_examples=100)
@given(
    st.lists(
        st.one_of(
            favors(referrals=False, people=person_ids(pool=None)),
            favors(),
        ),
        max_size=12,
    ),
    st.data(),
)
def test_plain_favors_reads_each_line_as_plain_favor_does(
    entries: list[Favor], data: st.DataObject
) -> None:
    lines = [dumps_entry(entry) for entry in entries]
    kinds = [data.draw(st.sampled_from(["favor", "favor", "tie"])) for _ in lines]
    read = plain_favors(kinds, lines)
    assert read == [
        plain_favor(line) if kind == "favor" else None
        for kind, line in zip(kinds, lines, strict=True)
    ]
    assert [type(f.value) for f in read if f] == [
        type(f.value)
        for f, k, line in zip(entries, kinds, lines, strict=True)
        if k == "favor" and plain_favor(line)
    ]
