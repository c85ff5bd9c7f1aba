"""The favor market: pledges, assignments, barter, asks and the agenda."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import (
    Favor,
    InvalidEntryError,
    InvalidValueError,
    Ledger,
    MarketError,
    UnknownPersonError,
    agenda,
    total,
    trading,
)
from favorledger.io import dumps_entry
from favorledger.model import kept_id
from favorledger.testing.strategies import ledgers, times, values

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PAIRS = st.tuples(
    st.sampled_from(["ann", "bob", "carol"]), st.sampled_from(["ann", "bob", "carol"])
).filter(lambda p: p[0] != p[1])


def snapshot(led: Ledger) -> str:
    return "\n".join(dumps_entry(e) for e in led.log)


# -------------------------------------------------------------------- pledges
@given(ledgers(), PAIRS, values(), times())
def test_pledges_move_no_balance_until_called(led, pair, value, at):
    """An open pledge changes no balance; calling it moves balances exactly
    as recording the same favor would."""
    giver, receiver = pair
    before = led.balances()
    pledge = trading.pledge(led, giver, receiver, value, at=at)
    assert {p: b for p, b in led.balances().items() if p in before} == before
    twin = Ledger.from_entries(led.log)
    twin.record(giver, receiver, value, at=at)
    favor = trading.call(led, pledge.id, at=at)
    assert favor.fulfils == pledge.id
    assert led.balances() == twin.balances()
    assert trading.pledge_status(led, pledge.id, at=at) == "called"


@given(PAIRS, values(), st.sampled_from(["released", "expired", "called"]))
def test_only_open_pledges_can_be_called(pair, value, how):
    """A released, expired or already called pledge cannot be called, and
    the failed call leaves the ledger unchanged."""
    led = Ledger()
    pledge = trading.pledge(led, *pair, value, at=T0, expires=T0 + timedelta(days=30))
    when = T0 + timedelta(days=1)
    if how == "released":
        trading.release(led, pledge.id, at=when)
    elif how == "called":
        trading.call(led, pledge.id, at=when)
    else:
        when = T0 + timedelta(days=31)
    before = snapshot(led), led.balances()
    with pytest.raises(MarketError, match=how):
        trading.call(led, pledge.id, at=when + timedelta(hours=1))
    assert (snapshot(led), led.balances()) == before


def test_a_call_may_not_exceed_the_pledge():
    """A pledge can be called for less than promised, never more."""
    led = Ledger()
    pledge = trading.pledge(led, "carol", "me", 3, at=T0, id="p1")
    with pytest.raises(MarketError, match="must not exceed"):
        trading.call(led, "p1", value=4, at=T0)
    assert trading.call(led, pledge.id, value=2, at=T0).value == 2


def test_pledges_are_listed_by_status_as_of_a_time():
    """``pledges`` lists pledges by person and status at a moment."""
    led = Ledger()
    trading.pledge(
        led, "carol", "me", 3, at=T0, id="p1", expires=T0 + timedelta(days=10)
    )
    trading.pledge(led, "dan", "me", 1, at=T0, id="p2")
    trading.release(led, "p2", at=T0 + timedelta(days=2))
    day5 = T0 + timedelta(days=5)
    assert [p.id for p in trading.pledges(led, "me", status="open", at=day5)] == ["p1"]
    assert [p.id for p in trading.pledges(led, status="released", at=day5)] == ["p2"]
    later = T0 + timedelta(days=11)
    assert [p.id for p in trading.pledges(led, "me", status="expired", at=later)] == [
        "p1"
    ]
    assert trading.pledges(led, "me", at=T0 - timedelta(days=1)) == []


# ---------------------------------------------------------------- assignments
@given(ledgers(min_people=3), st.data())
def test_assignment_conserves_every_balance(led, data):
    """An assignment of up to what is owed moves no balance, keeps the sum at
    exactly zero, and moves the three pairwise positions as stated; assigning
    it back restores them."""
    debts = led.who_owes_whom()
    if not debts:
        return
    debt = data.draw(st.sampled_from(debts))
    others = [p for p in led.people if p not in (debt.debtor, debt.creditor)]
    new_holder = data.draw(st.sampled_from(others))
    amount = data.draw(st.sampled_from([debt.amount, Fraction(debt.amount) / 2]))
    holder, debtor = debt.creditor, debt.debtor

    def net(a, b):
        return Fraction(led.owes(a, b)) - Fraction(led.owes(b, a))

    before = led.balances()
    pairs = {
        (debtor, holder): net(debtor, holder),
        (debtor, new_holder): net(debtor, new_holder),
        (holder, new_holder): net(holder, new_holder),
    }
    trading.assign(led, holder, debtor, new_holder, amount)  # dated after its debts
    assert led.balances() == before
    assert total(led.balances().values()) == 0
    a = Fraction(amount)
    assert net(debtor, holder) == pairs[debtor, holder] - a
    assert net(debtor, new_holder) == pairs[debtor, new_holder] + a
    assert net(holder, new_holder) == pairs[holder, new_holder] - a
    if led.owes(debtor, new_holder) >= amount:  # the IOU can go back
        trading.assign(led, new_holder, debtor, holder, amount)
        assert {k: net(*k) for k in pairs} == pairs
    assert Ledger.from_entries(led.log).who_owes_whom() == led.who_owes_whom()


@given(ledgers(min_people=3), st.data())
def test_no_one_assigns_more_than_is_owed(led, data):
    """Assigning more than the debtor owes the holder is refused and changes
    nothing."""
    people = list(led.people)
    holder, debtor, new_holder = data.draw(st.permutations(people))[:3]
    too_much = Fraction(led.owes(debtor, holder)) + Fraction(data.draw(values()))
    before = snapshot(led), led.balances()
    with pytest.raises(MarketError, match="exceeds what"):
        trading.assign(led, holder, debtor, new_holder, too_much)
    assert (snapshot(led), led.balances()) == before


def test_assignment_shows_in_all_three_histories():
    """History shows the assignment on the holder, debtor and new holder."""
    led = Ledger()
    led.record("ann", "bob", 5, at=T0)
    assignment = trading.assign(led, "ann", "bob", "cat", 2, at=T0 + timedelta(days=1))
    for person in ("ann", "bob", "cat"):
        assert assignment in led.history(person)


def test_assignment_follows_the_strict_rule():
    """A strict ledger refuses an assignment to a stranger; nothing changes."""
    led = Ledger(strict=True)
    for person in ("ann", "bob"):
        led.add_person(person, at=T0)
    led.record("ann", "bob", 5, at=T0)
    before = snapshot(led)
    with pytest.raises(UnknownPersonError, match="'zed'"):
        trading.assign(led, "ann", "bob", "zed", 1)
    assert snapshot(led) == before


# --------------------------------------------------------------------- barter
@given(PAIRS, values(), values())
def test_barter_is_atomic(pair, one, two):
    """Two bartered favors land together; if the second is refused, the first
    is not recorded either."""
    a, b = pair
    led = Ledger()
    led.record(a, b, 1, id="taken", at=T0)
    before = snapshot(led)
    first = Favor(giver=a, receiver=b, value=one, at=T0)
    clash = Favor(giver=b, receiver=a, value=two, at=T0, id="taken")
    with pytest.raises(Exception, match="taken"):
        trading.barter(led, first, clash)
    assert snapshot(led) == before
    second = Favor(giver=b, receiver=a, value=one, at=T0)
    owed = led.owes(a, b), led.owes(b, a)
    assert trading.barter(led, first, second) == (first, second)
    assert (led.owes(a, b), led.owes(b, a)) == owed  # equal values: nobody owes more


def test_barter_must_go_both_ways():
    led = Ledger()
    with pytest.raises(MarketError, match="one each way"):
        trading.barter(
            led,
            Favor(giver="a", receiver="b", value=1),
            Favor(giver="a", receiver="b", value=1),
        )
    assert led.log == ()


@pytest.mark.parametrize("other", [None, "a favor", 3])
def test_barter_takes_two_favors(other):
    """Something that is not a favor is refused by name, and nothing is
    recorded."""
    led = Ledger()
    favor = Favor(giver="a", receiver="b", value=1)
    for pair in [(favor, other), (other, favor)]:
        with pytest.raises(MarketError, match=r"a barter is two favors, got"):
            trading.barter(led, *pair)
    assert led.log == ()


# ----------------------------------------------------------------------- asks
def test_an_ask_is_answered_then_completed_by_its_favor():
    """An accepted ask is completed by a favor from the asked to the asker."""
    led = Ledger()
    trading.ask(led, "me", "dan", 2, at=T0, id="a1", reason="an intro")
    assert trading.ask_status(led, "a1", at=T0) == "open"
    trading.answer(led, "a1", "accepted", at=T0 + timedelta(days=1))
    favor = trading.complete(led, "a1", at=T0 + timedelta(days=3))
    assert (favor.giver, favor.receiver, favor.fulfils) == ("dan", "me", "a1")
    assert trading.ask_status(led, "a1") == "completed"
    assert led.owes("me", "dan") == 2
    with pytest.raises(MarketError, match="completed"):
        trading.complete(led, "a1", at=T0 + timedelta(days=4))


def test_a_declined_ask_cannot_be_completed():
    led = Ledger()
    trading.ask(led, "me", "dan", 2, at=T0, id="a1")
    trading.answer(led, "a1", "declined", at=T0)
    before = snapshot(led)
    with pytest.raises(MarketError, match="declined"):
        trading.complete(led, "a1", at=T0)
    with pytest.raises(MarketError, match="already answered"):
        trading.answer(led, "a1", "accepted", at=T0)
    assert snapshot(led) == before


# --------------------------------------------------------------------- agenda
def busy_ledger() -> Ledger:
    led = Ledger()
    led.record("carol", "me", 3, at=T0, id="old-favor")
    led.record("carol", "me", 1, at=T0 + timedelta(days=200), id="recent-favor")
    led.record("me", "eve", 2, at=T0, id="eve-owes-me")
    trading.ask(led, "dan", "me", 1, at=T0, due=T0 + timedelta(days=5), id="dan-asks")
    trading.ask(led, "me", "bob", 1, at=T0, due=T0 + timedelta(days=5), id="i-ask")
    trading.ask(led, "me", "eve", 1, at=T0, due=T0 + timedelta(days=500), id="not-due")
    trading.pledge(
        led, "fay", "me", 2, at=T0, expires=T0 + timedelta(days=215), id="soon"
    )
    trading.pledge(
        led, "gus", "me", 2, at=T0, expires=T0 + timedelta(days=400), id="later"
    )
    return led


def test_the_agenda_lists_what_needs_attention_with_its_reasons():
    """Overdue asks both ways, soon-expiring pledges to me, and old favors I
    have not returned, each pointing to its entries."""
    led = busy_ledger()
    today = T0 + timedelta(days=210)
    rows = [(i.action, i.person, i.entries) for i in agenda(led, "me", today=today)]
    assert rows == [
        ("answer", "dan", ("dan-asks",)),
        ("chase", "bob", ("i-ask",)),
        ("call-pledge", "fay", ("soon",)),
        ("return", "carol", ("old-favor",)),
        ("ease-off", "carol", ("old-favor", "recent-favor")),
    ]


@given(times(start=datetime(2023, 1, 1), end=datetime(2026, 1, 1)))
def test_the_agenda_is_a_pure_function_of_ledger_and_day(today):
    """Same ledger and day, same rows; every row's entries exist."""
    led = busy_ledger()
    first = agenda(led, "me", today=today)
    assert first == agenda(Ledger.from_entries(led.log), "me", today=today)
    known = set(led.favors) | {e.id for e in led.log if hasattr(e, "id")}
    for item in first:
        assert item.entries
        assert set(item.entries) <= known
        assert item.reason


