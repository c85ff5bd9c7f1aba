"""The market's rules, as ``Ledger.add`` enforces them on any entry.

However a market entry arrives (an operation in :mod:`favorledger.trading`,
an import, a reopened store), :class:`favorledger.market.Market` checks it
against the book before anything is recorded. The promise, rule by rule: a
refused entry raises the market's own error (``MarketError``, or
``UnknownFavorError`` for an id the ledger does not hold) whose message
names the entry, what it already is or what it breaks, and the value given
(the whole message is checked: it is what a user reads), and the ledger
changes in nothing. Entries that keep the rules are accepted; the history of
a release, an answer or a reversal belongs to the people of what it refers to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from favorledger import (
    Answer,
    Ask,
    Assignment,
    Debt,
    Favor,
    FavorLedgerError,
    Ledger,
    MarketError,
    Pledge,
    Release,
    Reversal,
    Settlement,
    UnknownFavorError,
)
from favorledger.io import dumps_entry

DAY = [datetime(2024, 3, d, 12, tzinfo=UTC) for d in range(1, 10)]
"""DAY[1] is 2 March 2024 at noon, UTC, and so on."""


def book() -> Ledger:
    """Open, called, released and expiring pledges, asks open, declined,
    accepted and completed; Bob owes Ann 2 net, Ann owes Carol 2."""
    led = Ledger()
    led.add(Pledge(id="open", giver="carol", receiver="ann", value=3, at=DAY[1]))
    led.add(Pledge(id="called", giver="carol", receiver="ann", value=3, at=DAY[1]))
    led.add(Pledge(id="released", giver="carol", receiver="ann", value=3, at=DAY[1]))
    led.add(
        Pledge(
            id="expiring",
            giver="carol",
            receiver="ann",
            value=3,
            at=DAY[1],
            expires=DAY[3],
        )
    )
    led.add(
        Favor(
            id="f-called",
            giver="carol",
            receiver="ann",
            value=2,
            at=DAY[2],
            fulfils="called",
        )
    )
    led.add(Release(id="r-released", pledge_id="released", at=DAY[2]))
    for name in ("ask", "declined", "accepted", "completed"):
        led.add(Ask(id=name, asker="ann", asked="bob", value=1, at=DAY[1]))
    led.add(Answer(id="n-declined", ask_id="declined", status="declined", at=DAY[2]))
    led.add(Answer(id="n-accepted", ask_id="accepted", status="accepted", at=DAY[2]))
    led.add(
        Favor(
            id="f-done",
            giver="bob",
            receiver="ann",
            value=1,
            at=DAY[2],
            fulfils="completed",
        )
    )
    led.add(Favor(id="f-owed", giver="ann", receiver="bob", value=3, at=DAY[1]))
    return led


def favor(fulfils: str, **changes: object) -> Favor:
    """A favor from Carol to Ann worth 1 on 5 March fulfilling ``fulfils``."""
    fields: dict[str, object] = {"giver": "carol", "receiver": "ann", "value": 1}
    return Favor(**{**fields, "at": DAY[4], "fulfils": fulfils, **changes})  # type: ignore[arg-type]


REFUSED: list[tuple[str, Callable[[], object], type[FavorLedgerError], str]] = [
    (
        "call-called",
        lambda: favor("called"),
        MarketError,
        "pledge 'called' is called; it cannot be called",
    ),
    (
        "call-called-backdated",
        lambda: favor("called", at=DAY[1]),
        MarketError,
        "pledge 'called' is called; it cannot be called",
    ),
    (
        "call-released-backdated",
        lambda: favor("released", at=DAY[1]),
        MarketError,
        "pledge 'released' is released; it cannot be called",
    ),
    (
        "complete-completed-backdated",
        lambda: favor("completed", giver="bob", at=DAY[1]),
        MarketError,
        "ask 'completed' is completed; it cannot be completed",
    ),
    (
        "call-released",
        lambda: favor("released"),
        MarketError,
        "pledge 'released' is released; it cannot be called",
    ),
    (
        "call-expired",
        lambda: favor("expiring"),
        MarketError,
        "pledge 'expiring' is expired; it cannot be called",
    ),
    (
        "call-wrong-way",
        lambda: favor("open", giver="ann", receiver="carol"),
        MarketError,
        "a call of pledge 'open' must be a favor from 'carol' to 'ann',"
        " got 'ann' to 'carol'",
    ),
    (
        "call-wrong-giver",
        lambda: favor("open", giver="bob"),
        MarketError,
        "a call of pledge 'open' must be a favor from 'carol' to 'ann',"
        " got 'bob' to 'ann'",
    ),
    (
        "call-too-much",
        lambda: favor("open", value="3.5"),
        MarketError,
        "Favor.value of a call of pledge 'open' must not exceed the pledge's value 3,"
        " got 3.5",
    ),
    (
        "call-too-early",
        lambda: favor("open", at=DAY[0]),
        MarketError,
        "Favor.at must not be before the pledge's time 2024-03-02T12:00+00:00,"
        " got 2024-03-01T12:00+00:00",
    ),
    (
        "fulfils-nothing",
        lambda: favor("nothing"),
        UnknownFavorError,
        "Favor.fulfils names no pledge or ask in the ledger: 'nothing'",
    ),
    (
        "complete-completed",
        lambda: favor("completed", giver="bob"),
        MarketError,
        "ask 'completed' is completed; it cannot be completed",
    ),
    (
        "complete-declined",
        lambda: favor("declined", giver="bob"),
        MarketError,
        "ask 'declined' is declined; it cannot be completed",
    ),
    (
        "complete-wrong-way",
        lambda: favor("ask", giver="ann", receiver="bob"),
        MarketError,
        "completing ask 'ask' takes a favor from 'bob' to 'ann', got 'ann' to 'bob'",
    ),
    (
        "complete-too-early",
        lambda: favor("ask", giver="bob", at=DAY[0]),
        MarketError,
        "Favor.at must not be before the ask's time 2024-03-02T12:00+00:00,"
        " got 2024-03-01T12:00+00:00",
    ),
    (
        "release-called",
        lambda: Release(pledge_id="called", at=DAY[4]),
        MarketError,
        "pledge 'called' is called; it cannot be released",
    ),
    (
        "release-released",
        lambda: Release(pledge_id="released", at=DAY[4]),
        MarketError,
        "pledge 'released' is released; it cannot be released",
    ),
    (
        "release-too-early",
        lambda: Release(pledge_id="open", at=DAY[0]),
        MarketError,
        "Release.at must not be before the pledge's time 2024-03-02T12:00+00:00,"
        " got 2024-03-01T12:00+00:00",
    ),
    (
        "release-unknown",
        lambda: Release(pledge_id="nothing", at=DAY[4]),
        UnknownFavorError,
        "pledge 'nothing' is not in the ledger",
    ),
    (
        "answer-answered",
        lambda: Answer(ask_id="accepted", status="declined", at=DAY[4]),
        MarketError,
        "ask 'accepted' is already answered",
    ),
    (
        "answer-completed",
        lambda: Answer(ask_id="completed", status="accepted", at=DAY[4]),
        MarketError,
        "ask 'completed' is already completed",
    ),
    (
        "answer-too-early",
        lambda: Answer(ask_id="ask", status="accepted", at=DAY[0]),
        MarketError,
        "Answer.at must not be before the ask's time"
        " 2024-03-02T12:00+00:00,"
        " got 2024-03-01T12:00+00:00",
    ),
    (
        "answer-unknown",
        lambda: Answer(ask_id="nothing", status="accepted", at=DAY[4]),
        UnknownFavorError,
        "ask 'nothing' is not in the ledger",
    ),
    (
        "assign-too-much",
        lambda: Assignment(
            holder="ann", debtor="bob", new_holder="carol", amount=3, at=DAY[4]
        ),
        MarketError,
        "Assignment.amount exceeds what 'bob' owes 'ann' (2), got 3",
    ),
    (
        "settle-too-much",
        lambda: Settlement(
            payer="bob",
            payee="ann",
            amount=3,
            at=DAY[4],
            discharged=[Debt("bob", "ann", 3)],
        ),
        MarketError,
        "Settlement.discharged exceeds what 'bob' owes 'ann' (2), got 3",
    ),
    (
        "settle-the-wrong-way",
        lambda: Settlement(
            payer="ann",
            payee="bob",
            amount=1,
            at=DAY[4],
            discharged=[Debt("ann", "bob", 1)],
        ),
        MarketError,
        "Settlement.discharged exceeds what 'ann' owes 'bob' (0), got 1",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSED],
)
def test_an_entry_breaking_a_market_rule_is_refused_by_name_and_changes_nothing(
    make: Callable[[], object], error: type[FavorLedgerError], message: str
) -> None:
    """Each refusal is its own error, with the whole message a user reads.
    A pledge is called, and an ask completed, once: a second favor dated
    before the first is refused too, saying what it already is."""
    led = book()
    before = [dumps_entry(e) for e in led.log], led.balances()
    with pytest.raises(FavorLedgerError) as caught:
        led.add(make())  # type: ignore[arg-type]
    assert type(caught.value) is error
    assert str(caught.value) == message
    assert ([dumps_entry(e) for e in led.log], led.balances()) == before


ACCEPTED: list[tuple[str, Callable[[], object]]] = [
    ("call-in-part-on-time", lambda: favor("open", value="2.5", at=DAY[1])),
    ("call-before-expiry", lambda: favor("expiring", at=DAY[3])),
    ("complete-an-open-ask", lambda: favor("ask", giver="bob", at=DAY[1])),
    ("complete-an-accepted-ask", lambda: favor("accepted", giver="bob")),
    ("release-when-made", lambda: Release(pledge_id="open", at=DAY[1])),
    ("release-after-expiry", lambda: Release(pledge_id="expiring", at=DAY[5])),
    ("answer-when-asked", lambda: Answer(ask_id="ask", status="declined", at=DAY[1])),
    (
        "assign-all-owed",
        lambda: Assignment(
            holder="ann", debtor="bob", new_holder="carol", amount=2, at=DAY[4]
        ),
    ),
    (
        "settle-all-owed",
        lambda: Settlement(
            payer="bob",
            payee="ann",
            amount=2,
            at=DAY[4],
            discharged=[Debt("bob", "ann", 1), Debt("bob", "ann", 1)],
        ),
    ),
]


@pytest.mark.parametrize("make", [pytest.param(c[1], id=c[0]) for c in ACCEPTED])
def test_an_entry_keeping_the_rules_is_recorded(make: Callable[[], object]) -> None:
    """The rules refuse only what breaks them: at the limits, entries pass."""
    led = book()
    entry = make()
    led.add(entry)  # type: ignore[arg-type]
    assert led.log[-1] == entry


def test_a_split_settlement_is_checked_on_its_total() -> None:
    """Two discharges of one pair count together against what is owed."""
    led = book()
    too_much = [Debt("bob", "ann", 2), Debt("bob", "ann", 2)]
    with pytest.raises(MarketError, match=r"^Settlement\.discharged exceeds .* got 4$"):
        led.add(
            Settlement(
                payer="bob", payee="ann", amount=4, at=DAY[4], discharged=too_much
            )
        )


def test_statuses_change_at_the_moment_of_the_entry() -> None:
    """A pledge is called, released or expired, and an ask answered or
    completed, from the moment of that entry on, not a moment before."""
    led = book()
    market = led.market
    status = market.pledge_status
    moment = timedelta(microseconds=1)
    assert status(market.pledge("called"), DAY[2]) == "called"
    assert status(market.pledge("called"), DAY[2] - moment) == "open"
    assert status(market.pledge("released"), DAY[2]) == "released"
    assert status(market.pledge("released"), DAY[2] - moment) == "open"
    assert status(market.pledge("expiring"), DAY[3]) == "open"
    assert status(market.pledge("expiring"), DAY[3] + moment) == "expired"
    assert market.ask_status(market.ask("completed"), DAY[2]) == "completed"
    assert market.ask_status(market.ask("completed"), DAY[2] - moment) == "open"
    assert market.ask_status(market.ask("accepted"), DAY[2]) == "accepted"
    assert market.ask_status(market.ask("declined"), DAY[2]) == "declined"
    assert market.ask_status(market.ask("declined"), DAY[2] - moment) == "open"


def test_a_release_answer_or_reversal_is_in_the_history_of_its_people() -> None:
    """A release is history for the pledge's two people, an answer for the
    ask's, a reversal for those of the favor or entry it undoes; a pledge
    for its own two people, and no one else's."""
    led = book()
    paid = [Debt("bob", "ann", 1)]
    led.add(
        Settlement(
            id="s", payer="bob", payee="ann", amount=1, discharged=paid, at=DAY[4]
        )
    )
    led.add(Reversal(id="undo-settlement", favor_id="s", at=DAY[5]))
    led.add(Reversal(id="undo-favor", favor_id="f-called", at=DAY[5]))
    led.add(Pledge(id="dan's", giver="dan", receiver="eve", value=1, at=DAY[4]))
    ids = {p: [e.id for e in led.history(p)] for p in ("ann", "bob", "carol", "dan")}
    assert "r-released" in ids["ann"]
    assert "r-released" in ids["carol"]
    assert "r-released" not in ids["bob"]
    assert "n-declined" in ids["ann"]
    assert "n-declined" in ids["bob"]
    assert "n-declined" not in ids["carol"]
    assert "undo-settlement" in ids["bob"]
    assert "undo-settlement" not in ids["carol"]
    assert "undo-favor" in ids["carol"]
    assert "undo-favor" not in ids["bob"]
    assert ids["dan"] == ["dan's"]
    assert Decimal(0) == led.balance("dan")
