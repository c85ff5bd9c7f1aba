"""Settling up at a stated time, undoing an assignment, and what an
assignment passed on (newcomer trial 4: W2, E5, P3; review z11r: ``ties``
with ``as_of``). Each "what was seen" is a regression test written before
its fix.

The promises:

* a settlement or set-off is never dated before an entry between the
  people whose debts it settles: ``Ledger.apply(plan, at=...)`` and
  ``settle``/``clear --apply --at`` refuse such a time, naming ``at`` (or
  ``--at``) and that entry, and change nothing; so a past balance never
  shows a debt settled before it was owed. Without ``at``, the entries are
  dated now, or at that latest entry if it is later (as ``reverse`` does).
  A settlement read from a store or a file is taken as recorded;
* ``reverse`` undoes an assignment exactly (every pair as before it, no
  balance moved), once, never dated before it, and the result replays;
* ``assigned_favors`` follows a chain of assignments back to the favors
  at its root, so settle's "why" never stops at an assignment;
* ``settle(led, method="ties", as_of=t)`` settles along the relationships
  that existed at ``t``: it equals settling the ledger as it stood then.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from favorledger import (
    AlreadyReversedError,
    Assignment,
    Debt,
    InvalidFavorError,
    Ledger,
    MarketError,
    Settlement,
    assigned_favors,
    trading,
)
from favorledger.clearing import clear_cycles
from favorledger.io.graphs import read_gexf, read_graphml, write_gexf, write_graphml
from favorledger.io.jsonl import read_jsonl, write_jsonl
from favorledger.io.sqlite import open_ledger
from favorledger.settlement import settle
from favorledger.testing.strategies import favors, ledgers, person_ids, times
from tests.command_line import run

METHODS = ["exact", "greedy", "ties", "auto"]


def examples(n: int) -> settings:
    """``n`` examples under the default profile, scaled with the profile."""
    return settings(
        max_examples=max(1, n * settings.default.max_examples // 100), deadline=None
    )


def state(led: Ledger) -> tuple[int, list[object], dict[str, object]]:
    """What a refused write must leave as it was."""
    return len(led.log), led.who_owes_whom(), led.balances()


def net_pairs(
    led: Ledger, at: datetime | None = None
) -> dict[tuple[str, str], Fraction]:
    """Each ordered pair's net debt (both directions, signed)."""
    found: dict[tuple[str, str], Fraction] = {}
    for d in led.who_owes_whom(at=at):
        found[(d.debtor, d.creditor)] = Fraction(d.amount)
        found[(d.creditor, d.debtor)] = -Fraction(d.amount)
    return found


# ------------------------------------------- W2: what was seen (regressions)
def carol_in_june() -> Ledger:
    led = Ledger()
    led.record("carol", "me", 3, id="f1", at="2026-06-01T00:00Z")
    return led


def test_a_settlement_dated_before_the_favor_it_pays_is_refused() -> None:
    """W2: ``led.apply(settle(led), at="2026-01-01")`` on a favor of June
    succeeded, and the balances of March showed a debt settled before it
    was owed."""
    led = carol_in_june()
    before = state(led)
    with pytest.raises(MarketError) as caught:
        led.apply(settle(led), at="2026-01-01T00:00Z")
    message = str(caught.value)
    assert message.startswith("at must not be before ")
    assert "favor 'f1'" in message
    assert "2026-06-01" in message
    assert state(led) == before
    assert led.who_owes_whom(at="2026-03-01T00:00Z") == []


def test_a_set_off_dated_before_its_debts_is_refused() -> None:
    """W2: ``clear --apply --at`` before the favors of a cycle recorded a
    set-off before the debts it cancels."""
    led = Ledger()
    for i, (giver, receiver) in enumerate([("a", "b"), ("b", "c"), ("c", "a")]):
        led.record(giver, receiver, 2, id=f"f{i}", at=f"2026-06-0{i + 1}T00:00Z")
    before = state(led)
    with pytest.raises(MarketError, match=r"^at must not be before .*'f2'"):
        led.apply(clear_cycles(led), at="2026-06-02T00:00Z")
    assert state(led) == before
    (entry,) = led.apply(clear_cycles(led), at="2026-06-03T00:00Z")
    assert entry.kind == "set-off"
    assert led.who_owes_whom() == []


