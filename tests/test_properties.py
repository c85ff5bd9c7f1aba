"""The ledger's promises, as hypothesis properties (DESIGN.md section 3).

Each test states one promise in its docstring. The expected values are
computed independently, with plain ``Fraction`` arithmetic over the favors,
never with favorledger's own index.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Decay,
    DuplicateFavorError,
    Favor,
    Ledger,
    Person,
    Reversal,
    Transfer,
    total,
)
from favorledger.balances import valued_balances, valued_debts
from favorledger.settlement import settle
from favorledger.testing.strategies import favors, ledgers, times

FAVOR_LISTS = st.lists(favors(), max_size=25)


def reference_pairs(entries: list[Favor], default_share: Fraction) -> dict:
    """Gross amounts per (debtor, creditor), computed from scratch."""
    pairs: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for favor in entries:
        pairs[favor.receiver, favor.giver] += Fraction(favor.value)
        if favor.via is not None:
            share = favor.referral_share
            share = default_share if share is None else Fraction(share)
            pairs[favor.via, favor.giver] += Fraction(favor.value) * share
    return pairs


def reference_balances(entries: list[Favor], default_share: Fraction) -> dict:
    balances: dict[str, Fraction] = defaultdict(Fraction)
    for (debtor, creditor), amount in reference_pairs(entries, default_share).items():
        balances[debtor] -= amount
        balances[creditor] += amount
    return balances


def live_favors(led: Ledger) -> list[Favor]:
    return [f for f in led.favors.values() if not led.is_reversed(f.id)]


def state(led: Ledger) -> tuple:
    """Everything observable about a ledger, for equality checks."""
    return (
        led.log,
        dict(led.people),
        dict(led.favors),
        led.balances(),
        led.who_owes_whom(),
        led.obligations(),
    )


# --------------------------------------------------------------- conservation
@given(ledgers())
def test_balances_sum_to_exactly_zero(led: Ledger) -> None:
    """Invariant 1: the balances of all people sum to exactly zero."""
    assert total(led.balances().values()) == 0


@given(ledgers(), st.data())
def test_balances_sum_to_zero_after_reversals(led: Ledger, data: st.DataObject) -> None:
    """Invariant 1 holds after any reversals."""
    for favor_id in data.draw(st.sets(st.sampled_from(list(led.favors) or ["-"]))):
        if favor_id in led.favors:
            led.reverse(favor_id, at=led.favors[favor_id].at)
    assert total(led.balances().values()) == 0


@given(FAVOR_LISTS)
def test_balances_follow_the_referral_rule(entries: list[Favor]) -> None:
    """A favor makes the receiver owe ``value`` and its referrer owe
    ``value * share`` (the ledger's 1/2 unless the favor states its own)."""
    led = Ledger()
    led.add_many(entries)
    expected = reference_balances(entries, Fraction(1, 2))
    assert {p: Fraction(b) for p, b in led.balances().items()} == {
        p: expected.get(p, Fraction(0)) for p in led.people
    }


@given(FAVOR_LISTS, st.sampled_from(["0", "1/3", "1/2", "1"]))
def test_ledger_share_is_used_and_written_on_the_favor(
    entries: list[Favor], share: str
) -> None:
    """The ledger's default share applies to favors that state none, and the
    stored favor states it, so a replay under another default is identical."""
    led = Ledger(referral_share=share)
    led.add_many(entries)
    expected = reference_balances(entries, Fraction(share))
    assert {p: Fraction(b) for p, b in led.balances().items()} == {
        p: expected.get(p, Fraction(0)) for p in led.people
    }
    assert all(f.referral_share is not None for f in led.favors.values() if f.via)
    replay = Ledger.from_entries(led.log, referral_share="1/7")
    assert replay.balances() == led.balances()


@given(FAVOR_LISTS)
def test_owes_is_the_pairwise_net_and_never_negative(entries: list[Favor]) -> None:
    """``owes(a, b)`` is what a owes b net of what b owes a, floored at 0."""
    led = Ledger()
    led.add_many(entries)
    pairs = reference_pairs(entries, Fraction(1, 2))
    for a in led.people:
        for b in led.people:
            if a == b:
                continue
            net = pairs.get((a, b), Fraction(0)) - pairs.get((b, a), Fraction(0))
            assert Fraction(led.owes(a, b)) == max(net, Fraction(0))


@given(ledgers())
def test_who_owes_whom_nets_pairs_and_keeps_positions(led: Ledger) -> None:
    """Each pair appears at most once, with a positive amount, largest first
    (equal amounts by debtor, then creditor), and the debts keep every
    person's net position (credits minus debts = balance)."""
    debts = led.who_owes_whom()
    pairs = [frozenset((d.debtor, d.creditor)) for d in debts]
    assert len(pairs) == len(set(pairs))
    assert all(d.amount > 0 for d in debts)
    assert [d.amount for d in debts] == sorted((d.amount for d in debts), reverse=True)
    order = [(-Fraction(d.amount), d.debtor, d.creditor) for d in debts]
    assert order == sorted(order)  # largest first, then by debtor and creditor
    position: dict[str, Fraction] = defaultdict(Fraction)
    for d in debts:
        position[d.debtor] -= Fraction(d.amount)
        position[d.creditor] += Fraction(d.amount)
    for person, balance in led.balances().items():
        assert position[person] == Fraction(balance)


@given(ledgers())
def test_networkx_graph_is_who_owes_whom(led: Ledger) -> None:
    """``to_networkx`` has an edge debtor -> creditor per debt, and every
    person as a node carrying their balance."""
    graph = led.to_networkx()
    edges = {(u, v): w for u, v, w in graph.edges(data="weight")}
    assert edges == {(d.debtor, d.creditor): d.amount for d in led.who_owes_whom()}
    assert dict(graph.nodes(data="balance")) == led.balances()


# ----------------------------------------------------------- order independence
@given(FAVOR_LISTS, st.randoms(use_true_random=False))
def test_balances_do_not_depend_on_arrival_order(entries: list[Favor], rnd) -> None:
    """Invariant 2: any arrival order gives the same balances and debts."""
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    one, two = Ledger(), Ledger()
    one.add_many(entries)
    two.add_many(shuffled)
    assert one.balances() == two.balances()
    assert one.who_owes_whom() == two.who_owes_whom()


# ------------------------------------------------------------------ idempotency
@given(ledgers())
def test_recording_a_favor_again_changes_nothing(led: Ledger) -> None:
    """Invariant 3: adding every recorded favor again changes nothing and
    returns the stored favors."""
    before = state(led)
    for favor in list(led.favors.values()):
        assert led.add(favor) is led.favors[favor.id]
    assert state(led) == before


@given(ledgers(), st.data())
def test_same_id_different_body_is_refused(led: Ledger, data: st.DataObject) -> None:
    """Invariant 3: the same id with a different body is an error, and the
    ledger is unchanged."""
    if not led.favors:
        return
    original = data.draw(st.sampled_from(list(led.favors.values())))
    changed = attrs.evolve(original, value=original.value + 1)
    before = state(led)
    with pytest.raises(DuplicateFavorError, match="value"):
        led.add(changed)
    assert state(led) == before


def _again(led: Ledger, favor: Favor, **changes: object) -> Favor:
    """``led.record`` of ``favor``'s fields with its id but no time, as a
    retry does (``changes`` replaces some of them)."""
    fields = attrs.asdict(favor, recurse=False) | changes
    giver, receiver, value = (fields.pop(k) for k in ("giver", "receiver", "value"))
    if "at" not in changes:
        del fields["at"]
    return led.record(giver, receiver, value, **fields)


@given(ledgers(), st.data())
def test_retrying_record_without_a_time_changes_nothing(
    led: Ledger, data: st.DataObject
) -> None:
    """Invariant 3 for retries: ``record`` with a recorded favor's id and
    fields but no ``at`` (which would default to now) returns the stored
    favor and changes nothing; a different value, or an explicitly different
    time, is still refused and changes nothing."""
    if not led.favors:
        return
    original = data.draw(st.sampled_from(list(led.favors.values())))
    before = state(led)
    assert _again(led, original) == original
    assert state(led) == before
    later = original.at + data.draw(
        st.timedeltas(timedelta(microseconds=1), timedelta(days=3650))
    )
    for changes, named in [
        ({"value": original.value + 1}, "value"),
        ({"at": later}, "at"),
    ]:
        with pytest.raises(DuplicateFavorError, match=f": {named} ") as refused:
            _again(led, original, **changes)
        assert ("at " in str(refused.value)) == (named == "at")
        assert state(led) == before


# ------------------------------------------------------------------ append-only
@given(ledgers(), st.data())
def test_nothing_recorded_is_ever_lost(led: Ledger, data: st.DataObject) -> None:
    """Invariant 4: every operation only appends to the log; a reversal keeps
    the reversed favor, and history shows both."""
    before = led.log
    if led.favors:
        favor = data.draw(st.sampled_from(list(led.favors.values())))
        reversal = led.reverse(favor.id, reason="a correction", at=favor.at)
        assert led.favors[favor.id] == favor
        assert reversal in led.history(favor.giver)
        assert favor in led.history(favor.receiver)
        assert led.is_reversed(favor.id)
    led.record("ann", "bob", 1)
    assert led.log[: len(before)] == before


@given(ledgers())
def test_views_are_read_only(led: Ledger) -> None:
    """Invariant 4: the public views cannot be edited."""
    with pytest.raises(TypeError):
        led.favors["x"] = Favor(giver="a", receiver="b", value=1)  # type: ignore[index]
    with pytest.raises(TypeError):
        led.people["x"] = None  # type: ignore[index]
    for favor in led.favors.values():
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            favor.value = 0  # type: ignore[misc]


# --------------------------------------------------------------------- rebuild
@given(ledgers(), st.data())
def test_replaying_the_log_rebuilds_identical_state(
    led: Ledger, data: st.DataObject
) -> None:
    """Invariant 5: replaying the log into a new ledger gives identical state."""
    for favor_id in data.draw(st.lists(st.sampled_from(list(led.favors) or ["-"]))):
        if favor_id in led.favors and not led.is_reversed(favor_id):
            led.reverse(favor_id, at=led.favors[favor_id].at)
    assert state(Ledger.from_entries(led.log)) == state(led)


# ---------------------------------------------------------------------- as_of
@given(ledgers(), times())
def test_as_of_holds_exactly_what_was_dated_by_then(led: Ledger, moment) -> None:
    """``as_of(t)`` holds the favors dated at or before t, and its balances
    equal those computed from scratch from those favors."""
    past = led.as_of(moment)
    kept = [f for f in led.favors.values() if f.at <= moment]
    assert list(past.favors.values()) == kept
    expected = reference_balances(kept, Fraction(led.referral_share))
    known = {e.id for e in led.log if isinstance(e, Person) and e.at <= moment}
    known |= {p for f in kept for p in f.people}
    assert {p: Fraction(b) for p, b in past.balances().items()} == {
        p: expected.get(p, Fraction(0)) for p in known
    }
    assert valued_balances(led, at=moment) == past.balances()
    assert valued_debts(led, at=moment) == past.who_owes_whom()
    assert total(past.balances().values()) == 0


@given(ledgers(market=True), st.data())
@settings(deadline=None)
def test_balances_at_an_entrys_own_moment_are_those_of_as_of(led: Ledger, data) -> None:
    """At the very moment of an entry, settlements, assignments and their
    reversals count as ``as_of`` that moment counts them: dated at or
    before it, they count. The moments drawn are the entries' own, where a
    slip of the boundary shows."""
    moments = sorted({e.at for e in led.log})
    if not moments:
        return
    plan = settle(led, method="greedy")
    if plan:
        later = data.draw(st.integers(0, 2), label="days after the last entry")
        applied_at = max(moments) + timedelta(days=later)
        entries = led.apply(plan, at=applied_at)
        if data.draw(st.booleans(), label="reversed"):
            led.reverse(entries[0].id, at=applied_at + timedelta(days=1))
        moments = sorted({e.at for e in led.log})
    moment = data.draw(st.sampled_from(moments), label="moment")
    past = led.as_of(moment)
    assert valued_balances(led, at=moment) == past.balances()
    assert valued_debts(led, at=moment) == past.who_owes_whom()


def test_a_settlement_reversed_at_the_moment_asked_is_undone_then() -> None:
    """Ann is owed 5; Bob pays it; the payment is reversed on 1 March. On
    1 March, Bob owes Ann 5 again, as ``as_of`` 1 March says."""
    led = Ledger()
    led.record("ann", "bob", 5, id="f1", at="2024-01-01T00:00Z")
    (paid,) = led.apply([Transfer("bob", "ann", 5)], at="2024-02-01T00:00Z")
    led.reverse(paid.id, id="r1", at="2024-03-01T00:00Z")
    then = "2024-03-01T00:00Z"
    assert (
        led.balances(at=then)
        == led.as_of(then).balances()
        == {
            "ann": 5,
            "bob": -5,
        }
    )
    assert [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom(at=then)] == [
        ("bob", "ann", 5)
    ]


@given(ledgers(), st.data())
def test_as_of_applies_reversals_dated_by_then(led: Ledger, data) -> None:
    """A favor reversed after t still counts as of t; before t, it does not."""
    if not led.favors:
        return
    favor = data.draw(st.sampled_from(list(led.favors.values())))
    later = favor.at + timedelta(days=1)
    led.reverse(favor.id, at=later)
    assert favor.id in led.as_of(favor.at).favors
    assert not led.as_of(favor.at).is_reversed(favor.id)
    assert led.as_of(later).is_reversed(favor.id)


# ---------------------------------------------------------------------- decay
DECAYS = st.builds(
    Decay,
    half_life=st.none() | st.timedeltas(timedelta(days=1), timedelta(days=3000)),
    half_lives=st.dictionaries(
        st.sampled_from(["favor", "introduction", "advice", "job"]),
        st.none() | st.timedeltas(timedelta(days=1), timedelta(days=3000)),
    ),
    quantum=st.sampled_from(["1", "0.1", "0.01", "0.0001"]),
)


@given(ledgers(), DECAYS, times())
@settings(max_examples=60)
def test_decayed_views_conserve_exactly(led: Ledger, decay: Decay, moment) -> None:
    """Under any decay policy, balances still sum to exactly zero (both sides
    of an obligation decay together), for every person in the ledger."""
    balances = led.balances(at=moment, decay=decay)
    assert total(balances.values()) == 0
    assert set(balances) == set(led.as_of(moment).people)


@given(ledgers(), DECAYS, times(), st.timedeltas(timedelta(0), timedelta(days=900)))
@settings(max_examples=60)
def test_decay_only_shrinks_value_with_time(
    led: Ledger, decay: Decay, moment: datetime, wait: timedelta
) -> None:
    """Each obligation is worth its full value at age zero, never more, and
    never more later than earlier; kinds with no half-life keep full value."""
    for favor in led.favors.values():
        for obligation in favor.obligations():
            kind = favor.kind
            full = obligation.amount
            start = decay.worth(full, kind, since=favor.at, at=favor.at)
            now = decay.worth(full, kind, since=favor.at, at=moment)
            later = decay.worth(full, kind, since=favor.at, at=moment + wait)
            assert start == full
            assert 0 <= later <= now <= full
            if decay.half_life_of(kind) is None:
                assert now == later == full


@given(FAVOR_LISTS, times())
def test_no_decay_policy_values_everything_in_full(entries, moment) -> None:
    """A ``Decay()`` that names no half-life changes nothing."""
    led = Ledger()
    led.add_many(entries)
    assert led.balances(at=moment, decay=Decay()) == led.as_of(moment).balances()


# -------------------------------------------------------------------- history
@given(ledgers())
def test_history_is_every_entry_involving_the_person_in_time_order(led) -> None:
    """``history(p)`` holds exactly the favors naming p (and reversals of
    them), ordered by time."""
    for person in led.people:
        history = led.history(person)
        favors_seen = [e for e in history if isinstance(e, Favor)]
        assert favors_seen == sorted(
            (f for f in led.favors.values() if person in f.people),
            key=lambda f: f.at,
        )
        assert all(isinstance(e, Favor | Reversal) for e in history)
        assert [e.at for e in history] == sorted(e.at for e in history)


@given(ledgers())
def test_obligations_are_derived_from_live_favors(led: Ledger) -> None:
    """``obligations()`` lists the receiver's and referrer's obligations of
    every favor not reversed; they add up to the balances."""
    obligations = led.obligations()
    assert {o.favor_id for o in obligations} <= set(led.favors)
    position: dict[str, Fraction] = defaultdict(Fraction)
    for o in obligations:
        favor = led.favors[o.favor_id]
        assert o.creditor == favor.giver
        assert o.debtor == (favor.receiver if o.role == "recipient" else favor.via)
        position[o.debtor] -= Fraction(o.amount)
        position[o.creditor] += Fraction(o.amount)
    for person, balance in led.balances().items():
        assert position[person] == Fraction(balance)
    assert {o.favor_id for o in obligations} == {f.id for f in live_favors(led)}