def test_nothing_answered_or_returned_leaves_the_agenda():
    """Answering the ask, calling the pledge and returning the favor clear
    those rows."""
    led = busy_ledger()
    today = T0 + timedelta(days=210)
    trading.answer(led, "dan-asks", "declined", at=today)
    trading.call(led, "soon", at=today)
    led.record("me", "carol", 4, at=today)
    rows = {(i.action, i.person) for i in agenda(led, "me", today=today)}
    assert rows == {("chase", "bob"), ("ease-off", "fay")}  # calling fay's pledge


@given(ledgers(min_people=3), st.data(), times())
def test_dated_views_include_assignments(led, data, moment):
    """``who_owes_whom(at=...)`` counts assignments dated by then, exactly as
    the ``as_of`` snapshot does."""
    debts = led.who_owes_whom()
    if debts:
        debt = data.draw(st.sampled_from(debts))
        others = [p for p in led.people if p not in (debt.debtor, debt.creditor)]
        new_holder = data.draw(st.sampled_from(others))
        last = max(f.at for f in led.favors.values())
        trading.assign(
            led, debt.creditor, debt.debtor, new_holder, debt.amount, at=last
        )
    assert led.who_owes_whom(at=moment) == led.as_of(moment).who_owes_whom()
    assert led.balances(at=moment) == led.as_of(moment).balances()


