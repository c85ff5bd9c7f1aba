"""Reopening a store gives exactly the ledger its entries replayed one by one.

Reopening takes fast paths (``plain_favor`` rows straight to ``_add_plain``,
the trusted rebuild of the others); the promise they must keep, and any
bulk path a later round tries (issue 13), is that the reopened ledger is
exactly the one adding the entries one at a time gives: the same log,
people (in order, with their dates), favors, balances and pair rows (in the
same order, each amount of the same type and form), reversals, ties and
market, whatever mix of plain favors, referrals, reversals and market
entries the store holds; and a row that cannot be replayed (an id stored
twice) is set aside with its seq, the rest indexed.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sqlite import _insert_raw, rich_ledgers

from favorledger import Favor, Ledger, trading
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import open_ledger
from favorledger.model import Entry
from favorledger.testing.strategies import ledgers

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
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    with open_ledger(path) as back:
        assert state(back) == state(one_by_one(entries))
        assert back.balance("cat") == 0
        assert back.owes("bob", "dan") == 1


def test_a_row_with_an_id_stored_twice_is_set_aside(tmp_path: Path) -> None:
    """A plain favor whose id is already stored (a store changed around the
    library) is set aside as damage naming its seq; the rest is indexed."""
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
