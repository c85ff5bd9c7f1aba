"""The market's newer rules (newcomer trial 3, M2, M5 and M10, and releasing
an expired pledge), each first as the newcomer saw it, then as a property.

- ``agenda``: the asked person is told about an accepted ask past its due
  date (``do``), and an ask without a due date counts as due ``return_after``
  after it was made (for both people).
- ``complete --value`` may not exceed the ask's value, as ``call --value``
  may not exceed the pledge's.
- ``ask --due`` must be after the ask's time, as ``pledge --expires`` must.
- An expired pledge cannot be released, as it cannot be called.

The refusals change nothing. Entries that break only these rules, recorded
before them, still replay (``Ledger.add``, a reopened store, ``check``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from favorledger import (
    Answer,
    Ask,
    Favor,
    InvalidEntryError,
    Ledger,
    MarketError,
    Pledge,
    Release,
    agenda,
    trading,
)
from favorledger.cli import main
from favorledger.errors import shown
from favorledger.io import dumps_entry
from favorledger.testing.strategies import times, values
from tests.command_line import run

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
PAIRS = st.tuples(
    st.sampled_from(["ann", "bob", "carol"]), st.sampled_from(["ann", "bob", "carol"])
).filter(lambda p: p[0] != p[1])


def snapshot(led: Ledger) -> str:
    return "\n".join(dumps_entry(e) for e in led.log)


def rows(led: Ledger, who: str, today: datetime) -> list[tuple[str, str, tuple]]:
    return [(i.action, i.person, i.entries) for i in agenda(led, who, today=today)]


# ------------------------------------------------------ M2: the asked person
def test_m2_the_asked_person_sees_what_they_must_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """M2 as the newcomer saw it: ``agenda carol`` said ``(nothing)`` although
    carol accepted dave's overdue ask and has bob's ask (no due date) open."""
    db = str(tmp_path / "m.db")
    run(capsys, "--db", db, "ask", "dave", "carol", "1", "--reason", "proofread",
        "--id", "k1", "--at", "2025-11-30", "--due", "2025-12-05")  # fmt: skip
    run(capsys, "--db", db, "answer", "k1", "accepted", "--at", "2025-12-01")
    run(capsys, "--db", db, "ask", "bob", "carol", "2", "--reason", "intro",
        "--id", "k2", "--at", "2025-11-30")  # fmt: skip
    code, out, err = run(capsys, "--db", db, "agenda", "carol", "--at", "2027-06-01")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [
        ["answer", "bob"],
        ["do", "dave"],
    ]
    assert "bob asked you: intro (asked 2025-11-30), not yet answered" in lines[1]
    assert (
        "you accepted dave's ask: proofread (due 2025-12-05), not yet done" in lines[2]
    )
    code, out, _ = run(
        capsys, "--db", db, "--json", "agenda", "carol", "--at", "2027-06-01"
    )
    items = json.loads(out)
    assert [(i["action"], i["person"], i["entries"]) for i in items] == [
        ("answer", "bob", ["k2"]),
        ("do", "dave", ["k1"]),
    ]
    assert [(i["due"], i["amount"]) for i in items] == [
        (None, "2"),
        ("2025-12-05T00:00:00+00:00", "1"),
    ]
    bob = json.loads(
        run(capsys, "--db", db, "--json", "agenda", "bob", "--at", "2027-06-01")[1]
    )
    assert [(i["action"], i["person"]) for i in bob] == [("chase", "carol")]


def test_an_ask_without_a_due_date_is_due_after_return_after() -> None:
    """An undated ask appears when it is older than ``return_after`` (the
    age at which an unreturned favor is listed), not before."""
    led = Ledger()
    trading.ask(led, "dave", "carol", 1, id="k1", at=T0)
    assert rows(led, "carol", T0 + 90 * DAY) == []
    assert rows(led, "carol", T0 + 91 * DAY) == [("answer", "dave", ("k1",))]
    assert rows(led, "dave", T0 + 91 * DAY) == [("chase", "carol", ("k1",))]
    soon = agenda(led, "carol", today=T0 + 6 * DAY, return_after=5 * DAY)
    assert [i.action for i in soon] == ["answer"]
    assert (soon[0].due, soon[0].since) == (None, T0)


# the agenda's ask rows, by the ask's state: (asker's row, asked's row)
EXPECTED_ROWS = {
    "open": ("chase", "answer"),
    "accepted": ("chase", "do"),
    "declined": (None, None),
    "completed": (None, None),
}


@given(
    state=st.sampled_from(sorted(EXPECTED_ROWS)),
    due_days=st.none() | st.integers(1, 60),
    today_days=st.integers(0, 120),
    return_after=st.integers(0, 100),
)
def test_the_agenda_tells_both_people_about_an_overdue_ask(
    state: str, due_days: int | None, today_days: int, return_after: int
) -> None:
    """An ask past its due date (an undated one: ``return_after`` after it
    was made) that is still open or accepted is on both agendas: ``answer``
    (open) or ``do`` (accepted) for the asked, ``chase`` for the asker; a
    declined or completed one, or one not yet due, is on neither."""
    led = Ledger()
    due = None if due_days is None else T0 + due_days * DAY
    trading.ask(led, "dave", "carol", 1, id="k1", at=T0, due=due)
    if state in ("accepted", "declined"):
        trading.answer(led, "k1", state, at=T0)
    elif state == "completed":
        trading.complete(led, "k1", at=T0)
    today = T0 + today_days * DAY
    window = return_after * DAY
    overdue = (due or T0 + window) < today
    chase, asked = EXPECTED_ROWS[state] if overdue else (None, None)
    for who, action, other in (("dave", chase, "carol"), ("carol", asked, "dave")):
        got = [
            (i.action, i.person, i.entries, i.due, i.since)
            for i in agenda(led, who, today=today, return_after=window)
            if i.entries == ("k1",)
        ]
        want = [] if action is None else [(action, other, ("k1",), due, T0)]
        assert got == want


# ------------------------------------------------- M5: completing for more
def test_m5_complete_may_not_exceed_the_ask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """M5 as the newcomer saw it: ``complete ASK --value 5`` on an ask worth
    1 was accepted silently; ``call`` refuses the same."""
    db = str(tmp_path / "m.db")
    run(capsys, "--db", db, "ask", "dave", "carol", "1", "--id", "k1")
    run(capsys, "--db", db, "answer", "k1", "accepted")
    before = run(capsys, "--db", db, "export", "-")[1]
    code, out, err = run(capsys, "--db", db, "complete", "k1", "--value", "5")
    assert (code, out) == (2, "")
    assert err == (
        "favorledger: error: --value of a completion of ask 'k1' must not exceed"
        " the ask's value 1, got 5\n"
    )
    assert run(capsys, "--db", db, "export", "-")[1] == before
    code, out, err = run(capsys, "--db", db, "complete", "k1", "--value", "1/2")
    assert (code, err) == (0, "")
    assert "worth 1/2 (completes ask k1)" in out  # as typed


@given(PAIRS, values(), values())
def test_a_completion_is_worth_at_most_the_ask(pair, asked_for, given_value):
    """Completing with more than the ask's value is refused by name and
    changes nothing; with the ask's value or less it is recorded."""
    led = Ledger()
    trading.ask(led, *pair, asked_for, id="k1", at=T0)
    before = snapshot(led)
    if given_value > asked_for:
        said = "Favor.value of a completion of ask 'k1' must not exceed the ask's"
        with pytest.raises(MarketError, match=re.escape(said)):
            trading.complete(led, "k1", value=given_value, at=T0)
        assert snapshot(led) == before
        assert trading.ask_status(led, "k1") == "open"
    else:
        favor = trading.complete(led, "k1", value=given_value, at=T0)
        assert Fraction(favor.value) == Fraction(given_value)
        assert trading.ask_status(led, "k1") == "completed"


