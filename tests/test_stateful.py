"""The ledger driven by random sequences of operations, against a tiny model.

Operations: record (by ``add`` and by ``record``), re-record, conflicting
ids, reversals, person restatements, pledges called or released, IOU
assignments, and settling up (settle then apply, and undoing a settlement).

The model is a dict of pairwise totals, ``owed[(debtor, creditor)]``, kept
with plain ``Fraction`` arithmetic. After every step the machine checks
conservation, that balances and ``owes`` match the model, that the log only
ever grew (append-only), and that replaying the log rebuilds the same state.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from fractions import Fraction

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

from favorledger import (
    AlreadyReversedError,
    DuplicateFavorError,
    Favor,
    Ledger,
    MarketError,
    Pledge,
    UnknownPersonError,
    total,
    trading,
)
from favorledger.settlement import settle
from favorledger.testing.strategies import favors, person_ids, values

PEOPLE = ("ann", "bob", "carol", "dan", "eve")


class LedgerMachine(RuleBasedStateMachine):
    """Random records, re-records, conflicting ids and reversals."""

    recorded = Bundle("recorded")

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.owed: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
        self.log_before: tuple = ()
        self.reversed: set[str] = set()
        self.index = self.ledger.index  # held from the start: must stay live

    def _post(self, favor: Favor, sign: int) -> None:
        self.owed[favor.receiver, favor.giver] += sign * Fraction(favor.value)
        if favor.via is not None:
            share = Fraction(favor.referral_share)
            self.owed[favor.via, favor.giver] += sign * Fraction(favor.value) * share

    @rule(target=recorded, favor=favors(people=person_ids(pool=PEOPLE)))
    def record(self, favor: Favor) -> Favor:
        stored = self.ledger.add(favor)
        assert stored.referral_share is not None or stored.via is None
        self._post(stored, +1)
        return stored

    @rule(
        target=recorded,
        pair=st.permutations(PEOPLE).map(lambda people: people[:2]),
        value=st.integers(min_value=1, max_value=1030),
        given=st.booleans(),
    )
    def record_plainly(self, pair: tuple[str, ...], value: int, given: bool) -> Favor:
        """``record``'s fast path (a small whole value, no referrer) moves the
        index as ``add`` does, whatever amounts (ratios, reversals) it holds."""
        giver, receiver = pair
        at = datetime(2030, 1, 1, tzinfo=UTC) if given else None
        favor = self.ledger.record(giver, receiver, value, at=at)
        self._post(favor, +1)
        return favor

    @rule(favor=recorded)
    def record_again_by_record(self, favor: Favor) -> None:
        """A favor recorded again by ``record`` (same id, same fields) is
        recorded once; with another value it is refused and changes nothing."""
        before = (self.ledger.log, self.ledger.balances())
        fields = attrs.asdict(favor, recurse=False)
        again = self.ledger.record(**fields)
        assert again == favor
        assert (self.ledger.log, self.ledger.balances()) == before
        fields["value"] = Fraction(favor.value) + 1
        with pytest.raises(DuplicateFavorError):
            self.ledger.record(**fields)
        assert (self.ledger.log, self.ledger.balances()) == before

    @rule(favor=recorded)
    def record_again(self, favor: Favor) -> None:
        """Invariant 3: a favor added twice is recorded once."""
        before = self.ledger.log
        assert self.ledger.add(favor) == favor
        assert self.ledger.log == before

    @rule(favor=recorded, extra=values())
    def record_conflicting_body(self, favor: Favor, extra) -> None:
        """Invariant 3 and 9: same id, other body: refused, nothing changes."""
        before = (self.ledger.log, self.ledger.balances())
        changed = attrs.evolve(favor, value=Fraction(favor.value) + Fraction(extra))
        with pytest.raises(DuplicateFavorError):
            self.ledger.add(changed)
        assert (self.ledger.log, self.ledger.balances()) == before

    @rule(favor=consumes(recorded))
    def reverse(self, favor: Favor) -> None:
        """Invariant 4: a reversal cancels a favor; reversing twice is refused."""
        if favor.id in self.reversed:
            return
        self.ledger.reverse(favor.id, at=favor.at, reason="mistake")
        self.reversed.add(favor.id)
        self._post(favor, -1)
        with pytest.raises(AlreadyReversedError):
            self.ledger.reverse(favor.id, at=favor.at)

    pledged = Bundle("pledged")

    @rule(target=pledged, favor=favors(people=person_ids(pool=PEOPLE), referrals=False))
    def pledge(self, favor: Favor) -> Pledge:
        """A pledge moves no balance (checked by the invariants)."""
        return trading.pledge(
            self.ledger,
            favor.giver,
            favor.receiver,
            favor.value,
            at=favor.at,
            kind=favor.kind,
        )

    @rule(pledge=consumes(pledged), release=st.booleans())
    def call_or_release(self, pledge: Pledge, release: bool) -> None:
        """Calling records the pledged favor; a released pledge can't be called."""
        if release:
            trading.release(self.ledger, pledge.id, at=pledge.at)
            with pytest.raises(MarketError):
                trading.call(self.ledger, pledge.id, at=pledge.at)
            return
        favor = trading.call(self.ledger, pledge.id, at=pledge.at)
        self._post(favor, +1)

    @rule(data=st.data())
    def assign(self, data: st.DataObject) -> None:
        """An assignment moves three pairwise positions and no balance."""
        owing = [
            (pair, net)
            for pair, amount in self.owed.items()
            if (net := amount - self.owed.get(pair[::-1], Fraction(0))) > 0
        ]
        if not owing:
            return
        (debtor, holder), net = data.draw(st.sampled_from(owing))
        new_holder = data.draw(
            st.sampled_from(PEOPLE).filter(lambda p: p not in (debtor, holder))
        )
        amount = data.draw(st.sampled_from([net, net / 2]))
        trading.assign(self.ledger, holder, debtor, new_holder, amount)
        for pair in ((holder, debtor), (debtor, new_holder), (new_holder, holder)):
            self.owed[pair] += amount

    settled = Bundle("settled")

    @rule(target=settled, method=st.sampled_from(["greedy", "exact", "ties"]))
    def settle_up(self, method: str) -> tuple[list[str], dict]:
        """Settle, then apply: afterwards every pair is square (the model
        evens out each pair's totals), whatever was owed before."""
        plan = settle(self.ledger, method=method)
        recorded = self.ledger.apply(plan)  # now, or after what it settles
        delta: dict[tuple[str, str], Fraction] = {}
        for (a, b), amount in list(self.owed.items()):
            net = amount - self.owed.get((b, a), Fraction(0))
            if net > 0:
                delta[b, a] = net
        for pair, amount in delta.items():
            self.owed[pair] += amount
        assert self.ledger.who_owes_whom() == []
        return [entry.id for entry in recorded], delta

    @rule(applied=consumes(settled))
    def undo_a_settlement(self, applied: tuple[list[str], dict]) -> None:
        """Reversing what apply recorded takes every pair back."""
        ids, delta = applied
        for entry_id in ids:
            self.ledger.reverse(entry_id, at="2031-06-01T00:00+00:00")
        for pair, amount in delta.items():
            self.owed[pair] -= amount

    @rule(person=st.sampled_from(PEOPLE), tag=st.sampled_from(["python", "law"]))
    def restate_person(self, person: str, tag: str) -> None:
        self.ledger.add_person(person, name=person.title(), tags={tag})
        assert self.ledger.people[person].tags == {tag}

    @rule(person=st.text(min_size=1, max_size=3).filter(lambda p: p not in PEOPLE))
    def ask_about_a_stranger(self, person: str) -> None:
        """Invariant 9: asking about an unknown person is an error."""
        if person.strip() in self.ledger.people:
            return
        with pytest.raises(UnknownPersonError):
            self.ledger.balance(person)

    @invariant()
    def balances_sum_to_exactly_zero(self) -> None:
        assert total(self.ledger.balances().values()) == 0

    @invariant()
    def balances_and_owes_match_the_model(self) -> None:
        expected: dict[str, Fraction] = defaultdict(Fraction)
        for (debtor, creditor), amount in self.owed.items():
            expected[debtor] -= amount
            expected[creditor] += amount
        for person, balance in self.ledger.balances().items():
            assert Fraction(balance) == expected[person]
        for (a, b), amount in self.owed.items():
            net = amount - self.owed.get((b, a), Fraction(0))
            assert Fraction(self.ledger.owes(a, b)) == max(net, Fraction(0))

    @invariant()
    def log_only_grows(self) -> None:
        log = self.ledger.log
        assert log[: len(self.log_before)] == self.log_before
        self.log_before = log

    @invariant()
    def views_held_from_the_start_show_the_state(self) -> None:
        """The read-only views taken when the ledger was made show its log,
        balances and debts now, as a ledger replaying the log would."""
        assert self.ledger.index is self.index
        assert tuple(self.index.entries) == self.ledger.log
        assert dict(self.index.balances) == self.ledger.balances()
        replay = Ledger.from_entries(self.ledger.log)
        assert {d: dict(r) for d, r in self.index.owed.items()} == {
            d: dict(r) for d, r in replay.index.owed.items()
        }

    @invariant()
    def replaying_the_log_rebuilds_the_state(self) -> None:
        replay = Ledger.from_entries(self.ledger.log)
        assert replay.balances() == self.ledger.balances()
        assert replay.who_owes_whom() == self.ledger.who_owes_whom()
        assert dict(replay.people) == dict(self.ledger.people)
        assert replay.obligations() == self.ledger.obligations()


LedgerMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None
)
TestLedgerMachine = LedgerMachine.TestCase