@pytest.mark.parametrize(
    ("kind", "reason", "said"),
    [
        ("favor", "", "pledged you a favor;"),
        ("errand", "", "pledged you an errand;"),
        ("lift", "a ride to town", "pledged you a ride to town;"),
    ],
)
def test_a_pledge_about_to_expire_is_named_in_words(kind, reason, said):
    """The call-pledge row reads as a sentence (newcomer trial 8: "ann
    pledged you favor")."""
    led = Ledger()
    trading.pledge(
        led,
        "fay",
        "me",
        2,
        kind=kind,
        reason=reason,
        at=T0,
        expires=T0 + timedelta(days=9),
    )
    (row,) = agenda(led, "me", today=T0 + timedelta(days=1))
    assert row.action == "call-pledge"
    assert said in row.reason


def test_the_agenda_takes_its_moment_as_at_like_every_query():
    """``agenda(..., at=)`` as ``balances(at=)`` and the command's ``--at``
    (newcomer trial 8); ``today`` stays as its old name; not both."""
    led = Ledger()
    trading.pledge(led, "fay", "me", 2, at=T0, expires=T0 + timedelta(days=9))
    then = T0 + timedelta(days=1)
    assert agenda(led, "me", at=then) == agenda(led, "me", today=then) != []
    with pytest.raises(InvalidValueError, match="give at or today"):
        agenda(led, "me", at=then, today=then)


