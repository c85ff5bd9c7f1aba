"""A plan is applied to the ledger it was made for, once (newcomer trial 5,
R1): two ``settle --apply`` at the same moment, a plan applied twice, or a
plan applied after the debts it pays changed, paid every debt twice, and
whoever was owed ended up owing.

The promise: ``apply`` refuses, with :class:`StalePlanError` and changing
nothing, a settle or clearing plan whose ledger has recorded, since the plan
was made, an entry that moves debts (a favor, a reversal, an assignment or a
settlement) other than those applying the same plan recorded; and a transfer
of a plan that was applied already. Applying part of a plan, then the rest,
is one apply of it. Entries that move no debt (ties, people, pledges, asks)
leave a plan as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Ledger,
    OverpaymentError,
    Settlement,
    StalePlanError,
    Transfer,
)
from favorledger.clearing import clear_cycles
from favorledger.settlement import settle
from favorledger.testing.strategies import ledgers

AT = "2031-01-01T00:00+00:00"


def state(led: Ledger) -> tuple[object, ...]:
    return (len(led.log), led.balances(), led.who_owes_whom())


def test_a_plan_applied_twice_is_refused_the_second_time() -> None:
    led = Ledger()
    led.record("x", "y", 3, id="f1")
    plan = settle(led)
    led.apply(plan)
    before = state(led)
    with pytest.raises(StalePlanError, match="already applied"):
        led.apply(plan)
    assert state(led) == before
    assert led.who_owes_whom() == []


def test_two_handles_applying_their_own_plans_pay_once(tmp_path: Path) -> None:
    """The newcomer's repro: two handles on one store each settle, then
    apply; the second is refused, so y is not made to owe x."""
    path = tmp_path / "two.db"
    a = Ledger.open(path)
    a.record("x", "y", 3, id="f1")
    b = Ledger.open(path)
    pa, pb = settle(a), settle(b)
    a.apply(pa)
    with pytest.raises(StalePlanError, match="settlement"):
        b.apply(pb)
    assert Ledger.open(path).who_owes_whom() == []
    assert len(Ledger.open(path).log) == 2


def test_a_favor_recorded_after_the_plan_makes_it_stale() -> None:
    led = Ledger()
    led.record("x", "y", 3, id="f1")
    plan = settle(led)
    led.record("y", "x", 3, id="f2")  # squared up by hand meanwhile
    before = state(led)
    with pytest.raises(StalePlanError, match="'f2'"):
        led.apply(plan)
    assert state(led) == before


def test_applying_part_of_a_plan_then_the_rest_is_one_apply() -> None:
    led = Ledger()
    for giver, receiver, n in [("a", "x", 5), ("b", "y", 3), ("c", "y", 2)]:
        led.record(giver, receiver, n)
    plan = settle(led, method="greedy")
    assert len(plan) == 3
    led.apply(plan[:1])
    led.apply(plan[1:])
    assert led.who_owes_whom() == []
    with pytest.raises(StalePlanError, match="already applied"):
        led.apply(plan[2:])


def apply_in_a_failing_batch(led: Ledger, plan: list[Transfer]) -> None:
    with led.batch():
        led.apply(plan)
        raise RuntimeError("the rest of the batch failed")


def test_an_apply_rolled_back_leaves_the_plan_to_apply() -> None:
    """Applied in a batch that then failed, the plan recorded nothing: it
    may be applied again."""
    led = Ledger()
    led.record("x", "y", 3, id="f1")
    plan = settle(led)
    with pytest.raises(RuntimeError, match="the rest"):
        apply_in_a_failing_batch(led, plan)
    assert led.who_owes_whom() != []
    led.apply(plan)
    assert led.who_owes_whom() == []


def test_entries_that_move_no_debt_leave_a_plan_as_it_was() -> None:
    led = Ledger()
    led.record("x", "y", 3, id="f1")
    plan = settle(led)
    led.tie("x", "z", 0.5)
    led.apply(plan)
    assert led.who_owes_whom() == []


def test_a_clearing_applied_twice_is_refused() -> None:
    led = Ledger()
    for giver, receiver in [("a", "b"), ("b", "c"), ("c", "a")]:
        led.record(giver, receiver, 2)
    clearing = clear_cycles(led)
    led.apply(clearing)
    before = state(led)
    with pytest.raises(StalePlanError):
        led.apply(clearing)
    assert state(led) == before


def test_transfers_of_no_plan_are_applied_as_given() -> None:
    """A transfer a user makes is not a plan's: the plan rules do not apply
    to it. Applied twice, the second pays more than is owed: refused by
    default (tests/test_overpayment.py), a loan if that is allowed."""
    led = Ledger()
    led.record("x", "y", 3, id="f1")
    led.apply([Transfer("y", "x", 3)])
    led.apply([Transfer("y", "x", 3)], allow_overpayment=True)
    assert [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom()] == [
        ("x", "y", 3)
    ]


@given(led=ledgers(max_people=6, max_favors=12, market=True), data=st.data())
@settings(deadline=None)
def test_a_stale_plan_is_refused_and_changes_nothing(
    led: Ledger, data: st.DataObject
) -> None:
    """Whatever was recorded since a plan was made, applying it either
    settles what is owed now (nothing moved a debt since) or is refused and
    leaves the ledger exactly as it was."""
    method = data.draw(st.sampled_from(["greedy", "exact", "ties"]))
    plan = settle(led, method=method)
    moved = data.draw(st.booleans())
    if moved:
        led.record("late", "later", 1, id="late-favor")
    before = state(led)
    if moved and plan:
        with pytest.raises(StalePlanError, match="'late-favor'"):
            led.apply(plan, at=AT)
        assert state(led) == before
    else:
        led.apply(plan, at=AT)
        assert led.who_owes_whom() == [] or not plan


def _settle_then_apply(path: str, ready: object, results: object) -> None:
    led = Ledger.open(path)
    plan = settle(led)
    ready.wait()  # type: ignore[attr-defined]  # every plan made before any apply
    try:
        led.apply(plan)
        results.put("applied")  # type: ignore[attr-defined]
    except StalePlanError:
        results.put("refused")  # type: ignore[attr-defined]


def test_racing_processes_each_with_a_plan_pay_once(tmp_path: Path) -> None:
    """Three processes each make a plan from the same state, then all apply
    at once: one pays, the others are refused, and nobody owes anybody."""
    path = tmp_path / "race.db"
    led = Ledger.open(path)
    for i in range(1, 11):
        led.record(f"p{i}", f"q{i % 3}", i, id=f"x{i}")
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(3), context.Queue()
    workers = [
        context.Process(target=_settle_then_apply, args=(str(path), ready, results))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results.get(timeout=5) for _ in workers) == [
        "applied",
        "refused",
        "refused",
    ]
    assert Ledger.open(path).who_owes_whom() == []


def test_racing_settle_apply_commands_pay_once(tmp_path: Path) -> None:
    """The newcomer's repro: three ``favorledger settle --apply`` started
    together. Each plans and applies in one write transaction, so the one
    that goes first pays and the others find nothing left to settle."""
    path = tmp_path / "t.db"
    led = Ledger.open(path)
    for i in range(1, 11):
        led.record(f"p{i}", f"q{i % 3}", i, id=f"x{i}")
    expected = len(settle(led))
    env = {**os.environ, "FAVORLEDGER_DB": str(path)}
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "favorledger", "settle", "--apply"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]
    assert [command.returncode for command in commands] == [0, 0, 0], outputs
    after = Ledger.open(path)
    assert after.who_owes_whom() == []
    settled = [e for e in after.log if isinstance(e, Settlement)]
    assert [e.kind for e in settled] == ["settlement"] * expected
    assert sorted(out.strip() == "(nothing)" for out, _ in outputs) == [
        False,
        True,
        True,
    ]


def test_a_transfer_applied_again_names_its_own_settlement() -> None:
    """Applying a plan's transfer again is refused naming the settlement
    that transfer recorded (one per transfer, in order), not another's."""
    led = Ledger()
    for giver, receiver, n in [("a", "x", 5), ("b", "y", 3), ("c", "y", 2)]:
        led.record(giver, receiver, n)
    plan = settle(led, method="greedy")
    entries = led.apply(plan)
    assert len(entries) == len(plan) == 3
    before = state(led)
    for t, entry in zip(plan, entries, strict=True):
        with pytest.raises(
            StalePlanError, match=re.escape(f"(settlement {entry.id!r})")
        ):
            led.apply([t])
    assert state(led) == before