# ------------------------------------------------------ M10: due in the past
def test_m10_an_ask_due_before_it_is_made_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """M10 as the newcomer saw it: ``ask a b 1 --due 2020-01-01`` was
    recorded, while ``pledge a b 1 --expires 2020-01-01`` is refused."""
    db = str(tmp_path / "m.db")
    run(capsys, "--db", db, "record", "a", "b", "1")
    before = run(capsys, "--db", db, "export", "-")[1]
    code, out, err = run(
        capsys, "--db", db, "ask", "a", "b", "1", "--due", "2020-01-01",
        "--at", "2024-01-01",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "favorledger: error: --due must be after --at (2024-01-01), got 2020-01-01\n"
    )
    assert run(capsys, "--db", db, "export", "-")[1] == before
    code, _, err = run(capsys, "--db", db, "ask", "a", "b", "1", "--due", "2020-01-01")
    assert (code, err[:45]) == (2, "favorledger: error: --due must be after now (")


@given(PAIRS, values(), times(), st.integers(0, 10**6))
def test_an_ask_cannot_be_due_before_it_is_made(pair, value, at, seconds_before):
    """An ask whose ``due`` is not after its ``at`` is refused with an error
    naming the field, and the ledger is unchanged (the pledge's rule)."""
    led = Ledger()
    led.record("ann", "bob", 1, at=T0)
    before = snapshot(led)
    due = at - timedelta(seconds=seconds_before)
    said = f"Ask.due must be after Ask.at ({shown(at)}), got {shown(due)}"
    with pytest.raises(InvalidEntryError, match=re.escape(said)):
        trading.ask(led, *pair, value, at=at, due=due)
    assert snapshot(led) == before
    assert trading.asks(led) == []
    later = trading.ask(led, *pair, value, at=at, due=at + timedelta(seconds=1))
    assert later.due > later.at