def test_the_agenda_says_when_to_ease_off():
    """A contact I owe as much as our tie can bear is listed: give back
    before asking again; once I give back, the row goes."""
    led = Ledger()
    led.tie("me", "hal", "0.5", kind="colleague", at=T0)
    led.record("hal", "me", 1, at=T0, id="big-help")
    today = T0 + timedelta(days=1)
    rows = [i for i in agenda(led, "me", today=today) if i.action == "ease-off"]
    assert [(i.person, i.entries) for i in rows] == [("hal", ("big-help",))]
    led.record("me", "hal", 1, at=today)
    assert all(i.action != "ease-off" for i in agenda(led, "me", today=today))


def test_the_agenda_of_a_past_day_eases_off_by_that_day():
    """A favor given back after ``today`` does not lift that day's ease-off
    (the agenda reads the ledger as it stood on ``today``; it reads the
    ledger itself, uncopied, only when nothing is dated after)."""
    led = Ledger()
    led.tie("me", "hal", "0.5", kind="colleague", at=T0)
    led.record("hal", "me", 1, at=T0, id="big-help")
    led.record("me", "hal", 1, at=T0 + timedelta(days=2), id="given-back")
    then = agenda(led, "me", today=T0 + timedelta(days=1))
    assert [(i.action, i.person) for i in then] == [("ease-off", "hal")]
    assert agenda(led, "me", today=T0 + timedelta(days=3)) == []