def test_a_reversal_counts_as_an_entry_between_the_two() -> None:
    """Bob owed Ann 2 net in March (3, less a favor back of 1, reversed only
    in June): a settlement of the 3 he owes now is not dated in March."""
    led = Ledger()
    led.record("ann", "bob", 3, id="f1", at="2026-01-01T00:00Z")
    led.record("bob", "ann", 1, id="f2", at="2026-01-15T00:00Z")
    led.reverse("f2", id="r2", at="2026-06-01T00:00Z")
    with pytest.raises(MarketError, match=r"^at must not be before .* 'r2' of 2026-06"):
        led.apply(settle(led), at="2026-03-01T00:00Z")
    (entry,) = led.apply(settle(led), at="2026-06-01T00:00Z")
    assert entry.amount == 3


def test_without_a_time_the_settlement_is_not_dated_before_its_debts() -> None:
    """A favor dated later than now (a replica whose clock ran ahead) is
    settled at its own time, as ``reverse`` dates a reversal."""
    led = Ledger()
    led.record("carol", "me", 3, id="f1", at="2999-01-01T00:00Z")
    (entry,) = led.apply(settle(led))
    assert entry.at == datetime(2999, 1, 1, tzinfo=UTC)


def test_a_stored_settlement_is_taken_as_recorded() -> None:
    """The rule is the operation's, not the log's: a settlement already in a
    log (an older store, a file) replays whatever its time."""
    led = carol_in_june()
    early = Settlement(
        payer="me",
        payee="carol",
        amount=3,
        discharged=[Debt("me", "carol", 3)],
        at="2026-01-01T00:00Z",
        id="s1",
    )
    led.add(early)
    assert Ledger.from_entries(led.log).who_owes_whom() == []


def test_settle_and_clear_at_before_the_favors_are_refused_by_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """W2 at the command line: ``settle --apply --at`` before the favor gave
    rc 0, and ``balance --at`` then showed "carol owes me 3" in March."""
    db = str(tmp_path / "a.db")
    sh = ("--db", db)
    run(capsys, *sh, "record", "carol", "me", "3", "--id", "f1", "--at", "2026-06-01")
    for command in ("settle", "clear"):
        run(capsys, *sh, "record", "me", "x", "1", "--at", "2026-06-02")
        run(capsys, *sh, "record", "x", "carol", "1", "--at", "2026-06-03")
        code, out, err = run(capsys, *sh, command, "--apply", "--at", "2026-01-01")
        assert code == 2, (command, out)
        assert err.startswith("favorledger: error: --at must not be before "), err
        assert "2026-06-0" in err
    code, out, _ = run(capsys, "--db", db, "--json", "balance", "--at", "2026-03-01")
    assert code == 0
    assert all(row["balance"] in ("0", "0.0") for row in json.loads(out))
    code, out, _ = run(capsys, "--db", db, "--json", "log", "--type", "settlement")
    assert json.loads(out) == []
    assert run(capsys, "--db", db, "settle", "--apply", "--at", "2026-06-03")[0] == 0


