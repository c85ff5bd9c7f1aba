"""Values are checked once, at the boundary; the fast paths behind it agree.

``Ledger.record`` builds the common favor (no referrer, tags, reason or
pledge; plain ids; a small whole value; a UTC time) without running the
converters (``favorledger.model.quick_favor``). The promise: whatever the
fields, the fast path either declines (and the checked ``Favor(...)`` runs,
with its errors) or builds exactly the favor the checked path builds, field
by field and type by type; it never accepts what the checked path refuses.
"""

from __future__ import annotations

import gc
import re
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_sqlite import rich_ledgers

from favorledger import Favor, Ledger
from favorledger._collector import UNTRACKS
from favorledger._exact import SMALL_INTS, Ratio
from favorledger.errors import FavorLedgerError
from favorledger.model import (
    NO_TAGS,
    Person,
    Reversal,
    _More,
    _twin,
    quick_favor,
    unchecked,
)
from favorledger.testing.strategies import person_ids, times

_names = st.one_of(
    st.sampled_from(["ann", "bob", " ann", "ann ", "", "a\x1b", "a" * 200, "a" * 201]),
    st.text(max_size=5),
    st.integers(),
    st.none(),
)
_values = st.one_of(
    st.integers(min_value=-3, max_value=1100),
    st.sampled_from(
        [True, 1.5, "2", "1/3", Decimal("2"), Decimal("2.50"), Fraction(1, 3), None]
    ),
    st.sampled_from(list(SMALL_INTS.values())),
)
_moments = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=2)))),
    st.datetimes(),  # naive: refused
    st.sampled_from(["2024-01-01T00:00+00:00", "yesterday", 5]),
)


def _both(
    giver: object,
    receiver: object,
    value: object,
    kind: object,
    at: object,
    entry_id: object,
    extra: dict[str, object],
    known: frozenset[str] = frozenset(),
) -> None:
    """The fast favor equals the checked one, or the fast path declines."""
    fast = quick_favor(
        giver,
        receiver,
        value,
        kind,
        at,
        extra.get("via"),
        extra.get("reason", ""),
        extra.get("tags", NO_TAGS),
        extra.get("referral_share"),
        entry_id,
        extra.get("fulfils"),
        known,
    )
    fields = {"giver": giver, "receiver": receiver, "value": value, "kind": kind}
    fields.update(extra)
    if fast is not None:  # the fresh id and time, if any, are the fast path's
        fields["id"], fields["at"] = fast.id, fast.at
    else:
        if entry_id is not None:
            fields["id"] = entry_id
        if at is not None:
            fields["at"] = at
    try:
        checked = Favor(**fields)  # type: ignore[arg-type]
    except FavorLedgerError:
        assert fast is None, "the fast path accepted what the checked path refuses"
        return
    if fast is None:
        return  # declined: the checked path ran instead
    assert fast == checked
    for field in Favor.__attrs_attrs__:
        name = field.name
        assert type(getattr(fast, name)) is type(getattr(checked, name))
        assert repr(getattr(fast, name)) == repr(getattr(checked, name))
    assert at is not None or fast.at.tzinfo is UTC
    holds_only_atoms(fast)


def holds_only_atoms(favor: Favor) -> None:
    """The favor is off the cyclic collector (where the interpreter allows),
    and safely so: nothing it refers to can refer back to it (its class, the
    shared empty tag set, strings, amounts, ``None`` and a time whose zone
    is a fixed offset, or kept as an int; a ``Ratio`` holds two ints; the
    shared ``_More`` of its rarely set fields holds such atoms)."""
    assert gc.is_tracked(favor) is not UNTRACKS
    referents = gc.get_referents(favor)
    for more in [r for r in referents if type(r) is _More]:  # its rare fields
        referents += [r for r in gc.get_referents(more) if r is not _More]
    for referent in referents:
        assert (
            referent is Favor
            or type(referent) is _More
            or referent is NO_TAGS
            or referent is None
            or (type(referent) in (str, Decimal, datetime, Ratio, int))
        ), referent
        if type(referent) is Ratio:
            assert all(n is Ratio or type(n) is int for n in gc.get_referents(referent))
    assert type(favor.at.tzinfo) is timezone


