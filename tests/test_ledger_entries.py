"""What a ledger does with the entries and arguments it is given.

An entry added twice is kept once; an id reused with another body is
refused, naming every difference; two statements about a person at one
moment must agree, and the latest statement wins whatever the order they
arrive in. Each of the ledger's own operations (``tie``, ``apply``,
``open``, ``from_entries``, a failed ``batch``) keeps every argument it is
given and the documented defaults. The queries answer about exactly the
entries they name (``obligations``, ``to_networkx``, ``as_of``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import (
    AlreadyReversedError,
    Debt,
    DuplicateFavorError,
    Favor,
    InvalidEntryError,
    InvalidFavorError,
    InvalidValueError,
    Ledger,
    MarketError,
    Person,
    Pledge,
    Reversal,
    Settlement,
    StoreError,
    Tie,
    Transfer,
    UnknownFavorError,
    UnknownPersonError,
    trading,
)
from favorledger.clearing import clear_cycles
from favorledger.errors import shown
from favorledger.settlement import explain, settle
from favorledger.testing.strategies import favors, ledgers, times

T = [datetime(2024, 3, d, 12, tzinfo=UTC) for d in range(1, 9)]


def state(led: Ledger) -> tuple[object, ...]:
    """What a reader can see of a ledger."""
    return (
        len(led.log),
        led.balances(),
        led.who_owes_whom(),
        dict(led.people),
        dict(led.stated_ties),
    )


def with_statements(led: Ledger) -> Ledger:
    """``led`` with a tie and a named, tagged person stated as well."""
    people = sorted(led.people)
    led.tie(people[0], people[1], "0.5", at=T[0], id="tie-1")
    led.add_person(people[0], "Someone", tags=["python"], at=T[1])
    return led


# ------------------------------------------------------------- entries again
@given(ledgers(market=True))
def test_adding_a_recorded_entry_again_returns_it_and_changes_nothing(
    led: Ledger,
) -> None:
    """Every entry already in the log, added again (one by one or all at
    once), is returned as stored and changes nothing: favors, reversals,
    people, ties and every market entry."""
    with_statements(led)
    before = state(led)
    for entry in led.log:
        assert led.add(entry) == entry
    assert led.add_many(list(led.log)) == 0
    assert state(led) == before


def test_an_id_reused_with_another_body_is_refused_naming_every_difference() -> None:
    """An entry whose id is recorded with another body is refused, and the
    message names the entry type, the id and each field that differs
    (stored value first); under another type it names both types."""
    led = Ledger()
    favor = led.record("ann", "bob", 2, at=T[0], id="f1")
    tie = led.tie("ann", "bob", "0.5", at=T[0], id="t1", reason="met")
    pledge = trading.pledge(led, "ann", "bob", 1, at=T[0], id="p1")
    before = state(led)
    for entry in (favor, tie, pledge):
        kind = type(entry).__name__
        changed = attrs.evolve(entry, at=T[1], reason="other")
        differences = [
            f"{name} {shown(getattr(entry, name))} != {shown(getattr(changed, name))}"
            for name in [f.name for f in attrs.fields(type(entry))]  # in field order
            if name in ("at", "reason")
        ]
        whole = (
            f"{kind}.id {entry.id!r} is already recorded with a different body: "
            + ", ".join(differences)
        )
        with pytest.raises(DuplicateFavorError) as raised:
            led.add(changed)
        assert str(raised.value) == whole
    other = Tie(id="f1", a="ann", b="bob", strength="0.5", at=T[0])
    with pytest.raises(DuplicateFavorError) as raised:
        led.add(other)
    assert str(raised.value) == "Tie.id 'f1' is already recorded as a favor"
    assert state(led) == before


def test_a_favor_reusing_the_id_of_another_kind_of_entry_is_refused() -> None:
    """A favor whose id a tie or a pledge holds is refused naming both types,
    whether it is plain or comes through a referrer, by ``record`` or by
    ``add``, and nothing changes."""
    led = Ledger()
    led.tie("ann", "bob", "0.5", at=T[0], id="t1")
    trading.pledge(led, "ann", "bob", 1, at=T[0], id="p1")
    before = state(led)
    for taken, kind in (("t1", "Tie"), ("p1", "Pledge")):
        message = f"Favor.id {taken!r} is already recorded as a {kind.lower()}"
        for via in (None, "cy"):
            with pytest.raises(DuplicateFavorError) as raised:
                led.record("ann", "bob", 2, at=T[1], id=taken, via=via)
            assert str(raised.value) == message
            favor = Favor(
                id=taken, giver="bob", receiver="ann", value=3, at=T[1], via=via
            )
            with pytest.raises(DuplicateFavorError) as raised:
                led.add(favor)
            assert str(raised.value) == message
    assert state(led) == before


# ------------------------------------------------------------------- people
def test_two_statements_about_a_person_at_one_moment_must_agree() -> None:
    """The same statement again is kept once; a different one at the same
    moment is refused with the whole message; restating the current name
    and tags later records nothing."""
    led = Ledger()
    first = led.add_person("ann", "Ann", tags=["go"], at=T[1])
    assert led.add(Person("ann", name="Ann", tags=["go"], at=T[1])) == first
    assert len(led.log) == 1
    other = Person("ann", name="Annie", at=T[1])
    with pytest.raises(DuplicateFavorError) as raised:
        led.add(other)
    assert str(raised.value) == (
        f"Person 'ann' already has a different statement at {shown(T[1])}: {first!r}"
    )
    assert led.add_person("ann", "Ann", tags=["go"], at=T[2]) == first
    assert len(led.log) == 1
    assert led.people["ann"] == first


@given(
    st.permutations(range(4)),
    st.lists(st.sampled_from(["Ann", "Annie", "A."]), min_size=4, max_size=4),
)
@example(order=[3, 0, 1, 2], names=["Ann", "Annie", "A.", "Ann"])
def test_the_latest_statement_about_a_person_wins_whatever_the_order(
    order: list[int], names: list[str]
) -> None:
    """Statements at four moments, added in any order (after the person was
    first named by a favor): the one with the latest moment is current, and
    every statement that changed something is in the log."""
    led = Ledger()
    led.record("ann", "bob", 1, at=T[0])
    for i in order:
        led.add(Person("ann", name=names[i], tags=[f"t{i}"], at=T[i + 1]))
    assert led.people["ann"] == Person("ann", name=names[3], tags=["t3"], at=T[4])
    assert sum(isinstance(e, Person) for e in led.log) == 4


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["0.25", "0.5", "1"])),
        min_size=1,
        max_size=6,
    )
)
@example(statements=[(1, "0.5"), (1, "0.25")])
def test_the_latest_tie_wins_and_of_one_moment_the_one_stated_last(
    statements: list[tuple[int, str]],
) -> None:
    """A pair's tie stated again and again, at moments that may coincide, in
    either order of the pair: the statement with the latest moment is the
    pair's tie, and of several at that moment the one stated last; the log
    keeps every statement."""
    led = Ledger()
    for n, (day, strength) in enumerate(statements):
        a, b = ("ann", "bob") if n % 2 else ("bob", "ann")
        led.tie(a, b, strength, at=T[day], id=f"t{n}")
    last = max(range(len(statements)), key=lambda n: (statements[n][0], n))
    tie = led.stated_ties[frozenset(("ann", "bob"))]
    assert (tie.id, tie.at) == (f"t{last}", T[statements[last][0]])
    assert tie.strength == Decimal(statements[last][1])
    assert [e.id for e in led.log] == [f"t{n}" for n in range(len(statements))]


NAMES = st.sampled_from(["ann", "bob", "cy", "dee", "eve"])


@st.composite
def _naming_entries(draw: st.DrawFn) -> Favor | Tie | Pledge:
    """A favor (perhaps through a referrer), a tie or a pledge among NAMES."""
    kind = draw(st.sampled_from(["favor", "tie", "pledge"]))
    if kind == "favor":
        return draw(favors(people=NAMES))
    a = draw(NAMES)
    b = draw(NAMES.filter(lambda p: p != a))
    if kind == "tie":
        return Tie(a=a, b=b, strength="0.5", at=draw(times()))
    return Pledge(giver=a, receiver=b, value=1, at=draw(times()))


def names(entry: Favor | Tie | Pledge) -> tuple[str, ...]:
    """Who an entry names, by its fields."""
    if isinstance(entry, Tie):
        return (entry.a, entry.b)
    via = (entry.via,) if isinstance(entry, Favor) and entry.via else ()
    return (entry.giver, entry.receiver, *via)


@given(st.lists(_naming_entries(), max_size=8))
def test_a_person_first_named_by_an_entry_is_known_from_its_time(
    entries: list[Favor | Tie | Pledge],
) -> None:
    """In a ledger that adds people on first use, a person nobody stated is
    known, by their id alone and without tags, from the moment of the first
    entry that names them, whatever kind of entry that is (a favor, a
    favor's referrer, a tie, a pledge)."""
    led = Ledger()
    for entry in entries:
        led.add(entry)
    for person, about in led.people.items():
        first = next(e for e in led.log if person in names(e))
        assert about == Person(person, at=first.at)
        assert (about.name, about.tags, about.at) == (person, frozenset(), first.at)
    named = {p for e in entries for p in names(e)}
    assert set(led.people) == named


# ---------------------------------------------------------------- arguments
def test_a_tie_records_every_argument_and_the_documented_defaults() -> None:
    led = Ledger()
    tie = led.tie(
        "ann", "bob", "0.25", kind="friend", reason="school", at=T[1], id="t1"
    )
    assert (tie.id, tie.kind, tie.reason, tie.at, tie.strength) == (
        "t1",
        "friend",
        "school",
        T[1],
        Decimal("0.25"),
    )
    before = datetime.now(UTC)
    plain = led.tie("ann", "cat", 1)
    assert (plain.kind, plain.reason) == ("acquaintance", "")
    assert before <= plain.at <= datetime.now(UTC)
    assert plain.id not in ("t1", "")
    assert led.tie("bob", "cat", 1).id != plain.id


def test_a_referral_share_without_a_referrer_is_refused_by_record() -> None:
    """``record`` refuses what :class:`Favor` refuses, on its quick path too."""
    led = Ledger()
    with pytest.raises(
        InvalidFavorError, match=r"Favor\.referral_share needs Favor\.via"
    ):
        led.record("ann", "bob", 1, referral_share="1/2")
    assert len(led.log) == 0


def test_a_reversal_before_its_favor_is_refused_with_the_whole_message() -> None:
    led = Ledger()
    favor = led.record("ann", "bob", 1, at=T[2], id="f1")
    with pytest.raises(InvalidFavorError) as raised:
        led.reverse(favor.id, at=T[1])
    assert str(raised.value) == (
        f"Reversal.at must not be before the favor's time {shown(T[2])},"
        f" got {shown(T[1])}"
    )
    assert len(led.log) == 1


def owing() -> Ledger:
    """Bob owes Ann 3, Cat owes Bob 2, Ann owes Cat 1 (a cycle of 1)."""
    led = Ledger()
    led.record("ann", "bob", 3, at=T[0])
    led.record("bob", "cat", 2, at=T[0])
    led.record("cat", "ann", 1, at=T[0])
    return led


def test_apply_records_every_argument_and_the_documented_defaults() -> None:
    """Transfers are recorded at ``at`` with ``reason`` and ``kind``; by
    default now, with no reason, and of kind ``"settlement"``."""
    led = owing()
    pay = [Transfer("bob", "ann", 1)]
    given_ = led.apply(pay, at=T[3], reason="cash", kind="payback")
    assert [(s.at, s.reason, s.kind) for s in given_] == [(T[3], "cash", "payback")]
    before = datetime.now(UTC)
    plain = owing().apply(pay)
    assert [(s.reason, s.kind) for s in plain] == [("", "settlement")]
    assert all(before <= s.at <= datetime.now(UTC) for s in plain)


def test_apply_takes_a_plans_kind_and_records_a_set_off_as_one_entry() -> None:
    """A plan with a ``kind`` (a clearing: ``"set-off"``) names its entries'
    kind unless ``kind`` is given; a set-off is one entry that discharges
    the debts it names and carries the debts a gross clearing passes on."""
    led = owing()
    clearing = clear_cycles(led)
    (entry,) = led.apply(clearing, at=T[3])
    assert entry.kind == "set-off"
    assert {(d.debtor, d.creditor, d.amount) for d in entry.discharged} == {
        (t.payer, t.payee, t.amount) for t in clearing.transfers
    }
    assert tuple(led.who_owes_whom()) == clearing.remaining
    led = owing()
    (named,) = led.apply(clear_cycles(led), at=T[3], kind="year-end")
    assert (named.kind, len(named.discharged)) == ("year-end", 3)
    # Ann owes Bob 1, Bob owes Ann 2, Bob owes Cat 1, Cat owes Ann 1: gross
    # clearing cancels the cycle Ann -> Bob -> Cat -> Ann and passes 1 on.
    grown = Ledger()
    for debtor, creditor, amount in [
        ("ann", "bob", 1),
        ("bob", "ann", 2),
        ("bob", "cat", 1),
        ("cat", "ann", 1),
    ]:
        grown.record(creditor, debtor, amount, at=T[0])
    gross = clear_cycles(grown, mode="gross")
    (set_off,) = grown.apply(gross, at=T[3])
    assert tuple(set_off.passed) == tuple(gross.passed) != ()
    assert tuple(grown.who_owes_whom()) == gross.remaining


def test_a_plan_of_ones_own_needs_only_transfers_and_a_kind() -> None:
    """Any object with ``transfers`` and a ``kind`` is a plan: a set-off
    plan without ``passed`` debts is one entry that passes nothing on."""
    led = owing()
    cycle = [Transfer("bob", "ann", 1), Transfer("cat", "bob", 1)]
    cycle.append(Transfer("ann", "cat", 1))
    plan = SimpleNamespace(kind="set-off", transfers=cycle)
    (entry,) = led.apply(plan, at=T[3])
    assert (entry.kind, entry.passed, len(entry.discharged)) == ("set-off", (), 3)
    assert [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom()] == [
        ("bob", "ann", 2),
        ("cat", "bob", 1),
    ]


def test_apply_refuses_what_is_not_a_transfer_with_the_whole_message() -> None:
    led = owing()
    before = state(led)
    with pytest.raises(InvalidValueError) as raised:
        led.apply([Transfer("bob", "ann", 1), ("bob", "ann", 1)])  # type: ignore[list-item]
    assert str(raised.value) == "a plan holds Transfers, got ('bob', 'ann', 1)"
    assert state(led) == before


def test_open_passes_every_argument_to_the_store(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    with pytest.raises(StoreError):
        Ledger.open(path, create=False)
    assert not path.exists()
    with pytest.raises(StoreError, match="timeout must be a number of seconds"):
        Ledger.open(path, timeout="soon")  # type: ignore[arg-type]
    with Ledger.open(path, referral_share="1/3", strict=True, timeout=0.5) as led:
        assert led.referral_share == Ledger(referral_share="1/3").referral_share
        assert led.strict
        with pytest.raises(UnknownPersonError):
            led.record("ann", "bob", 1)


# Each of a ledger's public writes, with the id "x" (a reversal's favor is f1).
WRITES = {
    "record": lambda led: led.record("ann", "bob", 2, at=T[1], id="x"),
    "record via": lambda led: led.record("ann", "bob", 2, at=T[1], id="x", via="cy"),
    "add": lambda led: led.add(
        Favor(giver="bob", receiver="ann", value=3, at=T[1], id="x")
    ),
    "add_many": lambda led: led.add_many(
        [Favor(giver="cy", receiver="ann", value=1, at=T[1], id="x")]
    ),
    "reverse": lambda led: led.reverse("f1", at=T[1], id="x"),
    "add a reversal": lambda led: led.add(Reversal(favor_id="f1", at=T[2], id="x")),
    "tie": lambda led: led.tie("ann", "bob", "0.5", at=T[1], id="x"),
}


def outcome(write: str, led: Ledger) -> str:
    """What a write gives: ``"ok"`` or the error's type and whole message."""
    try:
        WRITES[write](led)
    except (DuplicateFavorError, AlreadyReversedError) as error:
        return f"{type(error).__name__}: {error}"
    return "ok"


@pytest.mark.parametrize("first", ["record", "reverse", "tie"])
@pytest.mark.parametrize("second", sorted(WRITES))
def test_each_write_to_a_store_first_catches_up_with_other_writers(
    tmp_path: Path, first: str, second: str
) -> None:
    """Two ledgers open on one store: whatever one wrote since the other last
    read, each public write of the other (``record``, ``add``, ``add_many``,
    ``reverse``, ``tie``) sees it before checking its rules, so it succeeds or
    is refused exactly as in one ledger that made both writes, and both end
    with that ledger's log."""
    one = Ledger()
    one.record("ann", "bob", 1, at=T[0], id="f1")
    expected = [outcome(first, one), outcome(second, one)]
    path = tmp_path / "favors.db"
    with Ledger.open(path) as seed:
        seed.record("ann", "bob", 1, at=T[0], id="f1")
    with Ledger.open(path) as mine, Ledger.open(path) as theirs:
        assert [outcome(first, theirs), outcome(second, mine)] == expected
        theirs.refresh()
        assert list(mine.log) == list(theirs.log) == list(one.log)
    with Ledger.open(path) as again:
        assert list(again.log) == list(one.log)


def fail_in_a_batch(led: Ledger) -> None:
    with led.batch():
        led.add_person("ann", at=T[0])
        led.record("ann", "stranger", 1)


def test_from_entries_and_a_failed_batch_keep_the_share_and_strictness() -> None:
    source = Ledger()
    source.add_person("ann")
    source.add_person("bob")
    source.record("ann", "bob", 1, at=T[0])
    for led in (
        Ledger.from_entries(source.log, referral_share="1/3", strict=True),
        Ledger(referral_share="1/3", strict=True),
    ):
        with pytest.raises(UnknownPersonError):
            fail_in_a_batch(led)
        assert led.strict
        assert led.referral_share == Ledger(referral_share="1/3").referral_share
        with pytest.raises(UnknownPersonError):
            led.record("ann", "stranger", 1)


def test_closing_a_ledger_without_a_store_is_harmless_and_a_stored_one_refuses_writes(
    tmp_path: Path,
) -> None:
    led = Ledger()
    led.close()
    led.record("ann", "bob", 1)  # a ledger in memory has nothing to close
    stored = Ledger.open(tmp_path / "favors.db")
    stored.close()
    stored.close()  # idempotent
    with pytest.raises(StoreError):
        stored.record("ann", "bob", 1)


# ------------------------------------------------------------------ queries
@given(ledgers(market=True))
def test_obligations_are_those_of_every_live_favor_and_a_persons_name_them(
    led: Ledger,
) -> None:
    """``obligations()`` lists what every favor not reversed creates, in log
    order; ``obligations(p)`` exactly those naming ``p``."""
    live = [
        o
        for f in led.favors.values()
        if not led.is_reversed(f.id)
        for o in f.obligations()
    ]
    assert led.obligations() == live
    for person in led.people:
        assert led.obligations(person) == [
            o for o in live if person in (o.debtor, o.creditor)
        ]


@given(ledgers())
def test_the_graph_nodes_carry_each_persons_name_tags_and_balance(
    led: Ledger,
) -> None:
    with_statements(led)
    graph = led.to_networkx()
    assert dict(graph.nodes(data="name")) == {p.id: p.name for p in led.people.values()}
    assert dict(graph.nodes(data="tags")) == {p.id: p.tags for p in led.people.values()}
    assert dict(graph.nodes(data="balance")) == led.balances()


@settings(max_examples=50)
@given(ledgers(market=True), times())
def test_as_of_any_moment_reads_the_entries_dated_by_then(
    led: Ledger, moment: datetime
) -> None:
    """``as_of`` never refuses what the ledger accepted (entries are not
    checked again: an IOU may be assigned, or a debt settled, before the
    favor that made it is dated) and holds exactly the entries dated by
    then, in log order."""
    for at in [moment] + [e.at for e in led.log]:
        snapshot = led.as_of(at)
        assert list(snapshot.log) == [e for e in led.log if e.at <= at]


@given(ledgers(market=True))
def test_the_live_tie_view_kept_entry_by_entry_equals_one_built_at_once(
    led: Ledger,
) -> None:
    """A tie view taken before any entry and kept in step as each arrives
    (a person first named by a pledge, an ask or an assignment included)
    equals the view of a ledger that replayed them all first."""
    with_statements(led)
    trading.pledge(led, sorted(led.people)[0], "newcomer", 1, at=T[2])
    live = Ledger()
    view = live.tie_view()
    live.add_many(led.log)
    built = Ledger.from_entries(led.log).tie_view()
    assert dict(view.nodes(data=True)) == dict(built.nodes(data=True))
    assert {frozenset(e): d for *e, d in view.edges(data=True)} == {
        frozenset(e): d for *e, d in built.edges(data=True)
    }
    assert set(view.nodes) == set(led.people)


@settings(max_examples=50)
@given(ledgers(market=True), times())
def test_explanations_as_of_a_moment_hold_for_every_market_ledger(
    led: Ledger, moment: datetime
) -> None:
    """Settling and explaining as of a moment read the ledger as it stood,
    without checking its entries again (an IOU assigned before the favor
    that made it is dated does not stop the explanation)."""
    then = led.as_of(moment)
    plan = settle(led, as_of=moment)
    assert [t.explained_by for t in plan] == [t.explained_by for t in settle(then)]
    for t in plan:
        assert explain(led, t, as_of=moment) == explain(then, t)
    if len(plan) == 1:  # a plan of one transfer is explained as it alone is
        assert explain(led, plan[0], as_of=moment) == plan[0].explained_by


def test_a_snapshot_checks_what_is_added_to_it_as_any_ledger_does() -> None:
    """``as_of`` skips checking the entries it replays, and only those."""
    led = owing()
    snapshot = led.as_of(T[5])
    before = state(snapshot)
    too_much = Settlement(
        payer="bob", payee="ann", amount=10, discharged=[Debt("bob", "ann", 10)]
    )
    for ledger in (snapshot, led):
        with pytest.raises(MarketError, match="exceeds what 'bob' owes 'ann'"):
            ledger.add(too_much)
    assert state(snapshot) == before


@given(
    field=st.sampled_from(["giver", "receiver", "via"]),
    known=st.lists(
        st.sampled_from(["ann", "bob", "cy", "dee"]), min_size=3, unique=True
    ),
)
def test_a_strict_ledger_names_the_field_of_a_stranger_and_what_to_do(
    field: str, known: list[str]
) -> None:
    """A strict ledger's refusal of a stranger says which field names them
    and that people are added first (newcomer trial 8: it said only that the
    person is not in the ledger); nothing changes."""
    led = Ledger(strict=True)
    for person in known:
        led.add_person(person)
    names = dict(zip(["giver", "receiver", "via"], known, strict=False))
    names[field] = "zed"
    before = (len(led.log), dict(led.people))
    with pytest.raises(UnknownPersonError) as refused:
        led.record(names["giver"], names["receiver"], 1, via=names["via"])
    assert f"'zed' is not in the ledger (Favor.{field};" in str(refused.value)
    assert "add_person('zed')" in str(refused.value)
    assert (len(led.log), dict(led.people)) == before


@pytest.mark.parametrize(
    ("entry_id", "said"),
    [
        (
            "r1",
            "'r1' is a reversal, which cannot be reversed: only a favor, a"
            " settlement or an assignment can (it reverses 'f1')",
        ),
        ("t1", "'t1' is a tie, which cannot be reversed"),
        ("zz", "favor 'zz' is not in the ledger"),
    ],
)
def test_reversing_an_entry_that_is_no_favor_says_what_it_is(
    entry_id: str, said: str
) -> None:
    """``reverse`` of a reversal's id said the id was not in the ledger
    (newcomer trial 8); it says what the entry is, and changes nothing."""
    led = Ledger()
    led.record("ann", "bob", 1, id="f1")
    led.reverse("f1", id="r1")
    led.tie("ann", "bob", "0.5", id="t1")
    with pytest.raises(UnknownFavorError) as refused:
        led.reverse(entry_id)
    assert said in str(refused.value)
    assert [e.id for e in led.log] == ["f1", "r1", "t1"]


@pytest.mark.parametrize("kind", ["", "  ", 5])
def test_apply_refuses_a_kind_no_entry_may_have(kind: object) -> None:
    """An empty kind is refused as a favor's is (newcomer trial 8: apply
    took ``kind=""`` as the default); nothing is recorded."""
    led = Ledger()
    led.record("ann", "bob", 3, id="f1")
    with pytest.raises(InvalidEntryError, match=r"Settlement\.kind must be"):
        led.apply([Transfer("bob", "ann", 1)], kind=kind)  # type: ignore[arg-type]
    assert [e.id for e in led.log] == ["f1"]