def test_log_shows_a_set_off_by_what_it_clears(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """W2's polish note: ``log`` showed a set-off as ``None -> None
    (set-off)`` with an empty value column."""
    db = str(tmp_path / "a.db")
    for giver, receiver in [("a", "b"), ("b", "c"), ("c", "a")]:
        run(capsys, "--db", db, "record", giver, receiver, "2", "--at", "2026-06-01")
    assert run(capsys, "--db", db, "clear", "--apply")[0] == 0
    code, out, _ = run(capsys, "--db", db, "log", "--type", "settlement")
    assert code == 0
    (row,) = [line for line in out.splitlines() if "set-off" in line]
    assert "None" not in row
    assert "set-off: clears " in row
    assert " 6 " in row  # what it cleared in all: 2 around a cycle of three


@given(
    led=ledgers(max_people=5, max_favors=10, market=True),
    method=st.sampled_from(METHODS),
    at=times(),
)
@examples(100)
def test_a_settlement_discharges_only_what_was_owed_at_its_time(
    led: Ledger, method: str, at: datetime
) -> None:
    """``apply(plan, at=t)`` either refuses, naming ``at``, and changes
    nothing, or each settlement, in order, discharges of each pair no more
    than was owed (net) at ``t``: the ledger as of ``t`` plus the earlier
    settlements of the same plan. A time after every entry is never
    refused."""
    plan = settle(led, method=method)
    assume(plan)
    owed = net_pairs(led, at)
    before = state(led)
    if at < max(entry.at for entry in led.log):
        try:
            recorded = led.apply(plan, at=at)
        except MarketError as error:
            refused = str(error)
        else:
            refused = ""
        event("refused" if refused else "recorded, though before some entry")
        if refused:
            assert refused.startswith("at must not be before ")
            assert state(led) == before
            return
    else:  # after every entry: never refused
        event("after every entry")
        recorded = led.apply(plan, at=at)
    for entry in recorded:
        assert entry.at == at
        lowered: dict[tuple[str, str], Fraction] = {}
        for d in entry.discharged:
            pair = (d.debtor, d.creditor)
            lowered[pair] = lowered.get(pair, Fraction(0)) + Fraction(d.amount)
        for pair, amount in lowered.items():
            assert amount <= owed.get(pair, Fraction(0)), (pair, amount, owed)
        for debtor, creditor, amount in entry.effects():
            x = Fraction(amount)
            owed[(debtor, creditor)] = owed.get((debtor, creditor), Fraction(0)) + x
            owed[(creditor, debtor)] = owed.get((creditor, debtor), Fraction(0)) - x


# ------------------------------------------------ E5: undoing an assignment
def assigned() -> Ledger:
    led = Ledger()
    led.record("me", "bob", 2, id="f1", at="2024-01-01T00:00Z")
    led.record("carol", "me", 2, id="f2", at="2024-01-02T00:00Z")
    return led


def test_reverse_undoes_an_assignment_exactly() -> None:
    """E5: an assignment could not be reversed (``no favor has an id
    beginning 'c47ad40'; ... is an assignment``), and nothing said how to
    undo it."""
    led = assigned()
    debts, balances = led.who_owes_whom(), led.balances()
    trading.assign(led, "me", "bob", "carol", 2, id="a1", at="2024-01-03T00:00Z")
    assert led.who_owes_whom() != debts
    undo = led.reverse("a1", at="2024-01-04T00:00Z", reason="wrong person")
    assert undo.favor_id == "a1"
    assert led.who_owes_whom() == debts
    assert led.balances() == balances
    assert led.who_owes_whom(at="2024-01-03T12:00Z") != debts  # it stood then
    assert led.who_owes_whom(at="2024-01-04T00:00Z") == debts
    assert Ledger.from_entries(led.log).who_owes_whom() == debts
    with pytest.raises(AlreadyReversedError, match=r"^assignment 'a1' was already"):
        led.reverse("a1")
    assert assigned_favors(led, "a1") == []  # it passes on nothing any more


def test_an_assignment_is_not_reversed_before_it_was_made() -> None:
    led = assigned()
    trading.assign(led, "me", "bob", "carol", 2, id="a1", at="2024-01-03T00:00Z")
    before = state(led)
    with pytest.raises(InvalidFavorError, match="assignment's time"):
        led.reverse("a1", at="2024-01-02T00:00Z")
    assert state(led) == before


def test_the_command_reverses_an_assignment_and_history_marks_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """E5 at the command line, through a store: the reversal replays, and
    ``check``, ``history`` and an export keep working."""
    db = str(tmp_path / "a.db")
    run(capsys, "--db", db, "record", "me", "bob", "2")
    run(capsys, "--db", db, "record", "carol", "me", "2")
    code, out, _ = run(capsys, "--db", db, "--json", "owes")
    debts = json.loads(out)
    code, out, err = run(
        capsys, "--db", db, "--json", "assign", "me", "bob", "carol", "2"
    )
    assert code == 0, err
    assignment = json.loads(out)["id"]
    code, out, err = run(capsys, "--db", db, "reverse", assignment)
    assert code == 0, err
    assert f"of assignment {assignment}" in out
    assert json.loads(run(capsys, "--db", db, "--json", "owes")[1]) == debts
    assert run(capsys, "--db", db, "check")[0] == 0
    code, out, _ = run(capsys, "--db", db, "history", "bob")
    assert "assignment (reversed)" in out
    target = tmp_path / "all.jsonl"
    assert run(capsys, "--db", db, "export", str(target))[0] == 0
    again = Ledger.from_entries(read_jsonl(target))
    assert [d.amount for d in again.who_owes_whom()] == [
        d.amount for d in open_ledger(db).who_owes_whom()
    ]


@given(led=ledgers(max_people=5, max_favors=10, market=True), data=st.data())
@examples(100)
def test_reversing_an_assignment_restores_every_pair_and_replays(
    led: Ledger, data: st.DataObject
) -> None:
    """Reversing a live assignment moves every pair back by exactly its
    effects and no balance; the log replays and round-trips JSON Lines."""
    live = [
        e for e in led.log if isinstance(e, Assignment) and e.id not in led.reversals
    ]
    assume(live)
    entry = data.draw(st.sampled_from(live))
    expected = net_pairs(led)
    for debtor, creditor, amount in entry.effects():
        x = Fraction(amount)
        expected[(debtor, creditor)] = expected.get((debtor, creditor), 0) - x
        expected[(creditor, debtor)] = expected.get((creditor, debtor), 0) + x
    balances = led.balances()
    latest = max(e.at for e in led.log)
    led.reverse(entry.id, at=latest)
    after = net_pairs(led)
    for pair in set(expected) | set(after):
        assert after.get(pair, 0) == expected.get(pair, 0), pair
    assert led.balances() == balances
    again = Ledger.from_entries(led.log)
    assert again.who_owes_whom() == led.who_owes_whom()
    assert led.who_owes_whom(at=latest) == led.who_owes_whom()


def test_the_file_round_trip_keeps_an_assignments_reversal(tmp_path: Path) -> None:
    """JSON Lines, GraphML and GEXF keep a reversed assignment and its
    reversal (CSV holds favors only, as documented)."""
    led = assigned()
    trading.assign(led, "me", "bob", "carol", 2, id="a1", at="2024-01-03T00:00Z")
    led.reverse("a1", at="2024-01-04T00:00Z")
    write_jsonl(led.log, tmp_path / "x.jsonl")
    again = Ledger.from_entries(read_jsonl(tmp_path / "x.jsonl"))
    assert again.log == led.log
    assert again.who_owes_whom() == led.who_owes_whom()
    for write, read, name in (
        (write_graphml, read_graphml, "x.graphml"),
        (write_gexf, read_gexf, "x.gexf"),
    ):
        write(led, tmp_path / name)
        graphed = Ledger.from_entries(read(tmp_path / name))
        assert graphed.reversals.keys() == {"a1"}
        assert graphed.who_owes_whom() == led.who_owes_whom()


# ------------------------------------- P3: a chain of assignments, to its root
def undone_by_assignment() -> Ledger:
    led = assigned()
    trading.assign(led, "me", "bob", "carol", 2, id="a1", at="2024-01-03T00:00Z")
    trading.assign(led, "carol", "bob", "me", 2, id="a2", at="2024-01-04T00:00Z")
    return led


def test_the_why_follows_a_chain_of_assignments_to_its_favors() -> None:
    """P3: after ``assign me bob carol 2`` and ``assign carol bob me 2``,
    settle's transfer cited the second assignment only, and
    ``assigned_favors(led, a2)`` was ``[]``."""
    led = undone_by_assignment()
    assert [f.id for f in assigned_favors(led, "a2")] == ["f1"]
    assert [f.id for f in assigned_favors(led, "a1")] == ["f1"]


def test_passing_on_part_of_an_assigned_debt_passes_on_its_part_of_the_favors() -> None:
    """I passed Bob's whole debt (f1, then f2) to Carol; Carol passes it on
    to Dan in two halves: the first half falls on f1, the second on f2."""
    led = Ledger()
    led.record("me", "bob", 2, id="f1", at="2024-01-01T00:00Z")
    led.record("me", "bob", 2, id="f2", at="2024-01-02T00:00Z")
    led.record("carol", "me", 4, id="f3", at="2024-01-03T00:00Z")
    led.record("dan", "carol", 4, id="f4", at="2024-01-03T00:00Z")
    trading.assign(led, "me", "bob", "carol", 4, id="a1", at="2024-02-01T00:00Z")
    trading.assign(led, "carol", "bob", "dan", 2, id="a2", at="2024-02-02T00:00Z")
    trading.assign(led, "carol", "bob", "dan", 2, id="a3", at="2024-02-03T00:00Z")
    assert [f.id for f in assigned_favors(led, "a1")] == ["f1", "f2"]
    assert [f.id for f in assigned_favors(led, "a2")] == ["f1"]
    assert [f.id for f in assigned_favors(led, "a3")] == ["f2"]


def test_the_command_cites_the_root_favor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "a.db")
    run(capsys, "--db", db, "record", "me", "bob", "2", "--id", "f1")
    run(capsys, "--db", db, "record", "carol", "me", "2", "--id", "f2")
    run(capsys, "--db", db, "assign", "me", "bob", "carol", "2")
    run(capsys, "--db", db, "assign", "carol", "bob", "me", "2")
    code, out, _ = run(capsys, "--db", db, "--json", "settle")
    assert code == 0
    (transfer,) = json.loads(out)
    assert "f1" in transfer["why"]


