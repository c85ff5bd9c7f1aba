"""Reversing the favor that called a pledge or completed an ask undoes the
call or the completion (newcomer trial 3, M1 and M1b).

A reversed favor no longer fulfils anything: the pledge is open again (or
expired, by its expiry), the ask is back to what its answer made it, and
both can be called, released, answered or completed again. Before the
reversal's time they still stand called or completed, live and in replays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger, MarketError, agenda, trading
from tests.command_line import run

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


# ----------------------------------------------------------- reproductions
def test_reversing_the_completing_favor_reopens_the_ask() -> None:
    """M1: the ask goes back to accepted, is chased again, and can be
    completed again."""
    led = Ledger()
    trading.ask(led, "dave", "carol", 1, id="a1", at=T0, due=T0 + 4 * DAY)
    trading.answer(led, "a1", "accepted", at=T0 + DAY)
    done = trading.complete(led, "a1", at=T0 + 2 * DAY)
    led.reverse(done.id, at=T0 + 3 * DAY)
    assert trading.ask_status(led, "a1", at=T0 + 3 * DAY) == "accepted"
    assert trading.ask_status(led, "a1", at=T0 + 2 * DAY) == "completed"
    chased = agenda(led, "dave", today=T0 + 10 * DAY)
    assert [(i.action, i.entries) for i in chased] == [("chase", ("a1",))]
    again = trading.complete(led, "a1", at=T0 + 5 * DAY)
    assert trading.ask_status(led, "a1", at=T0 + 5 * DAY) == "completed"
    assert led.balance("carol") == again.value


def test_reversing_a_completion_of_an_unanswered_ask_reopens_it() -> None:
    led = Ledger()
    trading.ask(led, "dave", "carol", 1, id="a1", at=T0)
    led.reverse(trading.complete(led, "a1", at=T0 + DAY).id, at=T0 + 2 * DAY)
    assert trading.ask_status(led, "a1", at=T0 + 2 * DAY) == "open"
    trading.answer(led, "a1", "declined", at=T0 + 3 * DAY)
    assert trading.ask_status(led, "a1", at=T0 + 3 * DAY) == "declined"


def test_reversing_the_calling_favor_reopens_the_pledge() -> None:
    """M1b: the pledge is open again and can be called or released."""
    led = Ledger()
    trading.pledge(led, "carol", "me", 3, id="p1", at=T0)
    led.reverse(trading.call(led, "p1", at=T0 + DAY).id, at=T0 + 2 * DAY)
    assert trading.pledge_status(led, "p1", at=T0 + 2 * DAY) == "open"
    assert trading.pledge_status(led, "p1", at=T0 + DAY) == "called"
    assert led.balance("me") == 0
    trading.call(led, "p1", value=2, at=T0 + 3 * DAY)
    assert trading.pledge_status(led, "p1", at=T0 + 3 * DAY) == "called"
    assert led.balance("me") == -2
    twin = Ledger()
    trading.pledge(twin, "carol", "me", 3, id="p1", at=T0)
    twin.reverse(trading.call(twin, "p1", at=T0 + DAY).id, at=T0 + 2 * DAY)
    trading.release(twin, "p1", at=T0 + 3 * DAY)
    assert trading.pledge_status(twin, "p1", at=T0 + 3 * DAY) == "released"


def test_a_reopened_pledge_past_its_expiry_is_expired() -> None:
    led = Ledger()
    trading.pledge(led, "carol", "me", 3, id="p1", at=T0, expires=T0 + 2 * DAY)
    led.reverse(trading.call(led, "p1", at=T0 + DAY).id, at=T0 + 3 * DAY)
    assert trading.pledge_status(led, "p1", at=T0 + 3 * DAY) == "expired"
    with pytest.raises(MarketError, match="is expired; it cannot be called"):
        trading.call(led, "p1", at=T0 + 4 * DAY)


@pytest.mark.parametrize("kind", ["call", "release"])
def test_nothing_is_done_to_a_reopened_pledge_before_the_reversal(kind: str) -> None:
    """A new call or a release must not be dated before the reversal that
    reopened the pledge (while the old call still stood), and a refusal
    changes nothing."""
    led = Ledger()
    trading.pledge(led, "carol", "me", 3, id="p1", at=T0)
    led.reverse(trading.call(led, "p1", at=T0 + 2 * DAY).id, at=T0 + 4 * DAY)
    before = list(led.log)
    for when in (T0 + DAY, T0 + 3 * DAY):  # before the call; while it stood
        act = trading.call if kind == "call" else trading.release
        named = "Favor.at" if kind == "call" else "Release.at"
        said = f"{named} must not be before the reversal that reopened it, "
        with pytest.raises(MarketError, match=re.escape(said + "2024-01-05")):
            act(led, "p1", at=when)
        assert list(led.log) == before


def test_nothing_is_done_to_a_reopened_ask_before_the_reversal() -> None:
    led = Ledger()
    trading.ask(led, "dave", "carol", 1, id="a1", at=T0)
    led.reverse(trading.complete(led, "a1", at=T0 + 2 * DAY).id, at=T0 + 4 * DAY)
    said = " must not be before the reversal that reopened it, "
    with pytest.raises(MarketError, match=re.escape("Favor.at" + said)):
        trading.complete(led, "a1", at=T0 + 3 * DAY)
    with pytest.raises(MarketError, match=re.escape("Answer.at" + said)):
        trading.answer(led, "a1", "accepted", at=T0 + DAY)
    assert trading.ask_status(led, "a1", at=T0 + 5 * DAY) == "open"


def test_complete_after_reverse_at_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "f.db")
    run(capsys, "--db", db, "ask", "dave", "carol", "1", "--id", "a1")
    run(capsys, "--db", db, "answer", "a1", "accepted")
    run(capsys, "--db", db, "complete", "a1", "--id", "c1")
    code, _, err = run(capsys, "--db", db, "reverse", "c1")
    assert (code, err) == (0, "")
    code, out, err = run(capsys, "--db", db, "complete", "a1", "--id", "c2")
    assert (code, err) == (0, "")
    assert "completes ask a1" in out
    code, out, _ = run(capsys, "--db", db, "asks")
    assert "completed" in out.splitlines()[-1]


# ------------------------------------------------------------------ property
PLEDGES = ("p0", "p1")
ASKS = ("a0", "a1")
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["call", "release", "uncall"]), st.sampled_from(PLEDGES)
        ),
        st.tuples(
            st.sampled_from(
                ["accepted", "declined", "complete", "complete-more", "uncomplete"]
            ),
            st.sampled_from(ASKS),
        ),
    ),
    min_size=10,
    max_size=20,
)


@dataclass
class Model:
    """The market as it should be, ignoring reversed favors."""

    expires: dict[str, datetime | None]
    due: dict[str, datetime]  # an undated ask's: UNDATED after it was made
    called: dict[str, str] = field(default_factory=dict)  # pledge -> favor id
    released: set[str] = field(default_factory=set)
    answered: dict[str, str] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)  # ask -> favor id

    def pledge_status(self, pledge: str, at: datetime) -> str:
        expires = self.expires[pledge]
        if pledge in self.called:
            return "called"
        if pledge in self.released:
            return "released"
        return "expired" if expires is not None and expires < at else "open"

    def ask_status(self, ask: str) -> str:
        if ask in self.completed:
            return "completed"
        return self.answered.get(ask, "open")

    def statuses(self, at: datetime) -> dict[str, str]:
        shown = {p: self.pledge_status(p, at) for p in PLEDGES}
        return shown | {a: self.ask_status(a) for a in ASKS}

    def agenda(self, at: datetime) -> dict[str, list[tuple[str, str]]]:
        """Each person's ask rows: an overdue ask still open or accepted is
        the asked person's to answer or do, and the asker's to chase."""
        rows: dict[str, list[tuple[str, str]]] = {"ann": [], "dave": []}
        for ask in ASKS:
            status = self.ask_status(ask)
            if self.due[ask] < at and status in ("open", "accepted"):
                rows["ann"].append(("answer" if status == "open" else "do", ask))
                rows["dave"].append(("chase", ask))
        return {who: sorted(items) for who, items in rows.items()}


def agenda_rows(led: Ledger, at: datetime) -> dict[str, list[tuple[str, str]]]:
    asks = {"answer", "do", "chase"}
    return {
        who: sorted(
            (i.action, *i.entries)
            for i in agenda(led, who, today=at, return_after=UNDATED)
            if i.action in asks
        )
        for who in ("ann", "dave")
    }


def statuses(led: Ledger, at: datetime) -> dict[str, str]:
    shown = {p: trading.pledge_status(led, p, at=at) for p in PLEDGES}
    return shown | {a: trading.ask_status(led, a, at=at) for a in ASKS}


def step(led: Ledger, model: Model, op: str, target: str, at: datetime) -> None:
    """Do one operation on the ledger, and on the model if it should work;
    the ledger refuses exactly what the model says is not allowed."""
    if op in ("uncall", "uncomplete"):
        done = model.called if op == "uncall" else model.completed
        if target in done:  # reverse the favor that fulfils it
            led.reverse(done.pop(target), at=at)
        return
    if op in ("call", "release"):  # neither once called, released or expired
        allowed = model.pledge_status(target, at) == "open"
    elif op == "complete-more":  # worth more than the ask: never
        allowed = False
    elif op == "complete":
        allowed = target not in model.completed and model.answered.get(target) != (
            "declined"
        )
    else:
        allowed = target not in model.answered and target not in model.completed
    if not allowed:
        with pytest.raises(MarketError):
            _do(led, op, target, at)
        return
    favor_id = _do(led, op, target, at)
    if op == "call":
        model.called[target] = favor_id
    elif op == "release":
        model.released.add(target)
    elif op == "complete":
        model.completed[target] = favor_id
    else:
        model.answered[target] = op


def _do(led: Ledger, op: str, target: str, at: datetime) -> str:
    if op == "call":
        return trading.call(led, target, at=at).id
    if op == "complete":
        return trading.complete(led, target, at=at).id
    if op == "complete-more":
        return trading.complete(led, target, value="1.5", at=at).id
    if op == "release":
        return trading.release(led, target, at=at).id
    return trading.answer(led, target, op, at=at).id


DAYS = st.lists(st.none() | st.integers(1, 20), min_size=2, max_size=2)
UNDATED = 6 * DAY  # the agenda's return_after: when an undated ask is due


@settings(max_examples=150, deadline=None)
@given(STEPS, DAYS, DAYS)
def test_statuses_ignore_reversed_favors(
    steps: list[tuple[str, str]], expiries: list[int | None], dues: list[int | None]
) -> None:
    """Pledge and ask statuses equal a model that ignores reversed favors,
    at every step's time, live, in a replay of the log and ``as_of`` each
    step's time; a call, release, answer or completion after a reversal is
    accepted whenever the model allows it. An expired pledge is neither
    called nor released, an ask is never completed for more than its value,
    and both people's agendas list each overdue open or accepted ask."""
    led = Ledger()
    expires = {
        p: None if days is None else T0 + days * DAY
        for p, days in zip(PLEDGES, expiries, strict=True)
    }
    for pledge, when in expires.items():
        trading.pledge(led, "carol", "me", 2, id=pledge, at=T0, expires=when)
    due = {
        a: None if days is None else T0 + days * DAY
        for a, days in zip(ASKS, dues, strict=True)
    }
    for ask, when in due.items():
        trading.ask(led, "dave", "ann", 1, id=ask, at=T0, due=when)
    model = Model(expires, {a: when or T0 + UNDATED for a, when in due.items()})
    seen = []
    for n, (op, target) in enumerate(steps, start=1):
        at = T0 + n * DAY
        step(led, model, op, target, at)
        seen.append((at, model.statuses(at)))
        assert statuses(led, at) == seen[-1][1]
        assert agenda_rows(led, at) == model.agenda(at)
    replayed = Ledger.from_entries(led.log)
    for at, expected in seen:
        assert statuses(led, at) == expected
        assert statuses(replayed, at) == expected
        assert statuses(led.as_of(at), at) == expected
