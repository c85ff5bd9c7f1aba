"""What a settlement discharges, and why (favorledger.discharge), as
hypothesis properties against the rules its docstrings state.

Each test states one promise in its docstring. The expected debts and
obligations are computed here from the ledger's public views (who owes
whom, its obligations and favors) by the documented rule, read plainly:
chains of debts from payer to payee, shortest first and by id on ties, each
carrying what it can; then the payer's own debts and the debts owed to the
payee, by id; whoever ends up moved up too far owes, in order, whoever was
moved down; and within a pair the oldest obligations not yet paid off.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Assignment,
    Debt,
    Ledger,
    Obligation,
    Settlement,
    Transfer,
    discharge,
)
from favorledger.clearing import clear_cycles
from favorledger.settlement import explain, settle
from favorledger.testing.strategies import favors, ledgers, values

Pair = tuple[str, str]
AT = "2031-01-01T00:00+00:00"


def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with the profile."""
    return settings(
        max_examples=max(1, n * settings.default.max_examples // 100), deadline=None
    )


# --------------------------------------------------------- the rule, by hand
def net_owed(led: Ledger) -> dict[Pair, Fraction]:
    return {(d.debtor, d.creditor): Fraction(d.amount) for d in led.who_owes_whom()}


def route_by_hand(
    owed: dict[Pair, Fraction], payer: str, payee: str, amount: Fraction
) -> dict[Pair, Fraction]:
    """The debts a transfer lowers, and by how much, in the order first used."""
    used: dict[Pair, Fraction] = {}

    def spare(pair: Pair) -> Fraction:
        return owed.get(pair, Fraction(0)) - used.get(pair, Fraction(0))

    middle = sorted({p for pair in owed for p in pair} - {payer, payee})
    chains = [
        [payer, payee],
        *([payer, h, payee] for h in middle),
        *([payer, h, k, payee] for h in middle for k in middle if h != k),
    ]  # shortest first, then by id
    left = amount
    for _ in range(discharge._MAX_CHAINS):  # the search's own bound
        chain = next(
            (c for c in chains if all(spare(e) > 0 for e in pairwise(c))), None
        )
        if left <= 0 or chain is None:
            break
        step = min([left, *map(spare, pairwise(chain))])
        for edge in pairwise(chain):
            used[edge] = used.get(edge, Fraction(0)) + step
        left -= step
    for ends in (
        [(payer, c) for d, c in sorted(owed) if d == payer],
        [(d, payee) for d, c in sorted(owed) if c == payee],
    ):
        rest = left
        for edge in ends:
            step = min(rest, spare(edge))
            if step > 0:
                used[edge] = used.get(edge, Fraction(0)) + step
                rest -= step
    return used


def passed_by_hand(
    t: Transfer, used: dict[Pair, Fraction]
) -> list[tuple[str, str, Fraction]]:
    """Whoever was moved up too far owes, in order, whoever was moved down."""
    off: dict[str, Fraction] = {}
    for (d, c), x in used.items():
        off[d] = off.get(d, Fraction(0)) + x
        off[c] = off.get(c, Fraction(0)) - x
    off[t.payer] = off.get(t.payer, Fraction(0)) - Fraction(t.amount)
    off[t.payee] = off.get(t.payee, Fraction(0)) + Fraction(t.amount)
    ups = [[p, x] for p, x in off.items() if x > 0]
    downs = [[p, -x] for p, x in off.items() if x < 0]
    passed = []
    while ups and downs:
        step = min(ups[0][1], downs[0][1])
        passed.append((ups[0][0], downs[0][0], step))
        ups[0][1] -= step
        downs[0][1] -= step
        ups = ups[1:] if not ups[0][1] else ups
        downs = downs[1:] if not downs[0][1] else downs
    return passed


def sources_by_hand(led: Ledger, debtor: str, creditor: str) -> list[Obligation]:
    """What made ``debtor`` owe ``creditor``, oldest first: live favors'
    obligations, then (on a tie of dates) the live assignments and
    settlements whose moves make ``debtor`` owe ``creditor`` more."""
    favors = sorted(
        (
            (led.favors[o.favor_id].at, o)
            for o in led.obligations(debtor)
            if (o.debtor, o.creditor) == (debtor, creditor) and o.amount
        ),
        key=lambda item: item[0],
    )
    moves = [
        (entry.at, Obligation(d, c, x, entry.id, type(entry).__name__.lower()))
        for entry in led.log
        if isinstance(entry, Assignment | Settlement) and entry.id not in led.reversals
        for d, c, x in entry.effects()
        if (d, c) == (debtor, creditor) and x
    ]
    return [o for _, o in sorted(favors + moves, key=lambda item: item[0])]


def behind_by_hand(
    led: Ledger,
    used: dict[Pair, Fraction],
    cited: dict[Pair, Fraction] | None = None,
) -> tuple[Obligation, ...]:
    """For each pair, the parts of its oldest debts not yet paid off (what
    was paid comes off the oldest first, then what ``cited`` says earlier
    transfers cited) that cover the pair's share."""
    found: list[Obligation] = []
    for (debtor, creditor), portion in used.items():
        owed = sources_by_hand(led, debtor, creditor)
        total = sum((Fraction(o.amount) for o in owed), Fraction(0))
        skip = max(total - Fraction(led.owes(debtor, creditor)), Fraction(0))
        skip += (cited or {}).get((debtor, creditor), Fraction(0))
        for o in owed:
            if portion <= 0:
                break
            left = Fraction(o.amount) - skip
            skip = max(-left, Fraction(0))
            if left <= 0:
                continue
            part = min(left, Fraction(portion))
            found.append(o if part == o.amount else attrs.evolve(o, amount=part))
            portion -= part
    return tuple(found)


def triples(debts: tuple[Debt, ...]) -> list[tuple[str, str, Fraction]]:
    return [(d.debtor, d.creditor, Fraction(d.amount)) for d in debts]


# ---------------------------------------------------------------- ledgers
NAMES = ["ann", "bob", "cat", "dan", "eve"]
small_favors = favors(
    people=st.sampled_from(NAMES), amounts=values(max_value=3), referrals=True
)


@st.composite
def small_ledgers(draw: st.DrawFn) -> Ledger:
    """Up to five people and twelve favors of at most 3 (many below 1), some
    reversed: debts with spare capacity in (0, 1] are common."""
    led = Ledger(referral_share=draw(st.sampled_from(["1/2", "1/3", "1", "0"])))
    for person in NAMES:
        led.add_person(person)
    entries = draw(st.lists(small_favors, max_size=12))
    led.add_many(entries)
    for favor in draw(
        st.lists(st.sampled_from(entries), unique=True, max_size=2)
        if entries
        else st.just([])
    ):
        led.reverse(favor.id, at=favor.at)
    return led


any_ledgers = small_ledgers() | ledgers(max_people=6, max_favors=12, market=True)


def plain(*debts: tuple[str, str, str]) -> Ledger:
    """A ledger of one favor per debt, in order: ``(debtor, creditor, value)``."""
    led = Ledger()
    for day, (debtor, creditor, value) in enumerate(debts, start=1):
        led.record(creditor, debtor, value, at=f"2030-01-{day:02}T00:00+00:00")
    return led


@st.composite
def transfers(draw: st.DrawFn, led: Ledger) -> Transfer:
    """A transfer between two of the ledger's people, of an amount that is
    often exactly a debt (or two), often below 1, sometimes anything."""
    people = sorted(led.people)
    payer = draw(st.sampled_from(people))
    payee = draw(st.sampled_from([p for p in people if p != payer]))
    owed = sorted(set(net_owed(led).values()))
    exact = st.sampled_from(owed) if owed else st.nothing()
    two = st.tuples(exact, exact).map(sum) if owed else st.nothing()
    small = st.fractions(Fraction(1, 12), 1, max_denominator=12)
    amount = draw(exact | two | small | values(max_value=20))
    return Transfer(payer, payee, Fraction(amount))


# ------------------------------------------------------------- properties
@given(led=any_ledgers, data=st.data())
@examples(150)
def test_a_transfer_discharges_chains_then_its_ends_as_documented(
    led: Ledger, data: st.DataObject
) -> None:
    """Applying one transfer discharges, and ``explain`` names behind it,
    exactly what the documented rule gives: chains of debts from payer to
    payee (at most ``MAX_HOPS`` long, shortest first, by id on ties), each
    carrying all it can; what is left comes off the payer's debts and the
    debts owed to the payee, by id; whoever was moved up too far owes, in
    order, whoever was moved down; and each pair is explained by its oldest
    obligations not yet paid off that cover its share. Amounts are exact,
    fractions of 1 included."""
    led = Ledger.from_entries(led.log, referral_share=led.referral_share)
    discharges_as_documented(led, data.draw(transfers(led)))


def discharges_as_documented(led: Ledger, t: Transfer) -> None:
    used = route_by_hand(net_owed(led), t.payer, t.payee, Fraction(t.amount))
    assert explain(led, t) == behind_by_hand(led, used)
    latest = max(e.at for e in led.log).isoformat()
    # not before what it settles; more than is owed is the rule's own case
    entry = led.apply([t], at=max(AT, latest), allow_overpayment=True)[0]
    assert triples(entry.discharged) == [(d, c, x) for (d, c), x in used.items()]
    assert triples(entry.passed) == passed_by_hand(t, used)


# The rule at its edges, each a case a random ledger rarely draws:
# (debts as (debtor, creditor, value), in record order; the transfer).
EDGES = {
    "a two-hop chain of 1/2 beside a debt to someone first by id": (
        [("x", "a", "1"), ("x", "h", "1/2"), ("h", "y", "1/2")],
        ("x", "y", "1/2"),
    ),
    "a three-hop chain of 1/2": (
        [("x", "h", "1/2"), ("h", "k", "1/2"), ("k", "y", "1/2")],
        ("x", "y", "1/2"),
    ),
    "a direct debt covers it all, and another chain is left alone": (
        [("x", "y", "1"), ("x", "h", "1"), ("h", "y", "1")],
        ("x", "y", "1"),
    ),
    "the first three-hop chain uses up H -> K1, the second goes on to K2": (
        [
            ("x", "h", "2"),
            ("h", "k1", "1"),
            ("h", "k2", "1"),
            ("k1", "y", "2"),
            ("k2", "y", "1"),
        ],
        ("x", "y", "2"),
    ),
    "the first chain uses up X -> H1, the second goes through H2": (
        [("x", "h1", "1"), ("h1", "y", "5"), ("x", "h2", "1"), ("h2", "y", "1")],
        ("x", "y", "2"),
    ),
    "a middleman with more debts than the one before is searched too": (
        [
            ("x", "h1", "1"),
            ("h1", "a", "1"),
            ("x", "h2", "1"),
            ("h2", "b", "1"),
            ("h2", "k", "1"),
            ("k", "y", "1"),
        ],
        ("x", "y", "1"),
    ),
    "three owed the payee, two were owed by the payer: passed on in order": (
        [
            ("x", "a", "3"),
            ("x", "b", "3"),
            ("p", "y", "2"),
            ("q", "y", "2"),
            ("r", "y", "2"),
        ],
        ("x", "y", "6"),
    ),
    "two owed the payee, three were owed by the payer: passed on in order": (
        [
            ("x", "a", "2"),
            ("x", "b", "2"),
            ("x", "c", "2"),
            ("p", "y", "3"),
            ("q", "y", "3"),
        ],
        ("x", "y", "6"),
    ),
    "two middles, found from the payee's side (fewer owe it): the first by id": (
        [
            ("x", "a", "1"),
            ("x", "h1", "1"),
            ("x", "h2", "1"),
            ("h2", "y", "1"),
            ("h1", "y", "1"),
        ],
        ("x", "y", "1"),
    ),
    "from the payee's side, X -> H1 is used up: the second goes through H2": (
        [
            ("x", "a", "1"),
            ("x", "h1", "1"),
            ("h1", "y", "5"),
            ("x", "h2", "1"),
            ("h2", "y", "1"),
        ],
        ("x", "y", "2"),
    ),
    "the older of two obligations is half paid back": (
        [("x", "y", "1"), ("y", "x", "1/2"), ("x", "y", "1")],
        ("x", "y", "1"),
    ),
    "the older of two obligations is partly paid back": (
        [("x", "y", "5"), ("y", "x", "3"), ("x", "y", "5")],
        ("x", "y", "4"),
    ),
    "two equal obligations, the first of which covers the transfer": (
        [("x", "y", "2"), ("x", "y", "2")],
        ("x", "y", "2"),
    ),
}


@pytest.mark.parametrize("case", EDGES)
def test_a_transfer_discharges_as_documented_at_the_edges(case: str) -> None:
    """The rule above, on the cases at its edges: fractions of 1 along
    chains, a chain found after the amount is covered, an edge used up by
    the chain before, middlemen with rows of debts of different lengths,
    several people passed on to, and obligations partly paid back."""
    debts, (payer, payee, amount) = EDGES[case]
    discharges_as_documented(plain(*debts), Transfer(payer, payee, amount))


@given(led=any_ledgers, data=st.data())
@examples(100)
def test_a_two_hop_chain_is_the_same_found_from_either_side(
    led: Ledger, data: st.DataObject
) -> None:
    """The middle of a two-hop chain is looked for among the payer's
    creditors or, when fewer may owe the payee, among the payee's debtors:
    either way it is the first by id with spare on both links, so a route
    is the same whichever side is searched (here forced), including after
    the moves of transfers before it in a batch."""
    t = data.draw(transfers(led))
    before = data.draw(st.lists(transfers(led), max_size=2))
    routes = []
    for side in (True, False):
        with mock.patch.object(
            discharge._Debts, "_payees_side_fewer", return_value=side
        ):
            debts = discharge._Debts(led)
            for earlier in before:  # what a batch moved before it
                used = debts.route(earlier.payer, earlier.payee, earlier.amount)
                for (d, c), x in used.items():
                    debts.move(d, c, -x)
            routes.append(debts.route(t.payer, t.payee, t.amount))
    assert routes[0] == routes[1]
    assert list(routes[0]) == list(routes[1])  # in the same order


@pytest.mark.parametrize("few", [1, 2])
@given(led=any_ledgers, data=st.data())
@examples(60)
def test_a_transfer_from_a_hub_discharges_as_documented(
    led: Ledger, data: st.DataObject, few: int
) -> None:
    """A route's end takes a hub's first creditors (by id) from the few
    smallest ids of its row before sorting them all (issue 11's loan at
    10^5 people): with every row treated as a hub's, the rule by hand
    still holds, including when more than those few are needed."""
    led = Ledger.from_entries(led.log, referral_share=led.referral_share)
    with mock.patch.object(discharge, "_FEW_FIRST", few):
        discharges_as_documented(led, data.draw(transfers(led)))


@given(led=any_ledgers, data=st.data())
@examples(100)
def test_a_hubs_creditors_found_the_quick_ways_are_those_found_the_long_way(
    led: Ledger, data: st.DataObject
) -> None:
    """A hub owes very many, so its creditors are found without sorting
    its whole row: one by one from its few smallest ids, picked out of a
    plan's people (sorted ids most of them are among, drawn here), and,
    as a chain's middles, among those who owe anyone. Each gives, for
    every debtor, what sorting every creditor gives, also after the moves
    of transfers before it in a batch."""
    before = data.draw(st.lists(transfers(led), max_size=2))
    people = sorted(led.people)
    known = sorted(data.draw(st.sets(st.sampled_from(people)))) if people else []

    few = data.draw(st.sampled_from([1, 2, 3]))

    def debts_now() -> discharge._Debts:
        debts = discharge._Debts(led)
        for t in before:  # as a batch applies them: lowered, then passed on
            used = debts.route(t.payer, t.payee, t.amount)
            lowered = [Debt(d, c, x) for (d, c), x in used.items()]
            for debt in lowered:
                debts.move(debt.debtor, debt.creditor, -debt.amount)
            for debt in discharge._passed(t, lowered):
                debts.move(debt.debtor, debt.creditor, debt.amount)
        return debts

    unmoved = discharge._Debts(led)
    for debtor in people:
        debts = debts_now()
        long = debts_now().creditors(debtor)
        with mock.patch.object(discharge, "_FEW_FIRST", few):
            assert list(debts._by_id(debtor)) == long
            assert discharge._Debts(led).creditors_among(
                debtor, known
            ) == unmoved.creditors(debtor)
        onward = [h for h in long if debts.owed.get(h) or h in debts.extra]
        assert debts._onward_of_hub(debtor) == onward


def test_a_middleman_owing_only_what_a_batch_moved_is_searched() -> None:
    """A middleman who owes nobody in the ledger, but whom a transfer
    before, in the same batch, made owe (a debt passed on), is searched
    for three-hop chains through that debt."""
    led = plain(("x", "h", "5"), ("k", "y", "5"))
    debts = discharge._Debts(led)
    debts.move("h", "k", Fraction(5))
    assert debts.route("x", "y", Fraction(5)) == {
        ("x", "h"): 5,
        ("h", "k"): 5,
        ("k", "y"): 5,
    }


def test_what_a_passed_on_debt_adds_is_explained_by_the_oldest_obligations() -> None:
    """A pair that owes more than its favors' obligations (a debt passed on
    to it by a settlement) is explained by what made it owe, oldest first:
    here the settlement that passed the debt on."""
    led = plain(("x", "z", "5"), ("w", "y", "5"))
    led.apply([Transfer("x", "y", 5)], at=AT)  # w now owes z 5
    led.record("z", "w", 2, at="2031-02-01T00:00+00:00")
    led.record("z", "w", 2, at="2031-03-01T00:00+00:00")
    (why,) = explain(led, Transfer("w", "z", 3))
    assert (why.role, why.amount) == ("settlement", 3)
    discharges_as_documented(led, Transfer("w", "z", 3))


def test_a_long_search_for_three_hop_chains_skips_what_would_exceed_its_budget() -> (
    None
):
    """The search for three-hop chains looks at no more pairs than its
    budget (each middleman's row of debts counts in full): a middleman whose
    row would take it past what is left is skipped, and the search goes on
    with the next ones, which may fit."""
    led = plain(
        ("x", "h1", "1"),
        ("h1", "a", "1"),
        ("h1", "b", "1"),  # 2 of the 3 pairs: 1 left
        ("x", "h2", "1"),
        ("h2", "c", "1"),
        ("h2", "k2", "1"),  # 2 more would exceed it: skipped
        ("k2", "y", "1"),
        ("x", "h3", "1"),
        ("h3", "k3", "1"),  # 1 more fits
        ("k3", "y", "1"),
    )
    with mock.patch.object(discharge, "_BUDGET", 3):
        (entry,) = led.apply([Transfer("x", "y", 1)], at=AT)
    assert triples(entry.discharged) == [
        ("x", "h3", 1),
        ("h3", "k3", 1),
        ("k3", "y", 1),
    ]


@pytest.mark.parametrize(("budget", "found"), [(2, False), (3, True)])
def test_middlemen_who_owe_only_the_payer_count_against_the_budget(
    budget: int, found: bool
) -> None:
    """Issue 11 (the ``back`` shape: a hub whose creditors each owe it a
    little back): the three-hop search no longer looks for chains through
    a middleman who owes only the payer (or the payee), who has none; its
    row still counts against the budget, so the chains found are the
    same: with two such rows before ``h3``, a budget of 2 has nothing left
    for ``h3``'s row, and 3 has."""
    led = plain(
        ("x", "h1", "5"),
        ("h1", "x", "1"),  # h1 owes only the payer
        ("x", "h2", "5"),
        ("h2", "x", "1"),
        ("x", "h3", "1"),
        ("h3", "k3", "1"),
        ("k3", "y", "1"),
    )
    with mock.patch.object(discharge, "_BUDGET", budget):
        (entry,) = led.apply([Transfer("x", "y", 1)], at=AT)
    chain = [("x", "h3", 1), ("h3", "k3", 1), ("k3", "y", 1)]
    assert (triples(entry.discharged) == chain) is found


def settled(entries: list[Settlement]) -> list[tuple[object, ...]]:
    return [
        (s.payer, s.payee, s.amount, triples(s.discharged), triples(s.passed))
        for s in entries
        if s.kind != "set-off"
    ]


@given(led=any_ledgers, data=st.data())
@examples(100)
def test_a_batch_discharges_what_its_transfers_one_by_one_would(
    led: Ledger, data: st.DataObject
) -> None:
    """Applying several transfers at once records, for each in turn, what
    applying it alone would, on the debts the ones before it left (those
    they lowered, and those they passed on). The entries after the first
    are made unchecked, from checked parts: each is what the checked
    constructor makes of its fields, at the time and reason given."""
    led = Ledger.from_entries(led.log, referral_share=led.referral_share)
    one_by_one = Ledger.from_entries(led.log, referral_share=led.referral_share)
    plan = data.draw(st.lists(transfers(led), min_size=2, max_size=4))
    # any transfers, more than is owed too: the rule's own cases
    at_once = led.apply(plan, at=AT, reason=" squared up ", allow_overpayment=True)
    alone = [
        s for t in plan for s in one_by_one.apply([t], at=AT, allow_overpayment=True)
    ]
    assert settled(at_once) == settled(alone)
    for entry in at_once:
        assert entry == attrs.evolve(entry)  # the checks find nothing to change
        assert (entry.at, entry.reason, entry.kind) == (
            at_once[0].at,
            at_once[0].reason,
            at_once[0].kind,
        )


def test_a_debt_passed_on_is_paid_by_the_next_transfer_of_the_batch() -> None:
    """Z's new debtor W (passed on by the first transfer, and named with Z in
    no entry yet) is found when the second transfer pays Z."""
    plan = [Transfer("x", "y", 5), Transfer("p", "z", 5)]
    debts = [("x", "z", "5"), ("w", "y", "5"), ("p", "q", "5")]
    at_once, one_by_one = plain(*debts), plain(*debts)
    alone = [s for t in plan for s in one_by_one.apply([t], at=AT)]
    assert settled(at_once.apply(plan, at=AT)) == settled(alone)
    assert at_once.who_owes_whom() == [Debt("w", "q", Decimal(5))]


@given(led=any_ledgers)
@examples(100)
def test_a_clearing_is_explained_by_each_pairs_oldest_unpaid_obligations(
    led: Ledger,
) -> None:
    """Each transfer of a cycle clearing cancels part of its own pair's
    debt, and is explained by that pair's oldest obligations not yet paid
    off that cover it."""
    for t in clear_cycles(led).transfers:
        share = {(t.payer, t.payee): Fraction(t.amount)}
        assert t.explained_by == behind_by_hand(led, share)


def test_a_ring_of_debts_is_cleared_with_its_explanations() -> None:
    led = plain(("ann", "bob", "2"), ("bob", "cat", "3"), ("cat", "ann", "2"))
    (t1, t2, t3) = clear_cycles(led).transfers
    for t in (t1, t2, t3):
        assert [(o.debtor, o.creditor) for o in t.explained_by] == [(t.payer, t.payee)]


@given(led=any_ledgers, reason=st.text(max_size=10))
@examples(60)
def test_every_entry_apply_records_has_the_time_and_reason_given(
    led: Ledger, reason: str
) -> None:
    """Settlements, the set-off of what is left around cycles when they
    square every balance, and a cycle clearing's entry all carry the time
    and reason ``apply`` was given."""
    cleared = Ledger.from_entries(led.log, referral_share=led.referral_share)
    recorded = [
        *led.apply(settle(led), at=AT, reason=reason),
        *cleared.apply(clear_cycles(cleared), at=AT, reason=reason),
    ]
    assert {(s.at.isoformat(), s.reason) for s in recorded} <= {
        ("2031-01-01T00:00:00+00:00", reason)
    }


def test_the_set_off_around_a_ring_has_the_time_and_reason_given() -> None:
    led = plain(("ann", "bob", "2"), ("bob", "cat", "2"), ("cat", "ann", "2"))
    cleared = plain(("ann", "bob", "2"), ("bob", "cat", "2"), ("cat", "ann", "2"))
    (entry,) = led.apply([], at=AT, reason="a ring")
    (clearing,) = cleared.apply(clear_cycles(cleared), at=AT, reason="a ring")
    for s in (entry, clearing):
        assert (s.kind, s.at.isoformat(), s.reason) == (
            "set-off",
            "2031-01-01T00:00:00+00:00",
            "a ring",
        )


@pytest.mark.parametrize(
    ("payer", "payee"), [("cat", "dan"), ("ann", "dan"), ("cat", "bob"), ("ann", "bob")]
)
def test_a_transfer_nothing_owed_explains_is_a_loan(payer: str, payee: str) -> None:
    """A transfer whose payer owes nothing and whose payee is owed nothing
    (either of them perhaps new to the ledger) is, when overpaying is
    allowed, a loan: the payee now owes the payer, and only their balances
    move. (By default it is refused: tests/test_overpayment.py.)"""
    led = plain(("bob", "ann", "1"))
    before = led.balances()
    (entry,) = led.apply([Transfer(payer, payee, 2)], at=AT, allow_overpayment=True)
    assert triples(entry.passed)[-1:] == [(payee, payer, 2)]
    after = led.balances()
    for person in after:
        moved = after[person] - before.get(person, 0)
        assert moved == {payer: 2, payee: -2}.get(person, 0)


def test_explaining_as_of_a_moment_before_anything_finds_nothing() -> None:
    """As of a moment before every entry the ledger is empty: nothing is
    owed, so nothing explains a transfer (asked twice, the same)."""
    led = plain(("bob", "ann", "1"))
    early = "2020-01-01T00:00+00:00"
    for _ in range(2):
        assert explain(led, Transfer("bob", "ann", 1), as_of=early) == ()