@given(ledgers(market=True), st.data())
def test_ease_off_rows_read_the_ledger_as_of_today(led, data):
    """Whatever was recorded after ``today``, the ease-off rows are those of
    the ledger as it stood then, whichever name the moment is given by
    (``at``, or its old name ``today``)."""
    name = data.draw(st.sampled_from(["at", "today"]), label="keyword")
    people = sorted(led.people)
    me, other = data.draw(st.permutations(people))[:2]
    times_seen = sorted({e.at for e in led.log})
    led.tie(me, other, data.draw(st.sampled_from(["0.1", "0.5", "1"])), at=T0)
    today = data.draw(st.sampled_from([T0, *times_seen]))
    if today < T0:
        today = T0

    def ease_off(ledger):
        rows = agenda(ledger, me, **{name: today})
        return [(i.person, i.entries, i.amount) for i in rows if i.action == "ease-off"]

    assert ease_off(led) == ease_off(led.as_of(today))


# ------------------------------------------------------- pledge time rules
@given(PAIRS, values(), times(), st.integers(0, 10**6))
def test_a_pledge_cannot_expire_before_it_is_made(pair, value, at, seconds_before):
    """A pledge whose ``expires`` is not after its ``at`` is refused with an
    error naming the field, and the ledger is unchanged."""
    led = Ledger()
    led.record("ann", "bob", 1, at=T0)
    before = snapshot(led)
    expires = at - timedelta(seconds=seconds_before)
    with pytest.raises(InvalidEntryError, match=r"Pledge\.expires must be after"):
        trading.pledge(led, *pair, value, at=at, expires=expires)
    assert snapshot(led) == before
    assert trading.pledges(led) == []


@given(PAIRS, values(), st.sampled_from(["called", "released"]))
def test_only_an_open_pledge_can_be_released(pair, value, how):
    """Releasing a called pledge, or releasing one twice, is refused with an
    error saying what the pledge already is, and changes nothing; an open
    pledge releases."""
    led = Ledger()
    pledge = trading.pledge(led, *pair, value, at=T0)
    when = T0 + timedelta(days=1)
    if how == "released":
        trading.release(led, pledge.id, at=when)
    else:
        trading.call(led, pledge.id, at=when)
    before = snapshot(led), led.balances()
    with pytest.raises(MarketError, match=f"is {how}; it cannot be released"):
        trading.release(led, pledge.id, at=when + timedelta(hours=1))
    assert (snapshot(led), led.balances()) == before
    other = trading.pledge(led, *pair, value, at=T0)
    trading.release(led, other.id, at=when)
    assert trading.pledge_status(led, other.id, at=when) == "released"


# -------------------------------------------- one rule for unknown people
PERSON_QUERIES = {
    "balance": lambda led, who: led.balance(who),
    "history": lambda led, who: led.history(who),
    "obligations": lambda led, who: led.obligations(who),
    "pledges": lambda led, who: trading.pledges(led, who),
    "asks": lambda led, who: trading.asks(led, who),
    "ties": lambda led, who: led.ties(who),
}


def _ann_and_bob() -> Ledger:
    led = Ledger()
    led.record("ann", "bob", 1, at=T0)
    return led


@pytest.mark.parametrize("query", sorted(PERSON_QUERIES))
@given(led=ledgers(max_people=5, max_favors=8), stranger=st.text(max_size=8))
@example(led=_ann_and_bob(), stranger=" ann")  # a query takes ann typed so
@example(led=_ann_and_bob(), stranger="ann\n")
def test_every_query_about_a_person_refuses_a_stranger(led, stranger, query):
    """Every query that takes a person raises ``UnknownPersonError`` for one
    the ledger has never seen (rather than answering "nothing"), and answers
    for everyone it knows, however a write would take their id (a text that
    names someone once stripped, say, is no stranger)."""
    ask = PERSON_QUERIES[query]
    for person in led.people:
        ask(led, person)
    if kept_id(stranger, led.people) is None:
        with pytest.raises(UnknownPersonError, match="is not in the ledger"):
            ask(led, stranger)