@given(
    values=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    holders=st.lists(st.sampled_from(["h0", "h1", "h2", "h3"]), min_size=1, max_size=5),
    share=st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(1, 3)]),
    noise=st.lists(
        favors(people=person_ids(pool=["x", "y", "h0", "h1"]), referrals=False),
        max_size=4,
    ),
)
@examples(100)
def test_a_chain_of_assignments_passes_on_what_its_first_link_did(
    values: list[int],
    holders: list[str],
    share: Fraction,
    noise: list[object],
) -> None:
    """d owes h0 for some favors; h0 assigns part of it on, and each new
    holder passes the same amount on again (back to an earlier holder too).
    Every link of the chain passed on the favors the first one did, whatever
    else the holders did among themselves."""
    led = Ledger()
    for i, value in enumerate(values):
        led.record("h0", "d", value, id=f"f{i}", at=f"2024-01-0{i + 1}T00:00Z")
    led.add_many(noise)  # type: ignore[arg-type]
    amount = sum(values) * share
    chain = ["h0"]
    for holder in holders:
        if holder != chain[-1]:
            chain.append(holder)
    assume(len(chain) > 1)
    assume(share == 1 or len(set(chain)) == len(chain))  # a return takes the next
    ids = []
    for k, (holder, new_holder) in enumerate(itertools.pairwise(chain)):
        led.record(new_holder, holder, amount, at="2023-06-01T00:00Z")  # owed on
        ids.append(f"a{k}")
        at = f"2031-01-{k + 1:02}T00:00Z"  # after the noise: not before its debts
        trading.assign(led, holder, "d", new_holder, amount, id=ids[-1], at=at)
    first = [f.id for f in assigned_favors(led, ids[0])]
    assert first  # d's favors from h0 are the oldest debts of the pair
    for later in ids[1:]:
        assert [f.id for f in assigned_favors(led, later)] == first


