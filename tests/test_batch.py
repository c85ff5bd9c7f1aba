"""``Ledger.batch``: several writes as one, kept together or not at all; and
``Ledger.market``, the read-only view of the market's book."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import Favor, FavorLedgerError, Ledger, UnknownPersonError, trading
from favorledger.io import dumps_entry
from favorledger.testing.strategies import favors, ledgers
from favorledger.view import require_person

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PEOPLE = st.sampled_from(["ann", "bob", "cat", "dan"])


class CallerError(Exception):
    """An error of the caller's own, raised inside a batch."""


def state(led: Ledger) -> tuple[object, ...]:
    """Everything a reader can see: the log, balances, debts and the book."""
    return (
        [dumps_entry(e) for e in led.log],
        led.balances(),
        led.who_owes_whom(),
        dict(led.market.pledges),
        dict(led.market.asks),
    )


def write_then_fail(led: Ledger, batch: list[Favor], failure: str) -> None:
    """Add ``batch`` in one batch, then fail: the caller's own error, or an
    entry the ledger refuses."""
    with led.batch():
        for favor in batch:
            led.add(favor)
        if failure == "caller":
            raise CallerError
        led.record("ann", "ann", 1)  # a self-favor is refused


@given(
    ledgers(market=True),
    st.lists(favors(people=PEOPLE), max_size=5),
    st.sampled_from(["caller", "refused"]),
)
def test_a_batch_that_raises_records_nothing(led, batch, failure):
    """Whatever a batch recorded before an exception (the caller's own or a
    refused entry) is undone: the ledger is exactly as it was."""
    before = state(led)
    with pytest.raises((CallerError, FavorLedgerError)):
        write_then_fail(led, batch, failure)
    assert state(led) == before


@given(ledgers(), st.lists(favors(people=PEOPLE), max_size=5))
def test_a_batch_that_ends_keeps_every_write(led, batch):
    """A batch that ends normally records what it wrote, as the same writes
    made one by one would."""
    one_by_one = Ledger.from_entries(led.log, referral_share=led.referral_share)
    for favor in batch:
        one_by_one.add(favor)
    with led.batch() as same:
        assert same is led
        for favor in batch:
            led.add(favor)
    assert state(led) == state(one_by_one)


@settings(max_examples=25)
@given(st.lists(favors(people=PEOPLE), min_size=1, max_size=4))
def test_a_failed_batch_leaves_the_store_as_it_was(tmp_path_factory, batch):
    """With a store, a batch is one transaction: nothing of a failed batch
    is stored, and the store reopens to the state before it."""
    path = tmp_path_factory.mktemp("batch") / "favors.db"
    with Ledger.open(path) as led:
        led.record("ann", "bob", 2, id="f0", at=T0)
        before = state(led)
        with pytest.raises(CallerError):
            write_then_fail(led, batch, "caller")
        assert state(led) == before
    with Ledger.open(path, readonly=True) as again:
        assert state(again) == before


def test_a_batch_reads_what_other_writers_stored(tmp_path):
    """A batch starts by catching up with the store, so what it reads is
    current: a pledge another handle made can be called at once."""
    path = tmp_path / "favors.db"
    with Ledger.open(path) as first, Ledger.open(path) as second:
        trading.pledge(first, "carol", "me", 3, id="p1", at=T0)
        assert "p1" not in second.market.pledges  # not caught up yet
        assert trading.call(second, "p1", at=T0).fulfils == "p1"
        assert trading.pledge_status(second, "p1") == "called"


@given(ledgers(market=True))
def test_the_market_view_lists_exactly_the_pledges_and_asks_in_the_log(led):
    """``Ledger.market`` holds every pledge and ask of the log, in log order,
    and nothing else."""
    pledges = [e.id for e in led.log if type(e).__name__ == "Pledge"]
    asks = [e.id for e in led.log if type(e).__name__ == "Ask"]
    assert list(led.market.pledges) == pledges
    assert list(led.market.asks) == asks
    for pledge_id in pledges:
        assert led.market.pledge(pledge_id) is led.market.pledges[pledge_id]


@given(
    ledgers(), st.one_of(PEOPLE, st.text(max_size=3), st.integers(), st.lists(PEOPLE))
)
@example(Ledger(), 3)
@example(Ledger(), ["ann"])
def test_require_person_accepts_exactly_the_ledgers_people(led, someone):
    """The algorithms' check of a person: a person of the ledger passes, and
    anything else (a stranger, a number, a list) is refused by name."""
    try:
        known = someone in led.people
    except TypeError:
        known = False
    if known:
        require_person(led, someone)
    else:
        with pytest.raises(UnknownPersonError, match="is not in the ledger"):
            require_person(led, someone)
