"""Transfers built by hand settle; they never make anyone owe more (newcomer
trial 6, finding 2).

An app builds transfers from what people say ("Bob paid Ann 3"). On main,
``apply`` took any of them: the same form submitted twice turned Bob's debt
into Ann's, paying 5 of a debt of 3 made Ann owe 2, and a transfer with payer
and payee swapped grew the debt. Plans from :func:`settle` were already
guarded (:class:`StalePlanError`); hand-built transfers were not.

The promise: the transfers given to ``apply`` that belong to no plan, taken
together, move every person's balance towards zero and never past it: a
payer owes at least what they pay (net), a payee is owed at least what they
receive. Otherwise :class:`OverpaymentError` names the person, their balance
and what the transfers would leave, and nothing is recorded. (A payment that
settles nothing is a favor: ``record`` it.)
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    InvalidValueError,
    Ledger,
    OverpaymentError,
    Transfer,
    UnknownPersonError,
)
from favorledger.settlement import settle
from favorledger.testing.strategies import ledgers


def state(led: Ledger) -> tuple[object, ...]:
    return (list(led.log), led.balances(), led.who_owes_whom())


def test_the_same_payment_applied_twice_is_refused_the_second_time() -> None:
    led = Ledger()
    led.record("ann", "bob", 3)  # bob owes ann 3
    led.apply([Transfer("bob", "ann", 3)])
    before = state(led)
    with pytest.raises(OverpaymentError, match=r"'bob' has a balance of 0 .* leave 3"):
        led.apply([Transfer("bob", "ann", 3)])
    assert state(led) == before
    assert led.who_owes_whom() == []


def test_paying_more_than_is_owed_is_refused() -> None:
    led = Ledger()
    led.record("ann", "bob", 3)
    before = state(led)
    with pytest.raises(OverpaymentError, match=r"'bob' has a balance of -3 .* leave 2"):
        led.apply([Transfer("bob", "ann", 5)])
    assert state(led) == before


def test_payer_and_payee_swapped_is_refused() -> None:
    led = Ledger()
    led.record("ann", "bob", 2)  # bob owes ann 2
    before = state(led)
    with pytest.raises(OverpaymentError, match="'ann'"):
        led.apply([Transfer("ann", "bob", 5)])
    assert state(led) == before


def test_an_unknown_payer_is_refused_and_not_created() -> None:
    led = Ledger()
    led.record("ann", "bob", 2)
    before = state(led)
    with pytest.raises(UnknownPersonError, match="'zed'"):
        led.apply([Transfer("zed", "ann", 1)])
    assert state(led) == before
    assert "zed" not in led.people


def test_part_payments_and_payments_on_anothers_behalf_are_taken() -> None:
    """Towards zero is enough: in part, or to someone the payer does not owe
    directly, as long as the transfers together leave no balance past zero."""
    led = Ledger()
    led.record("ann", "bob", 3)  # bob owes ann 3
    led.record("cat", "dan", 3)  # dan owes cat 3
    led.apply([Transfer("bob", "ann", 1)])
    led.apply([Transfer("bob", "cat", 2), Transfer("dan", "ann", 2)])
    assert led.balances() == {
        "ann": Decimal(0),
        "bob": Decimal(0),
        "cat": Decimal(1),
        "dan": Decimal(-1),
    }


def test_a_hand_built_relay_is_taken_when_given_together() -> None:
    """Someone square may pass a payment on, in the same apply."""
    led = Ledger()
    led.record("ann", "bob", 3)
    led.add_person("hal")  # square
    led.apply([Transfer("bob", "hal", 3), Transfer("hal", "ann", 3)])
    assert led.who_owes_whom() == []
    with pytest.raises(OverpaymentError, match="'ann'"):
        led.apply([Transfer("ann", "hal", 1)])


def test_a_store_refuses_it_too_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Ledger.open(path) as led:
        led.record("ann", "bob", 3)
        led.apply([Transfer("bob", "ann", 3)])
        with pytest.raises(OverpaymentError):
            led.apply([Transfer("bob", "ann", 3)])
    with Ledger.open(path) as again:
        assert len(again.log) == 2
        assert again.who_owes_whom() == []


@settings(max_examples=80, deadline=None)
@given(led=ledgers(market=True), data=st.data())
def test_hand_built_transfers_never_push_a_balance_past_zero(
    led: Ledger, data: st.DataObject
) -> None:
    """Any hand-built transfers: applied only if every balance moves towards
    zero and not past it; else refused with nothing changed."""
    people = sorted(led.people)
    if len(people) < 2:
        return
    pairs = st.lists(
        st.tuples(
            st.sampled_from(people),
            st.sampled_from(people),
            st.sampled_from([Decimal(1), Decimal("0.5"), Decimal(3)]),
        ).filter(lambda t: t[0] != t[1]),
        min_size=1,
        max_size=4,
    )
    transfers = [Transfer(p, q, x) for p, q, x in data.draw(pairs)]
    before_balances = led.balances()
    before = state(led)
    try:
        led.apply(transfers, at="2031-01-01T00:00+00:00")
    except OverpaymentError:
        assert state(led) == before
        return
    for person, was in before_balances.items():
        now = led.balance(person)
        assert min(was, 0) <= now <= max(was, 0), (person, was, now)


@settings(max_examples=40, deadline=None)
@given(led=ledgers(market=True))
def test_settles_own_plans_are_never_refused_as_overpayment(led: Ledger) -> None:
    """A plan from settle pays each balance exactly: whole, or a transfer
    at a time."""
    plan = settle(led)
    for transfer in plan:
        led.apply([transfer], at="2031-01-01T00:00+00:00")
    assert led.who_owes_whom() == []


def test_allow_overpayment_takes_it_as_the_documented_rule_says() -> None:
    """Asked for, the excess makes whoever received too much owe whoever
    paid too much, as a favor would."""
    led = Ledger()
    led.record("ann", "bob", 3)
    led.apply([Transfer("bob", "ann", 5)], allow_overpayment=True)
    assert [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom()] == [
        ("ann", "bob", Decimal(2))
    ]


def test_a_plan_made_for_another_ledger_is_checked_as_made_by_hand() -> None:
    """A plan's own rules (it still fits the log it was made for) say
    nothing of another ledger: there its transfers are checked as if built
    by hand (found by a hand mutation check of ``discharge.py``: such a
    plan made bob pay ann 3 on a ledger where ann owed bob 3)."""
    made_for = Ledger()
    made_for.record("ann", "bob", 3)  # bob owes ann 3
    plan = settle(made_for, method="greedy")
    other = Ledger()
    other.record("bob", "ann", 3)  # ann owes bob 3: bob owes nothing
    before = state(other)
    with pytest.raises(OverpaymentError, match=r"'bob' has a balance of 3 .* leave 6"):
        other.apply(plan)
    assert state(other) == before
    same_debts = Ledger()
    same_debts.record("ann", "bob", 3)
    same_debts.apply(plan)  # it settles this ledger too: taken
    assert same_debts.who_owes_whom() == []
    made_for.apply(plan)  # and still applies where it was made
    assert made_for.who_owes_whom() == []


@settings(max_examples=40, deadline=None)
@given(made_for=ledgers(), other=ledgers())
def test_no_plan_pushes_another_ledgers_balance_past_zero(
    made_for: Ledger, other: Ledger
) -> None:
    """Whatever ledger a plan was made for, applied to another it moves
    every balance towards zero and never past it, or is refused and
    changes nothing."""
    plan = settle(made_for, method="greedy")
    before = state(other)
    balances = other.balances()
    try:
        other.apply(plan)
    except (OverpaymentError, UnknownPersonError):  # or names a stranger
        assert state(other) == before
        return
    for person, now in other.balances().items():
        was = balances.get(person, Decimal(0))
        assert min(was, 0) <= now <= max(was, 0), (person, was, now)


def test_a_plan_made_as_of_a_past_moment_pays_the_balances_of_then() -> None:
    """Applied later, it records the payments of then; what was recorded
    after that moment stays owed (docs/settling.md, "Recording the
    settlement"): it is not refused as an overpayment."""
    led = Ledger()
    led.record("ann", "bob", 3, at="2026-01-01T00:00+00:00")  # bob owes ann 3
    led.record("bob", "ann", 3, at="2026-03-01T00:00+00:00")  # then ann owes bob 3
    plan = settle(led, method="greedy", as_of="2026-02-01T00:00+00:00")
    assert [(t.payer, t.payee, t.amount) for t in plan] == [("bob", "ann", Decimal(3))]
    led.apply(plan, at="2026-04-01T00:00+00:00")
    assert [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom()] == [
        ("ann", "bob", Decimal(3))
    ]


@given(
    role=st.sampled_from(["payer", "payee"]),
    typo=st.sampled_from(["zed", "an", "bobb"]),
)
def test_a_transfer_naming_a_stranger_is_refused_as_unknown(
    role: str, typo: str
) -> None:
    """A misspelt name in a transfer made by hand is an unknown person, not
    an overpayment (newcomer trial 8: "'zed' has a balance of 0" read like a
    money problem); nothing is recorded."""
    led = Ledger()
    led.record("ann", "bob", 3, id="f1")
    names = {"payer": "bob", "payee": "ann", role: typo}
    before = (len(led.log), led.balances())
    with pytest.raises(UnknownPersonError, match=f"'{typo}'.*Transfer.{role}"):
        led.apply([Transfer(names["payer"], names["payee"], 1)])
    assert (len(led.log), led.balances()) == before


@pytest.mark.parametrize("plan", [5, None, 1.5])
def test_apply_refuses_what_is_not_a_plan(plan: object) -> None:
    led = Ledger()
    led.record("ann", "bob", 3, id="f1")
    with pytest.raises(InvalidValueError, match="a plan holds Transfers, got"):
        led.apply(plan)  # type: ignore[arg-type]
    assert len(led.log) == 1
