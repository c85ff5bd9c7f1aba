"""Obligation-cycle clearing (issue 3), as hypothesis properties.

The optimum is checked against an independent brute force: on integer debts
the best clearing is an integer sum of simple cycles (the constraint matrix
is totally unimodular), so trying every multiplicity of every simple cycle
finds it without any flow solver.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import random
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import Debt, InvalidValueError, Ledger
from favorledger import clearing as clearing_module
from favorledger.clearing import Clearing, Mode, Solver, clear_cycles, clear_debts
from favorledger.ledger import Plan
from favorledger.testing.strategies import ledgers, times
from tests.test_settlement import part_of_one

Edge = tuple[str, str]
# Every solver property runs against both solvers.  Without OR-tools the
# "ortools" cases skip, except where FAVORLEDGER_REQUIRE_ORTOOLS=1 (CI sets it):
# there they run and fail, so a missing solver cannot pass quietly.
ORTOOLS_SKIPPED = importlib.util.find_spec("ortools") is None and (
    os.environ.get("FAVORLEDGER_REQUIRE_ORTOOLS") != "1"
)
SOLVERS = [
    "networkx",
    pytest.param(
        "ortools",
        marks=pytest.mark.skipif(ORTOOLS_SKIPPED, reason="pip install ortools"),
    ),
]


def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with the profile's
    own count (``HYPOTHESIS_PROFILE=thorough`` runs ten times as many)."""
    return settings(max_examples=max(1, n * settings.default.max_examples // 100))


# ------------------------------------------------------------------ helpers
def net_debts(ledger: Ledger) -> dict[Edge, Fraction]:
    """Who owes whom, netted, from the favors themselves."""
    gross: dict[Edge, Fraction] = defaultdict(Fraction)
    for favor in ledger.favors.values():
        if ledger.is_reversed(favor.id):
            continue
        gross[favor.receiver, favor.giver] += Fraction(favor.value)
        if favor.via is not None and favor.referral_share:
            share = Fraction(favor.referral_share)
            gross[favor.via, favor.giver] += Fraction(favor.value) * share
    return {
        (u, v): amount - gross.get((v, u), Fraction())
        for (u, v), amount in gross.items()
        if amount > gross.get((v, u), Fraction())
    }


def simple_cycles(edges: set[Edge]) -> list[list[Edge]]:
    """Every simple cycle, each once (starting at its smallest person)."""
    out: dict[str, list[str]] = defaultdict(list)
    for u, v in sorted(edges):
        out[u].append(v)
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in out[node]:
            if nxt == start:
                people = [*path, start]
                found.append(list(itertools.pairwise(people)))
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(out):
        walk(start, start, [start])
    return found


def brute_force_most_cleared(debts: dict[Edge, int]) -> int:
    """The most debt cancellable around cycles, trying every multiplicity."""
    cycles = simple_cycles(set(debts))
    best = 0

    def search(i: int, left: dict[Edge, int], cleared: int) -> None:
        nonlocal best
        if i == len(cycles):
            best = max(best, cleared)
            return
        cycle = cycles[i]
        most = min(left[e] for e in cycle)
        for times_ in range(most, -1, -1):
            after = dict(left)
            for e in cycle:
                after[e] -= times_
            search(i + 1, after, cleared + times_ * len(cycle))

    search(0, dict(debts), 0)
    return best


def balances(ledger: Ledger) -> dict[str, Fraction]:
    return {p: Fraction(b) for p, b in ledger.balances().items()}


def ledger_of(debts: dict[Edge, int]) -> Ledger:
    """A ledger where each ``(debtor, creditor): amount`` is one favor."""
    led = Ledger()
    for (debtor, creditor), amount in debts.items():
        led.record(creditor, debtor, amount)
    return led


PEOPLE = st.sampled_from(["ann", "bob", "cat", "dan", "eve"])
integer_ledgers = st.dictionaries(
    st.tuples(PEOPLE, PEOPLE).filter(lambda pair: pair[0] != pair[1]),
    st.integers(1, 4),
    min_size=3,
    max_size=9,
).map(ledger_of)


small_gross = st.dictionaries(
    st.tuples(
        st.sampled_from(["ann", "bob", "cat", "dan"]),
        st.sampled_from(["ann", "bob", "cat", "dan"]),
    ).filter(lambda pair: pair[0] != pair[1]),
    st.integers(1, 3),
    min_size=2,
    max_size=6,
)


# --------------------------------------------------------------- properties
@given(led=ledgers(max_people=8, max_favors=25))
@examples(100)
def test_clearing_keeps_every_net_position(led: Ledger) -> None:
    """Recording a clearing changes nobody's balance, and what remains owed
    is then exactly who owes whom."""
    before = balances(led)
    clearing = clear_cycles(led)
    recorded = led.apply(clearing)
    assert balances(led) == before
    assert led.who_owes_whom() == list(clearing.remaining)
    assert all(favor.kind == "set-off" for favor in recorded)


def thirds_around() -> Ledger:
    """Ann owes Bob a half, Bob owes Cat a third and Cat owes Ann a third:
    a third is cleared all round."""
    led = Ledger()
    for giver, receiver, value in [
        ("bob", "ann", "1/2"),
        ("cat", "bob", "1/3"),
        ("ann", "cat", "1/3"),
    ]:
        led.record(giver, receiver, value)
    return led


@given(led=ledgers(max_people=8, max_favors=25))
@example(led=thirds_around())
@examples(100)
def test_clearing_only_shrinks_existing_obligations(led: Ledger) -> None:
    """No new obligation, none grows (net clearing passes no debt on), and
    the totals add up exactly."""
    debts = net_debts(led)
    clearing = clear_cycles(led)
    assert clearing.passed == ()
    for debt in clearing.remaining:
        assert 0 < Fraction(debt.amount) <= debts[debt.debtor, debt.creditor]
    for t in clearing.transfers:
        assert 0 < Fraction(t.amount) <= debts[t.payer, t.payee]
    cleared = sum((Fraction(t.amount) for t in clearing.transfers), Fraction())
    left = sum((Fraction(d.amount) for d in clearing.remaining), Fraction())
    assert Fraction(clearing.cleared) == cleared
    assert (
        Fraction(clearing.before) == sum(debts.values(), Fraction()) == cleared + left
    )


@pytest.mark.parametrize("solver", SOLVERS)
@given(led=integer_ledgers)
@examples(300)
def test_clearing_cancels_the_most_possible(led: Ledger, solver: Solver) -> None:
    """The cleared amount equals an independent brute-force optimum."""
    debts = {edge: int(amount) for edge, amount in net_debts(led).items()}
    clearing = clear_cycles(led, solver=solver)
    assert clearing.cleared == brute_force_most_cleared(debts)


@given(led=ledgers(max_people=8, max_favors=25))
@examples(60)
def test_set_off_entries_are_explained_by_the_debt_they_cancel(led: Ledger) -> None:
    """Each set-off names obligations of exactly its pair, covering it."""
    live = led.obligations()
    for t in clear_cycles(led).transfers:
        assert t.explained_by
        assert all(part_of_one(o, live) for o in t.explained_by)
        assert {(o.debtor, o.creditor) for o in t.explained_by} == {(t.payer, t.payee)}
        assert sum(Fraction(o.amount) for o in t.explained_by) == Fraction(t.amount)


@given(led=ledgers(max_people=6, max_favors=20))
@examples(60)
def test_clearing_twice_clears_nothing_more(led: Ledger) -> None:
    """After clearing, no cycle of debts is left."""
    led.apply(clear_cycles(led))
    again = clear_cycles(led)
    assert again.cleared == 0
    assert again.transfers == ()
    assert nx.is_directed_acyclic_graph(led.to_networkx())


@pytest.mark.parametrize("mode", ["net", "gross"])
@given(led=ledgers(max_people=6, max_favors=20, market=True), moment=times())
@examples(40)
def test_clearing_as_of_a_moment_clears_that_moment(
    led: Ledger, moment: datetime, mode: Mode
) -> None:
    """``as_of`` clears, in either mode, the debts as they stood then, and
    each set-off is explained by obligations that were live then."""
    then = led.as_of(moment)
    past = clear_cycles(led, as_of=moment, mode=mode)
    assert past.remaining == clear_cycles(then, mode=mode).remaining
    assert past.passed == clear_cycles(then, mode=mode).passed
    live = then.obligations()
    for t in past.transfers:
        assert all(part_of_one(o, live, then) for o in t.explained_by)


@given(gross=small_gross)
@example(
    gross={
        ("dan", "cat"): 3,
        ("ann", "cat"): 2,
        ("cat", "ann"): 4,
        ("dan", "eve"): 3,
        ("eve", "ann"): 1,
        ("eve", "cat"): 1,
        ("cat", "dan"): 2,
        ("dan", "bob"): 3,
    }  # two debts grow, by 2 and by 1
)
@examples(100)
def test_a_clearing_lists_the_largest_first(gross: dict[Edge, int]) -> None:
    """Set-offs, what remains and what grows are each listed largest first,
    then by the two names: the same ledger always gives the same lists."""
    led = ledger_of(gross)
    for mode in ("net", "gross"):
        c = clear_cycles(led, mode=mode)  # type: ignore[arg-type]
        assert list(c.transfers) == sorted(
            c.transfers, key=lambda t: (-t.amount, t.payer, t.payee)
        )
        for debts in (c.remaining, c.passed):
            assert list(debts) == sorted(
                debts, key=lambda d: (-d.amount, d.debtor, d.creditor)
            )


@given(
    debts=st.lists(
        st.builds(Debt, PEOPLE, PEOPLE, st.integers(1, 4).map(Decimal)).filter(
            lambda d: d.debtor != d.creditor
        ),
        max_size=8,
    )
)
@example(debts=[Debt("a", "b", Decimal(1)), Debt("a", "b", Decimal(2))])
@examples(100)
def test_bare_debts_of_one_pair_are_added_up_and_netted(debts: list[Debt]) -> None:
    """``clear_debts`` first adds up each pair's debts, either way round:
    it owes what the netted debts owe, and clears their optimum."""
    gross: dict[Edge, int] = defaultdict(int)
    for d in debts:
        gross[d.debtor, d.creditor] += int(d.amount)
    net = {p: x - gross[p[::-1]] for p, x in list(gross.items()) if x > gross[p[::-1]]}
    clearing = clear_debts(debts)
    assert clearing.before == sum(net.values())
    assert clearing.cleared == brute_force_most_cleared(net)


# --------------------------------------------------------------- examples
def test_clearing_cancels_the_most_possible_on_dense_networks() -> None:
    """Many overlapping cycles: still the brute-force optimum."""
    rng = random.Random(5)
    people = ["a", "b", "c", "d", "e"]
    for _ in range(40):
        debts: dict[Edge, int] = {}
        for u, v in itertools.combinations(people, 2):
            if rng.random() < 0.8:
                debts[(u, v) if rng.random() < 0.5 else (v, u)] = rng.randint(1, 3)
        clearing = clear_cycles(ledger_of(debts))
        assert clearing.cleared == brute_force_most_cleared(debts)


def test_a_three_cycle_clears_its_smallest_debt_all_round() -> None:
    led = Ledger()
    led.record("bob", "ann", 5, id="f1")
    led.record("cat", "bob", 3, id="f2")
    led.record("ann", "cat", 4, id="f3")
    clearing = clear_cycles(led)
    assert clearing.cleared == 9
    assert clearing.before == 12
    assert [(t.payer, t.payee, t.amount) for t in clearing.transfers] == [
        ("ann", "bob", 3),
        ("bob", "cat", 3),
        ("cat", "ann", 3),
    ]
    assert isinstance(clearing, Plan)
    recorded = led.apply(clearing, reason="year-end set-off")
    assert {f.kind for f in recorded} == {"set-off"}


def test_acyclic_debts_are_left_alone() -> None:
    led = Ledger()
    led.record("bob", "ann", 5)
    led.record("cat", "bob", 3)
    clearing = clear_cycles(led)
    assert clearing == Clearing(
        transfers=(), remaining=tuple(led.who_owes_whom()), cleared=0, before=8
    )


def test_fractions_clear_without_a_residue() -> None:
    debts = [
        Debt("a", "b", Fraction(1, 3)),
        Debt("b", "c", Fraction(1, 7)),
        Debt("c", "a", Decimal("0.25")),
        Debt("c", "d", 1),
    ]
    clearing = clear_debts(debts)
    assert clearing.cleared == Fraction(3, 7)
    assert [(d.debtor, d.creditor, d.amount) for d in clearing.remaining] == [
        ("c", "d", 1),
        ("a", "b", Fraction(4, 21)),
        ("c", "a", Fraction(3, 28)),
    ]


@pytest.mark.parametrize("solver", SOLVERS)
def test_pruned_clearing_matches_one_flow_over_the_whole_network(
    solver: Solver,
) -> None:
    """Solving group by group gives the optimum of the whole network."""
    rng = random.Random(3)
    people = [f"p{i}" for i in range(120)]
    debts: dict[Edge, int] = {}
    while len(debts) < 300:
        u, v = rng.sample(people, 2)
        if (v, u) not in debts:
            debts[u, v] = rng.randint(1, 500)
    network = nx.DiGraph()
    for (u, v), amount in debts.items():
        network.add_edge(u, v, capacity=amount, weight=1)
        network.nodes[u]["demand"] = network.nodes[u].get("demand", 0) - amount
        network.nodes[v]["demand"] = network.nodes[v].get("demand", 0) + amount
    remaining, _ = nx.network_simplex(network)
    clearing = clear_debts(
        (Debt(u, v, Decimal(a)) for (u, v), a in debts.items()), solver=solver
    )
    assert clearing.before == sum(debts.values())
    assert clearing.cleared == sum(debts.values()) - remaining


def test_bad_debts_are_refused() -> None:
    """A debt that is not positive, or owed to oneself, is refused by name."""
    with pytest.raises(InvalidValueError, match="must be positive"):
        clear_debts([Debt("a", "b", Decimal(-1))])
    message = "a debt must be positive and between two people, got 'a' owes 'b' "
    with pytest.raises(InvalidValueError, match=re.escape(message + "0")):
        clear_debts([Debt("a", "b", Decimal(1)), Debt("a", "b", Decimal(0))])
    with pytest.raises(InvalidValueError, match="between two people"):
        clear_debts([Debt("a", "a", Decimal(1))])


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_clears_exact_fractions(solver: Solver) -> None:
    debts = [Debt("a", "b", Fraction(1, 3)), Debt("b", "a", Fraction(1, 7))]
    debts += [Debt("b", "c", Decimal("0.5")), Debt("c", "a", Fraction(2, 3))]
    clearing = clear_debts(debts, solver=solver)  # the cycle's least is 4/21
    assert clearing.cleared == Fraction(4, 7)


def test_a_huge_denominator_falls_back_to_networkx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    with_networkx = clearing_module._with_networkx

    def spy(*args: object) -> list[int]:
        calls.append(args)
        return with_networkx(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(clearing_module, "_with_networkx", spy)
    tiny = Fraction(1, 10**12 - 11)  # a prime denominator: the scale is huge
    debts = [Debt("a", "b", 10**14 + 2 * tiny), Debt("b", "a", tiny)]
    debts += [Debt("b", "c", Decimal(10**14)), Debt("c", "a", Decimal(10**14))]
    assert clear_debts(debts, solver="auto").cleared == 3 * 10**14
    assert len(calls) == 1


def test_solver_choices_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown solver or mode is refused naming the choices; asking for
    OR-tools without it says how to install it."""
    debts = [Debt("a", "b", Decimal(1)), Debt("b", "a", Decimal(2))]
    choices = "solver must be one of 'auto', 'networkx', 'ortools', got 'simplex'"
    with pytest.raises(InvalidValueError, match=re.escape(choices)):
        clear_debts(debts, solver="simplex")  # type: ignore[arg-type]
    modes = "mode must be one of 'net', 'gross', got 'both'"
    with pytest.raises(InvalidValueError, match=re.escape(modes)):
        clear_cycles(Ledger(), mode="both")  # type: ignore[arg-type]
    monkeypatch.setattr(clearing_module, "_ortools", lambda: None)
    install = 'solver="ortools" needs OR-tools: pip install ortools'
    with pytest.raises(ImportError, match=f"^{re.escape(install)}$"):
        clear_debts(debts, solver="ortools")
    assert clear_debts(debts, solver="auto").remaining == (Debt("b", "a", Decimal(1)),)


# ------------------------------------------- net clearing against gross (issue 11)
def brute_force_gross_without_reversal(gross: dict[Edge, int]) -> int:
    """The least total net debt any clearing of *gross* obligations leaves if
    it never reverses a pair's net debt: every multiplicity of every simple
    cycle of gross obligations (a pair owing both ways is a 2-cycle)."""
    cycles = simple_cycles(set(gross))
    start = {pair: gross[pair] - gross.get(pair[::-1], 0) for pair in gross}
    best: int | None = None

    def search(i: int, left: dict[Edge, int]) -> None:
        nonlocal best
        if i == len(cycles):
            net = {p: left[p] - left.get(p[::-1], 0) for p in left}
            if any(net[p] * start[p] < 0 or (start[p] == 0 and net[p]) for p in net):
                return  # a debt reversed
            owed = sum(x for x in net.values() if x > 0)
            best = owed if best is None else min(best, owed)
            return
        cycle = cycles[i]
        for times_ in range(min(left[e] for e in cycle), -1, -1):
            after = dict(left)
            for e in cycle:
                after[e] -= times_
            search(i + 1, after)

    search(0, dict(gross))
    assert best is not None
    return best


def test_gross_clearing_beats_net_only_by_reversing_a_debt() -> None:
    """The issue's smallest case: 2 left either way; unconstrained gross
    clearing reaches 1 only by making b owe a, who owed b."""
    gross = {("a", "b"): 3, ("b", "a"): 2, ("b", "c"): 2, ("c", "a"): 2}
    clearing = clear_cycles(ledger_of(gross))
    assert sum(d.amount for d in clearing.remaining) == 2
    assert brute_force_gross_without_reversal(gross) == 2
    gross_mode = clear_cycles(ledger_of(gross), mode="gross")
    assert sum(d.amount for d in gross_mode.remaining) == 2


@given(gross=small_gross)
@examples(100)
def test_gross_clearing_leaves_the_least_owed_without_reversing(
    gross: dict[Edge, int],
) -> None:
    """``mode="gross"`` leaves exactly the brute-force least owed, never
    reverses a net debt, never grows a gross obligation, keeps every
    balance, and applying it leaves exactly ``remaining`` per pair."""
    led = ledger_of(gross)
    before, balances_before = net_debts(led), balances(led)
    clearing = clear_cycles(led, mode="gross")
    left = sum(Fraction(d.amount) for d in clearing.remaining)
    assert left == brute_force_gross_without_reversal(gross)
    assert left <= sum(Fraction(d.amount) for d in clear_cycles(led).remaining)
    for debt in clearing.remaining:
        assert (debt.debtor, debt.creditor) in before  # same direction as before
        assert Fraction(debt.amount) <= gross[debt.debtor, debt.creditor]
    led.apply(clearing)
    assert balances(led) == balances_before
    assert led.who_owes_whom() == list(clearing.remaining)


def test_gross_clearing_grows_a_debt_to_clear_a_cycle() -> None:
    """Ann owes Bob 1 and Bob owes Ann 2 (net: Bob owes 1); Bob owes Cat 1,
    Cat owes Ann 1. Netting hides the cycle Ann -> Bob -> Cat -> Ann; gross
    clearing cancels it and Bob owes Ann 2 net (all he owes her gross)."""
    gross = {("ann", "bob"): 1, ("bob", "ann"): 2, ("bob", "cat"): 1, ("cat", "ann"): 1}
    led = ledger_of(gross)
    assert clear_cycles(led).cleared == 0
    clearing = clear_cycles(led, mode="gross")
    assert clearing.remaining == (Debt("bob", "ann", Decimal(2)),)
    assert clearing.passed == (Debt("bob", "ann", Decimal(1)),)
    led.apply(clearing)
    assert led.who_owes_whom() == [Debt("bob", "ann", Decimal(2))]


def test_the_networkx_solver_never_touches_or_tools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``solver="networkx"`` works the same whether OR-tools is there or not."""

    def broken() -> None:
        raise AssertionError("OR-tools was looked for")

    monkeypatch.setattr(clearing_module, "_ortools", broken)
    debts = [Debt("a", "b", Decimal(2)), Debt("b", "c", Decimal(1))]
    debts += [Debt("c", "a", Decimal(1))]
    assert clear_debts(debts, solver="networkx").cleared == 3


@pytest.mark.skipif(ORTOOLS_SKIPPED, reason="pip install ortools")
def test_or_tools_solves_what_fits_in_64_bits_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``solver="ortools"`` (the fast one) does not fall back to networkx
    while the amounts fit its integers."""

    def slow(*_: object) -> list[int]:
        raise AssertionError("fell back to networkx")

    monkeypatch.setattr(clearing_module, "_with_networkx", slow)
    debts = [Debt("a", "b", Decimal(2)), Debt("b", "c", Fraction(1, 3))]
    debts += [Debt("c", "a", Decimal(1))]
    assert clear_debts(debts, solver="ortools").cleared == 1


def test_gross_clearing_as_of_a_moment_ignores_later_favors() -> None:
    """As of 2 March, Bob owes Ann 2 gross and she owes him 1; Bob owes Cat
    3 and Cat owes Ann 3. Gross clearing may grow Bob's net debt to Ann only
    up to the 2 he owed her then, so 1 is cleared around the cycle Ann ->
    Bob -> Cat -> Ann, however much Bob owes Ann after that day."""
    led = Ledger()
    for giver, receiver, value, day in [
        ("ann", "bob", 2, 1),
        ("bob", "ann", 1, 1),
        ("cat", "bob", 3, 1),
        ("ann", "cat", 3, 1),
        ("ann", "bob", 5, 3),
    ]:
        led.record(giver, receiver, value, at=f"2026-03-0{day}T12:00:00+00:00")
    clearing = clear_cycles(led, as_of="2026-03-02T00:00:00+00:00", mode="gross")
    assert clearing.passed == (Debt("bob", "ann", Decimal(1)),)
    assert clearing.remaining == (
        Debt("bob", "ann", Decimal(2)),
        Debt("bob", "cat", Decimal(2)),
        Debt("cat", "ann", Decimal(2)),
    )


@given(ledgers(max_people=7, max_favors=25))
@settings(deadline=None)
def test_the_solver_sees_only_groups_around_which_debt_can_flow(
    led: Ledger,
) -> None:
    """In net mode debt is cleared only around cycles of debts, so each
    group handed to the solver is strongly connected by the net debts: a
    debt that can flow back only by running against another debt is left
    out, and the solver's answer cannot depend on it (the mutation review
    found a slip of ``cap > amount`` that handed it whole weakly connected
    parts)."""
    groups: list[list[str]] = []
    solve = clearing_module._with_networkx

    def recording(group: list[str], *rest: object) -> object:
        groups.append(list(group))
        return solve(group, *rest)  # type: ignore[arg-type]

    debts = nx.DiGraph()
    debts.add_edges_from((d.debtor, d.creditor) for d in led.who_owes_whom())
    original, clearing_module._with_networkx = solve, recording  # type: ignore[assignment]
    try:
        clear_cycles(led, solver="networkx")
    finally:
        clearing_module._with_networkx = original
    for group in groups:
        assert nx.is_strongly_connected(debts.subgraph(group)), group