# ------------------------------------------------ releasing an expired pledge
def test_an_expired_pledge_cannot_be_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``release`` of a pledge past its expiry was recorded and turned the
    pledge from ``expired`` into ``released``; it is refused, as ``call``
    is, and changes nothing."""
    db = str(tmp_path / "m.db")
    run(capsys, "--db", db, "pledge", "a", "b", "1", "--id", "p1",
        "--at", "2024-01-01", "--expires", "2024-02-01")  # fmt: skip
    before = run(capsys, "--db", db, "export", "-")[1]
    code, out, err = run(capsys, "--db", db, "release", "p1", "--at", "2024-03-01")
    assert (code, out) == (2, "")
    assert err == (
        "favorledger: error: pledge 'p1' is expired (it expired"
        " 2024-02-01T00:00+00:00); it cannot be released\n"
    )
    assert run(capsys, "--db", db, "export", "-")[1] == before
    out = run(capsys, "--db", db, "pledges", "--at", "2024-03-01")[1]
    assert out.splitlines()[1].split()[4] == "expired"
    code, _, err = run(capsys, "--db", db, "release", "p1", "--at", "2024-01-15")
    assert (code, err) == (0, "")


@given(PAIRS, values(), st.integers(1, 30), st.integers(1, 60))
def test_only_an_unexpired_pledge_can_be_released(pair, value, lasts, after):
    """A release dated after the pledge's expiry is refused and changes
    nothing; one dated at or before it is recorded."""
    led = Ledger()
    trading.pledge(led, *pair, value, id="p1", at=T0, expires=T0 + lasts * DAY)
    when = T0 + after * DAY
    if after > lasts:
        before = snapshot(led)
        with pytest.raises(MarketError, match=r"'p1' is expired \(it expired "):
            trading.release(led, "p1", at=when)
        assert snapshot(led) == before
        assert trading.pledge_status(led, "p1", at=when) == "expired"
    else:
        trading.release(led, "p1", at=when)
        assert trading.pledge_status(led, "p1", at=when) == "released"


# ------------------------------------------- what was recorded before replays
def earlier_entries() -> list[object]:
    """Entries an earlier version recorded, each breaking one newer rule."""
    return [
        Pledge(giver="a", receiver="b", value=1, id="p1", at=T0, expires=T0 + DAY),
        Release(pledge_id="p1", id="r1", at=T0 + 2 * DAY),
        Ask(asker="a", asked="b", value=1, id="k1", at=T0 + DAY, due=T0),
        Answer(ask_id="k1", status="accepted", id="n1", at=T0 + DAY),
        Favor(giver="b", receiver="a", value=5, fulfils="k1", id="f1", at=T0 + DAY),
    ]


def test_entries_recorded_before_the_rules_still_replay(tmp_path: Path) -> None:
    """The newer rules are the operations' (``trading`` and the commands):
    ``Ledger.add``, a reopened store and ``check`` still take what earlier
    versions recorded, so no store loses an entry to them."""
    led = Ledger.from_entries(earlier_entries())
    assert led.balance("b") == 5
    assert trading.pledge_status(led, "p1", at=T0 + 3 * DAY) == "released"
    db = tmp_path / "old.db"
    with Ledger.open(db) as stored:
        stored.add_many(earlier_entries())
    with Ledger.open(db) as reopened:
        assert reopened.log == led.log
        assert reopened.balance("b") == 5
    assert main(["--db", str(db), "check"]) == 0


# -------------------------------------- trial 4, W3: completed before answered
def test_w3_a_backdated_completion_cannot_precede_the_asks_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newcomer trial 4, W3: ``complete A3 --at 2026-06-15`` was recorded
    although A3 was declined on 2026-07-01, so the log read "completed, then
    declined" (``call`` refuses the same against a later release)."""
    db = str(tmp_path / "d.db")
    run(capsys, "--db", db, "ask", "x", "y", "1", "--id", "A3", "--at", "2026-06-01")
    run(capsys, "--db", db, "answer", "A3", "declined", "--at", "2026-07-01")
    before = run(capsys, "--db", db, "export", "-")[1]
    code, out, err = run(capsys, "--db", db, "complete", "A3", "--at", "2026-06-15")
    assert (code, out) == (2, "")
    assert err == "favorledger: error: ask 'A3' is declined; it cannot be completed\n"
    assert run(capsys, "--db", db, "export", "-")[1] == before


@given(
    PAIRS,
    st.sampled_from(["accepted", "declined"]),
    st.integers(1, 9),
    st.integers(1, 9),
)
def test_a_completion_never_precedes_the_asks_answer(pair, status, answered, done):
    """A declined ask cannot be completed, whenever the completion is dated;
    an accepted one not before its acceptance. Refused by name, nothing
    changes; otherwise recorded."""
    led = Ledger()
    trading.ask(led, *pair, 1, id="k1", at=T0)
    trading.answer(led, "k1", status, at=T0 + answered * DAY)
    before = snapshot(led)
    if status == "declined" or done < answered:
        with pytest.raises(MarketError, match=r"^ask 'k1' is "):
            trading.complete(led, "k1", at=T0 + done * DAY)
        assert snapshot(led) == before
        assert trading.ask_status(led, "k1", at=T0 + 10 * DAY) == status
    else:
        trading.complete(led, "k1", at=T0 + done * DAY)
        assert trading.ask_status(led, "k1", at=T0 + 10 * DAY) == "completed"
