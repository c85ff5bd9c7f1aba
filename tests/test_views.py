"""The ledger's read-only views: what the algorithms read instead of its
internals (``Ledger.index``, ``Ledger.replica``).

The promises: the views are made once and stay live (they see every later
entry, and a batch rolled back, without being asked again); they refuse
every write with a ``TypeError`` or ``AttributeError`` and the ledger stays
as it was; the log's view behaves as the tuple ``log`` gives, without
copying it; a replica is the ledger the first entries make; and no
algorithm changes the ledger it reads.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Favor,
    FavorLedgerError,
    InvalidValueError,
    Ledger,
    agenda,
    priorities,
    trading,
)
from favorledger.clearing import clear_cycles
from favorledger.reciprocity import fair_weather, overall_reciprocity
from favorledger.settlement import explain, settle
from favorledger.testing.strategies import favors, ledgers, person_ids, times
from favorledger.view import LedgerIndex, LogView

PEOPLE = ("ann", "bob", "carol", "dan")


def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with its own count."""
    return settings(max_examples=max(1, n * settings.default.max_examples // 100))


def state(led: Ledger) -> tuple[Any, ...]:
    """Everything a ledger holds, as plain copies."""
    return (
        led.log,
        led.balances(),
        {d: dict(row) for d, row in led.index.owed.items()},
        led.who_owes_whom(),
        dict(led.people),
        dict(led.reversals),
    )


def seen(index: LedgerIndex) -> tuple[Any, ...]:
    """What a view shows, as plain copies."""
    return (
        tuple(index.entries),
        dict(index.balances),
        {d: dict(row) for d, row in index.owed.items()},
    )


def replayed(led: Ledger) -> tuple[Any, ...]:
    """What the views should show: those of a new ledger replaying the log."""
    return seen(Ledger.from_entries(led.log, referral_share=led.referral_share).index)


def nets(owed: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Fraction]:
    """The net debts a table of gross debts gives, one per pair."""
    net: dict[tuple[str, str], Fraction] = {}
    for debtor, row in owed.items():
        for creditor, amount in row.items():
            there = Fraction(amount) - Fraction(owed.get(creditor, {}).get(debtor, 0))
            if there > 0:
                net[debtor, creditor] = there
    return net


def add_then_fail(led: Ledger, batch: list[Favor]) -> None:
    """Add ``batch`` in one batch, then fail (so nothing of it is kept)."""
    with led.batch():
        led.add_many(batch)
        raise RuntimeError("the caller's own error")


# ------------------------------------------------------------------ liveness
@given(led=ledgers(max_favors=10, market=True), more=st.data())
@examples(60)
def test_the_views_are_made_once_and_see_every_later_entry(
    led: Ledger, more: st.DataObject
) -> None:
    """Views taken before anything else is recorded show, afterwards, exactly
    the log, the balances and the gross debts (whose net is
    ``who_owes_whom``), with no need to ask again."""
    index = led.index
    entries, balances, owed = views = index.entries, index.balances, index.owed
    more_favors = st.lists(favors(people=person_ids(pool=PEOPLE)), max_size=6)
    for favor in more.draw(more_favors):
        led.add(favor)
        assert led.index is index
        now = (index.entries, index.balances, index.owed)
        assert all(view is same for view, same in zip(views, now, strict=True))
        assert seen(index) == replayed(led)
    assert tuple(entries) == led.log
    assert dict(balances) == led.balances()
    gross = {d: dict(row) for d, row in owed.items()}
    assert all(amount for row in gross.values() for amount in row.values())
    assert nets(gross) == {
        (d.debtor, d.creditor): Fraction(d.amount) for d in led.who_owes_whom()
    }


@given(led=ledgers(max_favors=8, market=True), data=st.data())
@examples(60)
def test_views_held_across_a_rolled_back_batch_stay_live(
    led: Ledger, data: st.DataObject
) -> None:
    """A batch that fails is undone; views taken before it show the ledger as
    it is afterwards (as it was before the batch), and then see new entries."""
    index = led.index
    before = state(led)
    batch = data.draw(st.lists(favors(people=person_ids(pool=PEOPLE)), max_size=4))
    with pytest.raises((RuntimeError, FavorLedgerError)):
        add_then_fail(led, batch)
    assert state(led) == before
    assert led.index is index
    assert seen(index) == (led.log, led.balances(), before[2])
    led.record("ann", "bob", 3)
    assert seen(index) == (led.log, led.balances(), state(led)[2])


def held(led: Ledger) -> dict[str, Any]:
    """Every live view a ledger hands out, besides its index."""
    return {
        "people": led.people,
        "favors": led.favors,
        "reversals": led.reversals,
        "stated_ties": led.stated_ties,
        "market": led.market,
    }


def shown(views: dict[str, Any]) -> dict[str, Any]:
    """What those views show, as plain copies."""
    copies = {k: dict(v) for k, v in views.items() if k != "market"}
    market = views["market"]
    return {**copies, "pledges": dict(market.pledges), "asks": dict(market.asks)}


@given(led=ledgers(max_favors=6, market=True), at=times())
@examples(40)
def test_every_view_held_across_a_rolled_back_batch_stays_live(
    led: Ledger, at: datetime
) -> None:
    """People, favors, reversals, stated ties and the market's book, held
    across a batch that records one of each and then fails, show what the
    ledger holds afterwards: the state before the batch."""
    views, before = held(led), shown(held(led))
    with pytest.raises(RuntimeError):
        record_one_of_each_then_fail(led, at)
    assert shown(views) == shown(held(led)) == before


def record_one_of_each_then_fail(led: Ledger, at: datetime) -> None:
    """A person, a favor and its reversal, a tie, a pledge and an ask, in one
    batch that then fails."""
    with led.batch():
        led.add_person("zed", at=at)
        favor = led.record("zed", "ann", 2, at=at)
        led.reverse(favor.id, at=at)
        led.tie("zed", "bob", "0.5", at=at)
        trading.pledge(led, "zed", "bob", 3, at=at)
        trading.ask(led, "zed", "ann", 1, reason="a lift", at=at)
        raise RuntimeError("the caller's own error")


# ------------------------------------------------------------------ read-only
WRITES = {
    "balances[k] = v": lambda i: i.balances.__setitem__("ann", 1),
    "del balances[k]": lambda i: i.balances.__delitem__("ann"),
    "balances.clear()": lambda i: i.balances.clear(),
    "balances.update()": lambda i: i.balances.update(ann=1),
    "owed[k] = row": lambda i: i.owed.__setitem__("ann", {"bob": 1}),
    "del owed[k]": lambda i: i.owed.__delitem__("ann"),
    "owed.pop(k)": lambda i: i.owed.pop("ann"),
    "owed.setdefault(k)": lambda i: i.owed.setdefault("zed", {}),
    "entries[0] = e": lambda i: i.entries.__setitem__(0, i.entries[0]),
    "del entries[0]": lambda i: i.entries.__delitem__(0),
    "entries.append(e)": lambda i: i.entries.append(i.entries[0]),
    "entries.extend(es)": lambda i: i.entries.extend([]),
    "entries.pop()": lambda i: i.entries.pop(),
    "entries.clear()": lambda i: i.entries.clear(),
    "entries.sort()": lambda i: i.entries.sort(),
    "entries += es": lambda i: i.entries.__iadd__([]),
    "index.balances = ...": lambda i: setattr(i, "balances", {}),
    "index.owed = ...": lambda i: setattr(i, "owed", {}),
    "index.entries = ...": lambda i: setattr(i, "entries", []),
    "index.extra = ...": lambda i: setattr(i, "extra", 1),
    "entries.extra = ...": lambda i: setattr(i.entries, "extra", 1),
    "entries._entries = ...": lambda i: setattr(i.entries, "_entries", []),
    "led.index = ...": None,  # below
}


@pytest.mark.parametrize("name", [n for n, w in WRITES.items() if w is not None])
@given(led=ledgers(min_people=2, max_favors=6, market=True))
@examples(10)
def test_every_write_through_a_view_is_refused_and_changes_nothing(
    name: str, led: Ledger
) -> None:
    """Each view refuses writes the way ``types.MappingProxyType`` does (a
    ``TypeError``, or an ``AttributeError`` for a method or attribute a
    read-only object does not have), and the ledger is as it was."""
    led.record("ann", "bob", 2)  # never empty
    before = state(led)
    with pytest.raises((TypeError, AttributeError)):
        WRITES[name](led.index)
    assert state(led) == before


def test_the_index_itself_cannot_be_replaced() -> None:
    led = Ledger()
    with pytest.raises(AttributeError):
        led.index = led.index  # type: ignore[misc]


# ------------------------------------------------------------------ the log
@given(
    led=ledgers(max_favors=8, market=True),
    start=st.none() | st.integers(-12, 12),
    stop=st.none() | st.integers(-12, 12),
    step=st.none() | st.integers(-3, 3).filter(bool),
    at=st.integers(-14, 14),
)
@examples(100)
def test_the_log_view_reads_as_the_log_tuple(
    led: Ledger, start: int | None, stop: int | None, step: int | None, at: int
) -> None:
    """Length, items, slices (a tuple, as ``log`` gives), iteration both
    ways, membership, ``index`` and ``count`` are those of ``led.log``,
    errors included."""
    view, log = led.index.entries, led.log
    assert isinstance(view, LogView)
    assert len(view) == len(log)
    assert list(view) == list(log)
    assert list(reversed(view)) == list(reversed(log))
    assert view[start:stop:step] == log[start:stop:step]
    assert type(view[start:stop:step]) is tuple
    if -len(log) <= at < len(log):
        assert view[at] is log[at]
        assert log[at] in view
        assert view.index(log[at]) == log.index(log[at])
        assert view.count(log[at]) == log.count(log[at])
    else:
        with pytest.raises(IndexError):
            view[at]
    assert "not an entry" not in view
    with pytest.raises(ValueError, match="not in"):
        view.index("not an entry")
    with pytest.raises(TypeError):
        view["0"]  # type: ignore[call-overload]


def test_the_log_view_is_shown_without_its_entries() -> None:
    led = Ledger()
    _ = led.record("ann", "bob", 1), led.record("bob", "ann", 1)
    assert repr(led.index.entries) == "<LogView of 2 entries>"


# ------------------------------------------------------------------ replicas
@given(
    led=ledgers(max_favors=10, market=True),
    length=st.integers(0, 40),
    moment=st.none() | times(),
)
@examples(80)
def test_a_replica_is_the_ledger_the_first_entries_make(
    led: Ledger, length: int, moment: datetime | None
) -> None:
    """``replica(n, as_of=t)`` replays the first ``n`` entries (those dated by
    ``t``) into a new, independent ledger, and leaves this one as it was: it
    is the ledger those entries make, and dating it is ``as_of``'s cut."""
    before = state(led)
    replica = led.replica(length, as_of=moment)
    twin = Ledger.from_entries(led.log[:length], referral_share=led.referral_share)
    if moment is not None:
        twin = twin.as_of(moment)  # as trusting as replica: a cut may reorder
    assert state(replica) == state(twin)
    assert replica.log == tuple(
        e for e in led.log[:length] if moment is None or e.at <= moment
    )
    assert replica is not led
    assert state(led) == before
    replica.record("ann", "zed", 1)
    assert state(led) == before


@pytest.mark.parametrize(
    ("length", "as_of", "field"),
    [
        (-1, None, "length"),
        (True, None, "length"),
        (1.0, None, "length"),
        ("2", None, "length"),
        (None, None, "length"),
        (1, "yesterday", "as_of"),
        (1, "2024-01-01T00:00", "as_of"),  # no time zone
    ],
)
def test_a_bad_replica_request_is_refused_clearly(
    length: Any, as_of: Any, field: str
) -> None:
    led = Ledger()
    _ = led.record("ann", "bob", 1)
    before = state(led)
    with pytest.raises(InvalidValueError, match=field):
        led.replica(length, as_of=as_of)
    assert state(led) == before


# ------------------------------------------------------------------ algorithms
@given(led=ledgers(max_people=6, max_favors=12, market=True), today=times())
@examples(40)
def test_the_algorithms_change_nothing_they_read(led: Ledger, today: datetime) -> None:
    """Settling (and every explanation), clearing both ways, explaining,
    priorities, reciprocity and the agenda leave the log, the balances, the
    gross debts and the views as they were."""
    index = led.index
    before, shown = state(led), seen(index)
    for method in ("greedy", "auto", "ties"):
        try:
            plan = settle(led, method=method)  # type: ignore[arg-type]
        except FavorLedgerError:
            continue
        for transfer in plan:
            assert transfer.explained_by is not None
            explain(led, transfer)
    for mode in ("net", "gross"):
        for transfer in clear_cycles(led, mode=mode).transfers:  # type: ignore[arg-type]
            assert transfer.explained_by is not None
    settle(led, method="greedy", as_of=today)
    for person in sorted(led.people)[:2]:
        priorities(led, person, at=today)
        agenda(led, person, today=today)
        trading.pledges(led, person)
    fair_weather(led)
    overall_reciprocity(led)
    assert state(led) == before
    assert seen(index) == shown


# ------------------------------------------------------------------ stores
@settings(max_examples=15)
@given(batch=st.lists(favors(people=person_ids(pool=PEOPLE)), min_size=1, max_size=3))
def test_views_of_a_stored_ledger_see_other_writers_and_rollbacks(
    tmp_path_factory: pytest.TempPathFactory, batch: list[Favor]
) -> None:
    """On a stored ledger the views stay live too: they see what another
    handle stored once this one catches up, and a failed batch (one
    transaction) is undone in them as in the store."""
    path = tmp_path_factory.mktemp("views") / "favors.db"
    with Ledger.open(path) as led, Ledger.open(path) as other:
        index = led.index
        led.record("ann", "bob", 2)
        other.record("bob", "carol", 5)
        led.record("carol", "ann", 1)  # catches up with other's favor first
        assert seen(index) == replayed(led)
        assert index.balances["carol"] == -4  # received 5, gave 1
        before = state(led)
        with pytest.raises((RuntimeError, FavorLedgerError)):
            add_then_fail(led, batch)
        assert state(led) == before
        assert seen(index) == replayed(led)
        assert led.index is index
