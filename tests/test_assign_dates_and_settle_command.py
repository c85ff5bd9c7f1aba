"""Assigning and settling up from the fifth newcomer trial (R3, R4, U3,
U4), each "what was seen" a regression test written before its fix.

The promises:

* an assignment is never dated before the debt it passes on (nor before
  the debt of its holder to the new holder that it settles):
  ``trading.assign(at=...)`` and ``assign --at`` refuse such a time,
  naming ``at`` (``--at``) and the latest entry between the two, and
  change nothing; so a past view never shows a debt passed on before it
  was owed. Without ``at`` it is dated now, or at that entry if it is
  later. An assignment read from a store or a file is taken as recorded;
* ``settle --apply`` does what ``led.apply(settle(led))`` does: debts that
  run in cycles, with every balance zero, are set off, so afterwards
  nobody owes anybody; without ``--apply``, ``settle`` says so rather
  than ``(nothing)``;
* ``settle --at`` (and ``clear --at``) without ``--apply`` is refused:
  ``--at`` is when the settlements are recorded, and nothing is;
* ``settle --method exact`` on too many balances names the flag.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from favorledger import Assignment, Ledger, MarketError, trading
from favorledger.io.sqlite import open_ledger
from favorledger.settlement import settle
from favorledger.testing.strategies import ledgers, times
from tests.command_line import run
from tests.test_settling_dates import net_pairs, state


def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with the profile."""
    return settings(
        max_examples=max(1, n * settings.default.max_examples // 100),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


# ---------------------------------------------- R3: assigned before owed
def b_owes_a_in_june() -> Ledger:
    led = Ledger()
    led.record("a", "b", 2, id="g1", at="2026-06-01T00:00Z")
    led.record("c", "a", 2, id="g2", at="2026-01-01T00:00Z")  # a owes c
    return led


def test_an_assignment_dated_before_the_debt_it_passes_on_is_refused() -> None:
    """R3: ``assign a b c 2 --at 2026-05-01`` on a favor of June was
    recorded, and ``as_of`` May showed debts before any favor existed."""
    led = b_owes_a_in_june()
    before = state(led)
    with pytest.raises(MarketError) as caught:
        trading.assign(led, "a", "b", "c", 2, at="2026-05-01T00:00Z")
    message = str(caught.value)
    assert message.startswith("at must not be before the latest entry it passes on")
    assert "favor 'g1' of 2026-06-01" in message
    assert "2026-05-01" in message
    assert state(led) == before
    assert not [d for d in led.who_owes_whom(at="2026-05-15T00:00Z") if d.debtor == "b"]
    made = trading.assign(led, "a", "b", "c", 2, at="2026-06-01T00:00Z")
    assert led.owes("b", "c") == 2
    assert made.at == datetime(2026, 6, 1, tzinfo=UTC)


def test_an_assignment_dated_before_the_debt_it_settles_is_refused() -> None:
    """The holder's debt to the new holder, which the assignment pays off,
    counts too: a owes c only from June, so passing b's debt to c in March
    would settle it before it was owed."""
    led = Ledger()
    led.record("a", "b", 2, id="g1", at="2026-01-01T00:00Z")
    led.record("c", "a", 2, id="g2", at="2026-06-01T00:00Z")
    before = state(led)
    with pytest.raises(
        MarketError, match=r"^at must not be before .* settles, favor 'g2'"
    ):
        trading.assign(led, "a", "b", "c", 2, at="2026-03-01T00:00Z")
    assert state(led) == before


def test_without_a_time_an_assignment_is_not_dated_before_its_debt() -> None:
    """A favor dated later than now (a clock ahead) is passed on at its own
    time, as ``reverse`` and ``apply`` date theirs."""
    led = Ledger()
    led.record("a", "b", 2, id="g1", at="2999-01-01T00:00Z")
    made = trading.assign(led, "a", "b", "c", 2)
    assert made.at == datetime(2999, 1, 1, tzinfo=UTC)


def test_a_stored_early_assignment_is_taken_as_recorded() -> None:
    """The rule is the operation's: an old store or file replays."""
    led = b_owes_a_in_june()
    early = Assignment(
        holder="a", debtor="b", new_holder="c", amount=2, at="2026-05-01T00:00Z"
    )
    led.add(early)
    assert Ledger.from_entries(led.log).who_owes_whom() == led.who_owes_whom()


def test_assign_at_before_the_debt_is_refused_by_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R3 at the command line, as seen: rc 0 and ``history b`` listing the
    assignment a month before the favor."""
    db = str(tmp_path / "r3.db")
    sh = ("--db", db)
    run(capsys, *sh, "record", "a", "b", "2", "--id", "g1", "--at", "2026-06-01")
    code, out, err = run(
        capsys, *sh, "assign", "a", "b", "c", "2", "--at", "2026-05-01"
    )
    assert code == 2, out
    assert err.startswith(
        "favorledger: error: --at must not be before the latest entry it passes on,"
        " favor 'g1' of 2026-06-01"
    ), err
    code, out, _ = run(capsys, *sh, "--json", "log", "--type", "assignment")
    assert json.loads(out) == []
    assert run(capsys, *sh, "assign", "a", "b", "c", "2", "--at", "2026-06-02")[0] == 0


@given(
    led=ledgers(max_people=5, max_favors=10, market=True),
    data=st.data(),
    at=times(),
)
@examples(100)
def test_an_assignment_passes_on_only_what_was_owed_at_its_time(
    led: Ledger, data: st.DataObject, at: datetime
) -> None:
    """``assign(..., at=t)`` either refuses, naming ``at``, and changes
    nothing, or, as of ``t``, the debtor owed the holder at least what it
    passes on, and whatever it settles of the holder's debt to the new
    holder was owed then too. A time after every entry is never refused."""
    debts = led.who_owes_whom()
    assume(debts)
    debt = data.draw(st.sampled_from(debts))
    others = sorted(p for p in led.people if p not in (debt.debtor, debt.creditor))
    assume(others)
    new_holder = data.draw(st.sampled_from(others))
    amount = data.draw(st.sampled_from([debt.amount, debt.amount / 2]))
    if data.draw(st.booleans()):  # at the latest entry: never refused
        at = max(entry.at for entry in led.log)
    owed_now = Fraction(led.owes(debt.creditor, new_holder))
    owed = net_pairs(led, at)
    before = state(led)
    if at < max(entry.at for entry in led.log):
        try:
            trading.assign(led, debt.creditor, debt.debtor, new_holder, amount, at=at)
        except MarketError as error:
            refused = str(error)
        else:
            refused = ""
        event("refused" if refused else "recorded, though before some entry")
        if refused:
            assert refused.startswith("at must not be before the latest entry it ")
            assert state(led) == before
            return
    else:
        event("after every entry")
        trading.assign(led, debt.creditor, debt.debtor, new_holder, amount, at=at)
    assert Fraction(amount) <= owed.get((debt.debtor, debt.creditor), Fraction(0))
    settled = min(Fraction(amount), owed_now)
    assert settled <= max(
        owed.get((debt.creditor, new_holder), Fraction(0)), Fraction(0)
    )


# ------------------------------------------------- R4: settle of a cycle
def cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, ...]:
    db = str(tmp_path / "c.db")
    for giver, receiver in [("a", "b"), ("b", "c"), ("c", "a")]:
        assert run(capsys, "--db", db, "record", giver, receiver, "2")[0] == 0
    return ("--db", db)


def test_settle_apply_sets_off_a_cycle_as_the_library_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R4: ``settle --apply`` printed ``(nothing)`` and left the three debts
    of a cycle, while ``led.apply(settle(led))`` squares everyone."""
    sh = cycle(tmp_path, capsys)
    code, out, err = run(capsys, *sh, "settle", "--apply")
    assert code == 0, err
    assert "(nothing)" not in out
    assert "recorded 1 settlement" in out
    assert "set off 3 debts" in out
    assert open_ledger(sh[1]).who_owes_whom() == []
    code, out, _ = run(capsys, *sh, "--json", "log", "--type", "settlement")
    assert [row["kind"] for row in json.loads(out)] == ["set-off"]


def test_settle_says_a_cycle_remains_when_balances_are_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R4: without ``--apply``, ``(nothing)`` did not say that debts remain
    and how to clear them."""
    sh = cycle(tmp_path, capsys)
    code, out, _ = run(capsys, *sh, "settle")
    assert code == 0
    assert (
        "balances are all zero; 3 debts run in a cycle: --apply (or clear --apply)"
        " sets them off"
    ) in out
    assert len(open_ledger(sh[1]).who_owes_whom()) == 3  # nothing recorded
    code, out, _ = run(capsys, *sh, "--json", "settle")
    assert json.loads(out) == []  # the plan: no favor-returns


@given(led=ledgers(max_people=5, max_favors=8, market=True), squared=st.booleans())
@examples(25)
def test_settle_apply_leaves_nobody_owing(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    led: Ledger,
    squared: bool,
) -> None:
    """The command squares a ledger as ``led.apply(settle(led))`` does; so
    too when every balance is zero already (the plan's returns recorded as
    favors), but debts remain in cycles."""
    if squared:
        for t in settle(led):
            led.record(t.payer, t.payee, t.amount, at=max(e.at for e in led.log))
        event("balances zero, debts left" if led.who_owes_whom() else "nothing owed")
    db = str(tmp_path_factory.mktemp("s") / "s.db")
    store = open_ledger(db)
    store.add_many(led.log)
    code, _, err = run(capsys, "--db", db, "settle", "--apply")
    assert code == 0, err
    assert open_ledger(db).who_owes_whom() == []
    led.apply(settle(led))
    assert led.who_owes_whom() == []


# ------------------------------------------------ U3: --at without --apply
@pytest.mark.parametrize("command", ["settle", "clear"])
def test_at_without_apply_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """U3: ``settle --at 2026-06-15`` showed the plan of now (a favor of
    July in it) as if the time meant something."""
    db = str(tmp_path / "u3.db")
    run(capsys, "--db", db, "record", "x", "y", "1", "--at", "2026-07-01")
    code, out, err = run(capsys, "--db", db, command, "--at", "2026-06-15")
    assert code == 2, out
    assert err.startswith("favorledger: error: --at needs --apply"), err
    assert "balance --at" in err


# ------------------------------------------ U4: the flag, not the parameter
def test_method_exact_on_too_many_balances_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """U4: the error said ``method="exact" ...; use method="greedy"``."""
    db = str(tmp_path / "u4.db")
    store = open_ledger(db)
    for i in range(1, 31):
        store.record(f"p{i}", "q", i)
    code, _, err = run(capsys, "--db", db, "settle", "--method", "exact")
    assert code == 2
    assert err.startswith("favorledger: error: --method exact settles at most "), err
    assert err.rstrip().endswith("use --method greedy or auto"), err
    assert 'method="' not in err


@pytest.mark.parametrize(
    ("ana_owes_dan", "told", "dan_owes_ana"),
    [
        (None, "; dan now owes ana 1 for it (ana owed dan 0)", "1"),
        ("0.5", "; dan now owes ana 0.5 for it (ana owed dan 0.5)", "0.5"),
        ("3", "", None),
    ],
)
def test_assigning_to_someone_the_holder_owes_less_says_they_now_owe(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    ana_owes_dan: str | None,
    told: str,
    dan_owes_ana: str | None,
) -> None:
    """Newcomer trial 5, U1: ``assign ana ben dan 1`` when ana owes dan
    nothing quietly made dan owe ana 1 (dan "bought" the IOU). The command
    now says what the new holder owes the holder for it."""
    db = str(tmp_path / "u1.db")
    sh = ("--db", db)
    run(capsys, *sh, "record", "ana", "ben", "2", "--at", "2026-01-01")
    if ana_owes_dan is not None:
        run(capsys, *sh, "record", "dan", "ana", ana_owes_dan, "--at", "2026-01-01")
    code, out, err = run(capsys, *sh, "assign", "ana", "ben", "dan", "1")
    assert code == 0, err
    assert out.rstrip("\n").endswith("ben now owes dan 1 instead of ana" + told), out
    owed = {
        (d.debtor, d.creditor): str(d.amount) for d in Ledger.open(db).who_owes_whom()
    }
    assert owed.get(("dan", "ana")) == dan_owes_ana


def test_reversing_a_favor_whose_debt_was_assigned_names_the_assignment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newcomer trial 5, U2: reversing g1 after its debt was passed on
    printed only "recorded reversal", and b went on owing c for a favor c
    did for a. Now a note names the assignment (and ``--json`` lists it)."""
    db = str(tmp_path / "u2.db")
    sh = ("--db", db)
    run(capsys, *sh, "record", "a", "b", "2", "--id", "g1", "--at", "2026-01-01")
    run(capsys, *sh, "record", "c", "a", "2", "--id", "g2", "--at", "2026-01-01")
    run(capsys, *sh, "assign", "a", "b", "c", "2", "--id", "AS")
    code, out, err = run(capsys, *sh, "--json", "reverse", "g1")
    assert code == 0, err
    assert json.loads(out)["passed_on_by"] == ["AS"]
    assert "favorledger: note: g1's debt was passed on by AS; reverse it too" in err
    code, out, err = run(capsys, *sh, "reverse", "g2")
    assert code == 0, err
    assert "passed on by" not in err
    run(capsys, *sh, "record", "x", "y", "1", "--id", "g3", "--at", "2026-01-02")
    run(capsys, *sh, "record", "z", "x", "1", "--id", "g4", "--at", "2026-01-02")
    run(capsys, *sh, "assign", "x", "y", "z", "1", "--id", "AS2")
    run(capsys, *sh, "reverse", "AS2")  # undone already: nothing rests on it
    code, out, err = run(capsys, *sh, "reverse", "g3")
    assert code == 0, err
    assert "passed on by" not in err