def test_a_plan_from_another_handle_of_the_store_is_checked_for_staleness(
    tmp_path: Path,
) -> None:
    """Handles of one store hold one log: a plan one handle made is stale on
    another that has recorded a favor since."""
    path = tmp_path / "handles.db"
    a = Ledger.open(path)
    a.record("x", "y", 3, id="f1")
    b = Ledger.open(path)
    plan = settle(a)
    b.record("y", "x", 3, id="f2")  # squared up by hand on the other handle
    before = state(b)
    with pytest.raises(StalePlanError, match="'f2'"):
        b.apply(plan)
    assert state(b) == before


@given(
    led=ledgers(max_people=6, max_favors=12, market=True),
    data=st.data(),
)
@settings(deadline=None)
def test_a_plan_made_from_an_older_copy_is_taken_as_given(
    led: Ledger, data: st.DataObject
) -> None:
    """A plan made from a copy of the ledger that holds less (``as_of`` a
    moment, or the start of its log) was not made for this ledger: nothing
    it says was recorded "since" (newcomer trial 8, finding 3: it was
    refused as stale, naming a favor recorded before the plan was made).
    Its transfers are checked as those an app builds: each either pays
    what it says, or the whole apply is refused as an overpayment and
    changes nothing."""
    keep = data.draw(st.integers(0, len(led.log)), label="entries the copy keeps")
    copy = data.draw(st.sampled_from(["as_of", "start"]), label="copy")
    if copy == "as_of" and keep:
        older = led.as_of(led.log[keep - 1].at)
    else:
        older = Ledger.from_entries(led.log[:keep])
    plan = settle(older, method="greedy")
    before = state(led)
    balances = led.balances()
    try:
        led.apply(plan, at=AT)
    except OverpaymentError:
        assert state(led) == before
        return
    for person in balances:
        paid = sum((t.amount for t in plan if t.payer == person), start=0)
        got = sum((t.amount for t in plan if t.payee == person), start=0)
        assert led.balance(person) == balances[person] + paid - got
