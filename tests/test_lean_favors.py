"""A favor takes less memory, and nobody can tell (issue 13, fifth round).

``Favor`` keeps its six rarely set fields (``kind``, ``via``, ``reason``,
``tags``, ``referral_share``, ``fulfils``) in one slot shared by every plain
favor of a kind, and a favor recorded now keeps its time as microseconds
since the epoch (``model._lean``). What a user reads must be what the class
with a slot for each field (``model.FULL[Favor]``, the class as it was)
gives for the same input: the same fields, types and values, repr, hash,
pickles, JSON lines and store rows, and the same order by time.
"""

from __future__ import annotations

import pickle
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Favor, Ledger
from favorledger.errors import FavorLedgerError
from favorledger.io.jsonl import dumps_entry, loads_entry
from favorledger.io.stored import row_of
from favorledger.model import FULL, NO_TAGS
from favorledger.testing.strategies import person_ids, texts, times, values

_Full: Any = FULL[Favor]
_PLUS_TWO = timezone(timedelta(hours=2))
_NAMES = [field.name for field in attrs.fields(Favor)]


def fields_of(favor: object) -> dict[str, object]:
    """The favor's fields as a user reads them, in field order."""
    return {name: getattr(favor, name) for name in _NAMES}


@st.composite
def favor_fields(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for ``Favor``: plain ones mostly, with each rarely
    set field sometimes set; ``at`` and ``id`` sometimes left to default."""
    people = draw(st.lists(person_ids(), min_size=3, max_size=3, unique=True))
    fields: dict[str, Any] = {
        "giver": people[0],
        "receiver": people[1],
        "value": draw(values()),
    }
    optional = {
        "id": person_ids(pool=None),
        "at": times()
        | times().map(lambda t: t.astimezone(timezone(timedelta(hours=2)))),
        "kind": st.sampled_from(["favor", "introduction", "job"]),
        "reason": texts(),
        "tags": st.frozensets(person_ids(), max_size=3),
        "fulfils": person_ids(pool=None),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    if draw(st.booleans()):
        fields["via"] = people[2]
        if draw(st.booleans()):
            fields["referral_share"] = draw(st.sampled_from(["0", "1/3", "1"]))
    return fields


def assert_seen_alike(lean: Favor, full: Any) -> None:
    """``lean`` reads as ``full`` (an instance of the class as it was) does."""
    assert type(lean) is Favor
    mine, theirs = fields_of(lean), fields_of(full)
    assert mine == theirs
    assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()]
    if len(lean.tags) <= 1:  # equal sets built apart may list in other orders
        assert repr(lean) == repr(full)
    assert hash(lean) == hash(full)  # the same generated hash of the same fields
    assert lean.at.tzinfo is not None
    assert lean.__getstate__() == full.__getstate__()  # type: ignore[attr-defined]


@settings(max_examples=300)
@given(favor_fields())
def test_a_favor_reads_as_the_class_with_a_slot_a_field(fields: dict[str, Any]) -> None:
    """Made by the checked constructor, or recorded (the fast path for a
    plain favor, which may keep its time as an integer), a favor shows the
    fields, types, repr, hash and state the class as it was shows; pickled
    and read back it is equal and pickles to the same bytes; its JSON line
    and store row are the ones of the same favor built with every field."""
    try:
        made = Favor(**fields)
    except FavorLedgerError:
        with pytest.raises(FavorLedgerError):
            _Full(**fields)
        return
    assert_seen_alike(made, _Full(**{**fields, "id": made.id, "at": made.at}))
    fields.pop("fulfils", None)  # a ledger takes it only for a pledge it holds
    recorded = Ledger().record(**fields)
    made_so = {"id": recorded.id, "at": recorded.at}  # the ledger's defaults
    made_so["referral_share"] = recorded.referral_share
    assert_seen_alike(recorded, _Full(**{**fields, **made_so}))
    checked = Favor(**fields_of(recorded))  # every field given, time as a datetime
    assert recorded == checked
    assert hash(recorded) == hash(checked)
    assert pickle.dumps(recorded) == pickle.dumps(checked)
    back = pickle.loads(pickle.dumps(recorded))
    assert back == recorded
    assert fields_of(back) == fields_of(recorded)
    assert dumps_entry(recorded) == dumps_entry(checked)
    assert loads_entry(dumps_entry(recorded)) == recorded
    assert row_of(recorded) == row_of(checked)
    assert attrs.evolve(recorded) == recorded


@settings(max_examples=50)
@given(st.lists(st.sampled_from(["favor", "job", None]), min_size=1, max_size=30))
def test_favors_recorded_now_keep_their_order_and_the_clock(
    kinds: list[str | None],
) -> None:
    """A favor recorded without a time is dated by the clock ``datetime.now``
    reads, in UTC, between the moments read just before and after; favors
    recorded one after the other are in time order, whether their times
    are read from them or from the favors rebuilt with every field."""
    led = Ledger()
    for n, kind in enumerate(kinds):
        before = datetime.now(UTC)
        favor = led.record("ann", "bob", n + 1, **({"kind": kind} if kind else {}))
        after = datetime.now(UTC)
        assert before <= favor.at <= after
        assert favor.at.tzinfo is UTC
    log = list(led.log)
    full = [_Full(**fields_of(favor)) for favor in log]
    assert sorted(log, key=lambda f: f.at) == log
    assert [f.at for f in log] == [f.at for f in full]
    assert [f.at for f in sorted(full, key=lambda f: f.at)] == [f.at for f in log]


def test_a_plain_favor_is_smaller_than_one_with_a_slot_a_field() -> None:
    """The memory promise (``benchmarks/README.md``, issue 13 fifth round):
    a recorded plain favor holds its rarely set fields in one shared object,
    so it is smaller than the same favor with a slot for each field, and
    keeps its time dated now in fewer bytes than a ``datetime``."""
    led = Ledger()
    first, second = led.record("ann", "bob", 1), led.record("bob", "ann", 2)
    assert sys.getsizeof(first) < sys.getsizeof(_Full(**fields_of(first)))
    assert first._more is second._more  # type: ignore[attr-defined]
    assert sys.getsizeof(first._at) < sys.getsizeof(first.at)  # type: ignore[attr-defined]


def test_a_lean_favor_stays_frozen_and_takes_fields_as_before() -> None:
    """Setting a field (a rarely set one included) is refused as before;
    the constructor takes the same keyword arguments and refuses positional
    ones with the same message."""
    favor = Favor(giver="ann", receiver="bob", value=1, reason="thanks")
    for name in ("kind", "via", "reason", "tags", "at", "id"):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(favor, name, "x")
    with pytest.raises(TypeError, match=r"Favor\.__init__\(\) takes 1 positional"):
        Favor("f1")  # type: ignore[misc]
    with pytest.raises(TypeError) as lean_error:
        Favor(giver="ann", value=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError) as full_error:
        _Full(giver="ann", value=1)
    assert str(lean_error.value) == str(full_error.value)
    assert favor.tags is NO_TAGS
