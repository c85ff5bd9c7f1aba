"""Each market operation records exactly what it was given.

The operations in :mod:`favorledger.trading` build an entry from their
arguments and add it: every argument given lands in its field, the defaults
are the documented ones (kind ``"favor"``, no reason, now), a call or
completion carries the pledge's or ask's kind and reason, and the listings
include what was made at exactly the moment asked about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from favorledger import Ledger, UnknownPersonError, trading

T = [datetime(2024, 3, d, 12, tzinfo=UTC) for d in range(1, 9)]


def fresh() -> Ledger:
    """Ann, Bob and Cat, with Bob owing Ann 3 and Ann owing Cat 3."""
    led = Ledger()
    led.record("ann", "bob", 3, at=T[0], id="f-ab")
    led.record("cat", "ann", 3, at=T[0], id="f-ca")
    return led


def test_a_pledge_its_call_and_its_release_carry_every_argument() -> None:
    led = fresh()
    made = trading.pledge(
        led,
        "ann",
        "bob",
        2,
        expires=T[6],
        kind="lift",
        reason="airport",
        at=T[1],
        id="p1",
    )
    assert (made.id, made.kind, made.reason, made.at, made.expires) == (
        "p1",
        "lift",
        "airport",
        T[1],
        T[6],
    )
    called = trading.call(led, "p1", value="1.5", at=T[2], id="c1")
    assert (called.id, called.kind, called.reason, called.at, called.value) == (
        "c1",
        "lift",
        "airport",
        T[2],
        Decimal("1.5"),
    )
    assert called.fulfils == "p1"
    trading.pledge(led, "ann", "bob", 2, at=T[1], id="p2")
    released = trading.release(led, "p2", reason="not needed", at=T[3], id="r1")
    assert (released.id, released.reason, released.at) == ("r1", "not needed", T[3])


def test_the_defaults_are_a_favor_with_no_reason_now_and_a_fresh_id() -> None:
    led = fresh()
    before = datetime.now(UTC)
    made = trading.pledge(led, "ann", "bob", 2)
    asked = trading.ask(led, "ann", "bob", 1)
    for entry in (made, asked):
        assert (entry.kind, entry.reason) == ("favor", "")
        assert before <= entry.at <= datetime.now(UTC)
    assert made.id != asked.id
    assert made.expires is None
    assert asked.due is None
    released = trading.release(led, made.id)
    answered = trading.answer(led, asked.id, "accepted")
    assert released.reason == ""
    assert released.id not in (made.id, asked.id, answered.id)
    assert before <= released.at <= datetime.now(UTC)
    assert before <= answered.at <= datetime.now(UTC)


def test_an_ask_its_answer_and_its_completion_carry_every_argument() -> None:
    led = fresh()
    asked = trading.ask(
        led, "ann", "bob", 2, due=T[6], kind="lift", reason="airport", at=T[1], id="a1"
    )
    assert (asked.id, asked.kind, asked.reason, asked.at, asked.due) == (
        "a1",
        "lift",
        "airport",
        T[1],
        T[6],
    )
    answered = trading.answer(led, "a1", "accepted", at=T[2], id="n1")
    assert (answered.id, answered.status, answered.at) == ("n1", "accepted", T[2])
    done = trading.complete(led, "a1", value=1, at=T[3], id="d1")
    assert (done.id, done.kind, done.reason, done.at, done.value) == (
        "d1",
        "lift",
        "airport",
        T[3],
        Decimal(1),
    )
    assert (done.giver, done.receiver, done.fulfils) == ("bob", "ann", "a1")


def test_an_assignment_carries_every_argument() -> None:
    led = fresh()
    made = trading.assign(led, "ann", "bob", "cat", 2, at=T[1], reason="paid", id="s1")
    assert (made.id, made.reason, made.at, made.amount) == ("s1", "paid", T[1], 2)
    default = trading.assign(led, "ann", "bob", "cat", 1)
    assert default.reason == ""
    assert default.id != "s1"


def test_a_late_answer_or_release_without_a_time_is_not_before_its_entry() -> None:
    """Without ``at``, an answer or release is dated now, or at the pledge's
    or ask's own time if that is later (a pledge dated in the future)."""
    led = fresh()
    future = datetime.now(UTC) + timedelta(days=30)
    trading.pledge(led, "ann", "bob", 1, at=future, id="p1")
    trading.ask(led, "ann", "bob", 1, at=future, id="a1")
    assert trading.release(led, "p1").at == future
    assert trading.answer(led, "a1", "declined").at == future


def test_listings_include_what_was_made_at_exactly_that_moment() -> None:
    led = fresh()
    trading.pledge(led, "ann", "bob", 1, at=T[2], id="p1")
    trading.pledge(led, "cat", "ann", 1, at=T[2], id="p2")
    trading.ask(led, "ann", "bob", 1, at=T[2], id="a1")
    trading.ask(led, "cat", "ann", 1, at=T[2], id="a2")
    assert [p.id for p in trading.pledges(led, at=T[2])] == ["p1", "p2"]
    assert [p.id for p in trading.pledges(led, "bob", at=T[2])] == ["p1"]
    assert [a.id for a in trading.asks(led, at=T[2])] == ["a1", "a2"]
    assert [a.id for a in trading.asks(led, "bob", at=T[2])] == ["a1"]
    assert [a.id for a in trading.asks(led, "bob")] == ["a1"]
    assert trading.asks(led, at=T[1]) == []
    trading.answer(led, "a1", "accepted", at=T[3])
    assert trading.ask_status(led, "a1", at=T[2]) == "open"
    assert trading.ask_status(led, "a1") == "accepted"
    for stranger in ("zed", ["ann"]):
        with pytest.raises(UnknownPersonError, match="is not in the ledger"):
            trading.asks(led, stranger)  # type: ignore[arg-type]