# --------------------------------------------- z11r: ties as of a moment
def test_ties_as_of_settles_along_the_relationships_of_then() -> None:
    """z11r: ann->carol is dated a microsecond after ``as_of``, yet
    ``settle(..., method="ties", as_of=...)`` paid carol -> ann 1 along it."""
    led = Ledger()
    for i in range(4):
        led.record("ann", "bob", 1, id=f"ab{i}", at="2020-01-01T00:00Z")
    led.record("ann", "carol", 1, id="ac", at="2020-01-01T00:00:00.000001Z")
    led.record("bob", "carol", 1, id="bc", at="2020-01-01T00:00Z")
    at = "2020-01-01T00:00Z"
    plan = settle(led, method="ties", as_of=at)
    assert ("carol", "ann") not in {(t.payer, t.payee) for t in plan}
    then = settle(led.replica(len(led.log), as_of=at), method="ties")
    assert [(t.payer, t.payee, t.amount) for t in plan] == [
        (t.payer, t.payee, t.amount) for t in then
    ]


@given(
    led=ledgers(max_people=5, max_favors=10, market=True),
    ties=st.lists(
        st.tuples(
            st.sampled_from(["ann", "bob", "cat", "dan", "eve"]),
            st.sampled_from(["ann", "bob", "cat", "dan", "eve"]),
            times(),
        ),
        max_size=4,
    ),
    at=times(),
)
@examples(100)
def test_a_ties_plan_as_of_a_moment_is_the_plan_of_the_ledger_then(
    led: Ledger, ties: list[tuple[str, str, datetime]], at: datetime
) -> None:
    """``settle(led, method="ties", as_of=t)`` equals settling
    ``led.replica(len(led.log), as_of=t)``: the balances and the
    relationships (favors, debts, stated ties) as they stood at ``t``."""
    for a, b, when in ties:
        if a != b:
            led.tie(a, b, "0.5", at=when)
    then = led.replica(len(led.log), as_of=at)
    assert [
        (t.payer, t.payee, t.amount) for t in settle(led, method="ties", as_of=at)
    ] == [(t.payer, t.payee, t.amount) for t in settle(then, method="ties")]


def test_reversing_an_assignment_names_the_later_ones_that_passed_it_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reversing an assignment whose debt its new holder passed on again
    leaves that later assignment standing; the command says so, as it does
    for the settlements that paid a reversed favor."""
    db = str(tmp_path / "a.db")
    led = undone_by_assignment()
    write_jsonl(led.log, tmp_path / "x.jsonl")
    assert run(capsys, "--db", db, "import", str(tmp_path / "x.jsonl"))[0] == 0
    code, _, err = run(capsys, "--db", db, "reverse", "a1")
    assert code == 0
    assert err == (
        "favorledger: note: a2 passed on bob's debt to carol again; reverse"
        " those too if they rest on a1\n"
    )
    code, _, err = run(capsys, "--db", db, "reverse", "a2")
    assert code == 0
    assert err == ""
    assert open_ledger(db).who_owes_whom() == assigned().who_owes_whom()