@given(
    giver=_names,
    receiver=_names,
    value=_values,
    kind=st.one_of(st.just("favor"), _names),
    at=_moments,
    entry_id=st.one_of(st.none(), _names),
)
@example(giver=" ann", receiver="bob", value=2, kind="favor", at=None, entry_id=None)
@example(giver="ann", receiver="bob ", value=2, kind="favor", at=None, entry_id="f")
@example(giver="ann", receiver="ann", value=2, kind="favor", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=0, kind="favor", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=Decimal("2.50"), kind="favor", at=None,
         entry_id="f1")  # fmt: skip
@example(giver="ann", receiver="bob", value=1, kind="favor", entry_id="f1",
         at=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))))  # fmt: skip
@example(giver="ann", receiver="bob", value=1, kind="favor", entry_id="f1",
         at=datetime(2024, 1, 1))  # fmt: skip
@example(giver="ann", receiver="bob", value=1, kind=" job", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=1, kind="job", at=None, entry_id=" f1")
@example(giver="ann", receiver="bob", value=1, kind="favor", at=None, entry_id=None)
@example(giver="", receiver="bob", value=1, kind="favor", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=1024, kind="favor", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=1025, kind="favor", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=1, kind="", at=None, entry_id="f1")
@example(giver="ann", receiver="bob", value=1, kind="job", at=None, entry_id="")
def test_the_fast_favor_is_the_checked_favor_or_declines(
    giver: object,
    receiver: object,
    value: object,
    kind: object,
    at: object,
    entry_id: object,
) -> None:
    _both(giver, receiver, value, kind, at, entry_id, {})
    # People a ledger already holds are valid ids: they are not checked again.
    _both(giver, receiver, value, kind, at, entry_id, {}, frozenset({"ann", "bob"}))


@given(
    extra=st.fixed_dictionaries(
        {},
        optional={
            "via": st.sampled_from([None, "cat", "ann", ""]),
            "reason": st.sampled_from(["", "thanks", None]),
            "tags": st.sampled_from([NO_TAGS, (), {"x"}, "x"]),
            "referral_share": st.sampled_from([None, "1/3", 0]),
            "fulfils": st.sampled_from([None, "p1"]),
        },
    ),
    at=_moments,
)
def test_a_favor_with_more_than_the_common_fields_is_built_the_checked_way(
    extra: dict[str, object], at: object
) -> None:
    _both("ann", "bob", 2, "favor", at, "f1", extra)
    if any(
        extra.get(name, plain) != plain
        for name, plain in [("via", None), ("reason", ""), ("referral_share", None),
                            ("fulfils", None)]
    ) or extra.get("tags", NO_TAGS) is not NO_TAGS:  # fmt: skip
        assert quick_favor(
            "ann", "bob", 2, "favor", at, extra.get("via"), extra.get("reason", ""),
            extra.get("tags", NO_TAGS), extra.get("referral_share"), "f1",
            extra.get("fulfils"),
        ) is None  # fmt: skip


def test_the_common_favor_takes_the_fast_path() -> None:
    # Not a promise about speed, but that the fast path is reached at all:
    # otherwise the property above would hold vacuously.
    at = datetime(2024, 1, 1, tzinfo=UTC)
    assert quick_favor(
        "ann", "bob", 3, "favor", at, None, "", NO_TAGS, None, "f1", None
    )
    assert quick_favor("ann", "bob", SMALL_INTS[7], "job", None, None, "", NO_TAGS,
                       None, None, None)  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"),
                          st.integers(1, 2000)), max_size=30))  # fmt: skip
