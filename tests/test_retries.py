"""A write retried with its id and no time is the same entry again.

A client that lost the answer to a write (a dropped connection, a killed
command) retries it with the same id. Without ``at`` the entry would get a
new time, so its body would differ and the retry would be refused as a
different entry under a known id. The promise, for every writer that takes
an ``id``: the retry returns the entry as first recorded and changes
nothing; a retry with another body is still refused, with the ledger as it
was. It holds in memory and through a second handle on the same store,
which has not seen the first write until it catches up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from favorledger import DuplicateFavorError, FavorLedgerError, Ledger, trading
from favorledger.io.sqlite import open_ledger
from tests.command_line import run

Write = Callable[[Ledger, str], object]


def given_ledger(led: Ledger) -> None:
    """What the writers below act on: debts, an open pledge and an ask."""
    led.record("ann", "bob", 5, id="f1", at="2024-01-01T00:00+00:00")
    led.record("cat", "ann", 3, id="f2", at="2024-01-01T00:00+00:00")
    trading.pledge(led, "cat", "bob", 2, id="p1", at="2024-01-01T00:00+00:00")
    trading.ask(led, "bob", "cat", 1, id="a1", at="2024-01-01T00:00+00:00")


WRITES: dict[str, Write] = {
    "record": lambda led, i: led.record("ann", "bob", 1, id=i),
    "reverse": lambda led, i: led.reverse("f1", id=i),
    "tie": lambda led, i: led.tie("ann", "bob", "0.5", id=i),
    "pledge": lambda led, i: trading.pledge(led, "ann", "bob", 2, id=i),
    "call": lambda led, i: trading.call(led, "p1", id=i),
    "release": lambda led, i: trading.release(led, "p1", id=i),
    "assign": lambda led, i: trading.assign(led, "ann", "bob", "cat", 1, id=i),
    "ask": lambda led, i: trading.ask(led, "ann", "bob", 1, id=i),
    "answer": lambda led, i: trading.answer(led, "a1", "accepted", id=i),
    "complete": lambda led, i: trading.complete(led, "a1", id=i),
}
OTHER_BODY: dict[str, Write] = {
    "record": lambda led, i: led.record("ann", "bob", 2, id=i),
    "reverse": lambda led, i: led.reverse("f2", id=i),
    "tie": lambda led, i: led.tie("ann", "bob", "0.7", id=i),
    "pledge": lambda led, i: trading.pledge(led, "ann", "bob", 3, id=i),
    "call": lambda led, i: trading.call(led, "p1", value=1, id=i),
    "release": lambda led, i: led.tie("ann", "cat", "0.5", id=i),
    "assign": lambda led, i: trading.assign(led, "ann", "bob", "cat", 2, id=i),
    "ask": lambda led, i: trading.ask(led, "ann", "bob", 2, id=i),
    "answer": lambda led, i: led.tie("ann", "cat", "0.5", id=i),
    "complete": lambda led, i: trading.complete(led, "a1", value="1/2", id=i),
}


@pytest.mark.parametrize("name", sorted(WRITES))
@settings(max_examples=10, deadline=None)
@given(retries=st.integers(1, 3))
def test_a_retry_without_a_time_is_the_same_entry(name: str, retries: int) -> None:
    led = Ledger()
    given_ledger(led)
    first = WRITES[name](led, "x1")
    log, balances = led.log, led.balances()
    for _ in range(retries):
        assert WRITES[name](led, "x1") == first
    assert led.log == log
    assert led.balances() == balances


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_retry_with_another_body_is_refused_and_changes_nothing(name: str) -> None:
    led = Ledger()
    given_ledger(led)
    WRITES[name](led, "x1")
    log = led.log
    with pytest.raises(DuplicateFavorError, match="x1"):
        OTHER_BODY[name](led, "x1")
    assert led.log == log


@pytest.mark.parametrize("name", sorted(WRITES))
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(second_first=st.booleans())
def test_a_retry_through_a_second_handle_on_the_store(
    tmp_path: Path, name: str, second_first: bool
) -> None:
    path = tmp_path / f"{name}-{second_first}.db"
    path.unlink(missing_ok=True)
    with open_ledger(str(path), create=True) as one, open_ledger(str(path)) as two:
        given_ledger(one)
        if second_first:  # the second handle has read the store already
            two.balances()
        first = WRITES[name](one, "x1")
        assert WRITES[name](two, "x1") == first
        assert two.log == one.log
    with open_ledger(str(path), readonly=True) as again:
        assert [entry.id for entry in again.log].count("x1") == 1


@pytest.mark.parametrize("name", ["pledge", "ask", "assign", "tie"])
def test_a_refused_write_does_not_replay_the_ledger(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dating an entry inside a batch keeps a refusal fast: nothing was
    written, so nothing is rolled back (no replay of the whole log)."""
    led = Ledger()
    given_ledger(led)
    log = led.log

    def replay(*_: object) -> None:
        raise AssertionError("a refused write replayed the ledger")

    monkeypatch.setattr(Ledger, "_rebuild", replay)
    bad: dict[str, Write] = {
        "pledge": lambda led, i: trading.pledge(led, "ann", "bob", -1, id=i),
        "ask": lambda led, i: trading.ask(led, "ann", "ann", 1, id=i),
        "assign": lambda led, i: trading.assign(led, "ann", "bob", "cat", 99, id=i),
        "tie": lambda led, i: led.tie("ann", "bob", 2, id=i),
    }
    with pytest.raises(FavorLedgerError):
        bad[name](led, "x1")
    assert led.log == log


COMMANDS = [
    ["tie", "ann", "bob", "0.5"],
    ["pledge", "cat", "bob", "2"],
    ["ask", "bob", "cat", "1"],
    ["reverse", "f1"],
    ["call", "p1"],
    ["release", "p1"],
    ["answer", "a1", "accepted"],
    ["complete", "a1"],
    ["assign", "ann", "bob", "cat", "1"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
def test_running_a_command_again_with_its_id_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    db = str(tmp_path / "retry.db")
    with open_ledger(db, create=True) as led:
        given_ledger(led)
    first = run(capsys, "--db", db, *argv, "--id", "x1")
    again = run(capsys, "--db", db, *argv, "--id", "x1")
    assert first[0] == again[0] == 0, again
    assert again[1] == first[1]
    with open_ledger(db, readonly=True) as led:
        assert [entry.id for entry in led.log].count("x1") == 1


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_retry_through_a_second_handle_on_postgresql(
    postgres_url: str, name: str
) -> None:
    with Ledger.open(postgres_url) as one, Ledger.open(postgres_url) as two:
        given_ledger(one)
        first = WRITES[name](one, "x1")
        assert WRITES[name](two, "x1") == first
        assert two.log == one.log
        assert [entry.id for entry in two.log].count("x1") == 1


@pytest.mark.parametrize("name", sorted(WRITES))
@pytest.mark.parametrize("bad", [["ann"], {}, 3])
def test_an_id_that_is_not_text_is_refused_with_our_error(
    name: str, bad: object
) -> None:
    """Dating a retry looks the id up; an id of the wrong type must still get
    our error (the command-line fuzz found a ``TypeError`` here)."""
    led = Ledger()
    given_ledger(led)
    log = led.log
    with pytest.raises(FavorLedgerError):
        WRITES[name](led, bad)  # type: ignore[arg-type]
    assert led.log == log