def test_recording_fast_gives_the_ledger_recording_checked_favors_gives(
    triples: list[tuple[str, str, int]],
) -> None:
    fast, checked = Ledger(), Ledger()
    at = datetime(2024, 1, 1, tzinfo=UTC)
    for n, (giver, receiver, value) in enumerate(triples):
        try:
            made = fast.record(giver, receiver, value, id=f"f{n}", at=at)
        except FavorLedgerError as exc:
            with pytest.raises(type(exc), match=f"^{re.escape(str(exc))}$"):
                Favor(giver=giver, receiver=receiver, value=value, id=f"f{n}", at=at)
            continue
        assert made == checked.add(
            Favor(giver=giver, receiver=receiver, value=value, id=f"f{n}", at=at)
        )
    assert fast.log == checked.log
    assert fast.balances() == checked.balances()
    assert fast.who_owes_whom() == checked.who_owes_whom()
    assert sum(fast.balances().values()) == 0


def test_the_unchecked_builder_sets_every_field() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    built = unchecked(Reversal)("r1", "f1", at, "typo")
    assert built == Reversal(id="r1", favor_id="f1", at=at, reason="typo")


@settings(max_examples=40)
@given(led=rich_ledgers())
def test_an_unchecked_build_is_the_entry_itself(led: Ledger) -> None:
    """Rebuilt from its field values, every kind of entry is the same entry:
    the same type (a twin-built Favor or Person is relabelled, not a
    subclass), equal, equally hashed, and still frozen."""
    for entry in [*led.log, *led.people.values()]:
        cls = type(entry)
        values = [getattr(entry, field.name) for field in attrs.fields(cls)]
        built = unchecked(cls)(*values)
        assert type(built) is cls
        assert built == entry
        assert hash(built) == hash(entry)
        assert repr(built) == repr(entry)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            built.id = "changed"  # type: ignore[misc]


class _Member(Person):
    """A caller's own kind of person (its implicit people are built checked)."""

    __slots__ = ()


@given(person_ids(pool=None), times(), st.sampled_from([Person, _Member]))
def test_an_implicit_person_is_the_one_stated_by_id_alone(
    person: str, at: datetime, cls: type[Person]
) -> None:
    """The person a favor or tie names before anyone stated them is the one
    ``cls(id, at=at)`` states: of the class asked for, named by the id,
    without tags, at that moment; a plain ``Person`` built so is off the
    collector, like a recorded favor."""
    made = cls.implicit(person, at)
    assert type(made) is cls
    assert made == cls(person, at=at)
    assert (made.id, made.name, made.tags, made.at) == (person, person, frozenset(), at)
    if cls is Person:
        assert gc.is_tracked(made) is not UNTRACKS


def test_favors_and_people_are_built_by_their_twins() -> None:
    """The classes without a weak-reference slot get a twin (the fast way);
    a class whose layout CPython will not relabel gets none and is built
    through its slot descriptors. A ``Favor``'s slots are its core fields and
    the ``_more`` holding the rest (``model._lean``)."""
    assert _twin(Favor, list(Favor.__slots__)) is not None  # its lean slots
    assert _twin(Favor, [f.name for f in attrs.fields(Favor)]) is None
    assert _twin(Person, [f.name for f in attrs.fields(Person)]) is not None
    assert _twin(Reversal, [f.name for f in attrs.fields(Reversal)]) is None
    assert _twin(Favor, ["id"]) is None  # other slots than the fields


def test_favors_off_the_collector_are_still_freed() -> None:
    """Untracked favors (and the people they add) need no collector to be
    freed: dropping the ledger gives their memory back at once (reference
    counting)."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        led = Ledger()
        for n in range(2000):
            led.record(f"p{n % 7}", f"q{n % 5}", n % 9 + 1)
        assert all(not gc.is_tracked(f) for f in led.favors.values()) is UNTRACKS
        assert all(not gc.is_tracked(p) for p in led.people.values()) is UNTRACKS
        held = tracemalloc.get_traced_memory()[0] - start
        del led
        freed = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert held > 2000 * 200  # each favor, its id and its time
    assert freed < held / 20
