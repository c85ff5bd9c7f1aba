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

import contextlib
import json
import pickle
import re
import sys
import traceback
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Favor, Ledger, model
from favorledger._exact import SMALL_INTS
from favorledger.errors import FavorLedgerError
from favorledger.io.jsonl import _converter, dumps_entry, loads_entry
from favorledger.io.stored import dumps_stored, replay_rows, row_of, utc_text
from favorledger.model import EARLIEST, FULL, LATEST, NO_TAGS
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
    if len(recorded.tags) <= 1:  # equal sets built apart may list in other orders
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
    third = led.record("ann", "bob", 3)  # its people known: its time unread
    assert type(third._at) is int  # type: ignore[attr-defined]
    assert sys.getsizeof(third._at) < sys.getsizeof(datetime.now(UTC))  # type: ignore[attr-defined]
    assert sys.getsizeof(first) < sys.getsizeof(_Full(**fields_of(first)))
    assert first._more is second._more  # type: ignore[attr-defined]


def test_a_time_kept_as_a_count_is_made_once_and_writing_makes_none() -> None:
    """A favor dated now makes its ``datetime`` on the first read of ``at``
    and keeps it (later reads return the same object); its store row and
    JSON line are written from the count, leaving it a count."""
    led = Ledger()
    led.record("ann", "bob", 1)  # the people's first favor: its time dates them
    favor = led.record("ann", "bob", 2)
    count = favor._at  # type: ignore[attr-defined]
    row, line = row_of(favor), dumps_entry(favor)
    assert favor._at is count  # type: ignore[attr-defined]
    moment = favor.at
    assert moment is favor.at
    assert favor._at is moment  # type: ignore[attr-defined]
    assert moment == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=count)
    assert row_of(favor) == row
    assert dumps_entry(favor) == line


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNT_RANGE = (
    (EARLIEST - _EPOCH) // timedelta(microseconds=1),
    (LATEST - _EPOCH) // timedelta(microseconds=1),
)


@st.composite
def counts(draw: st.DrawFn) -> list[int]:
    """Times as a favor dated now keeps them (microseconds since the epoch):
    runs of neighbours (sharing their second, or a second apart, or on a whole
    second) after any start the ledger takes."""
    start = draw(st.integers(*_COUNT_RANGE) | st.integers(0, 2 * 10**15))
    steps = draw(
        st.lists(
            st.sampled_from([0, 1, 999_999, 1_000_000, -1])
            | st.integers(-(10**12), 10**12),
            max_size=12,
        )
    )
    found = [start]
    for step in steps:
        found.append(min(max(found[-1] + step, _COUNT_RANGE[0]), _COUNT_RANGE[1]))
    if draw(st.booleans()):
        found.append(start - start % 1_000_000)  # on a whole second
    return found


def _counted(count: int, n: int, kind: str = "favor") -> Favor:
    """A plain favor holding its time as ``count``, as ``record`` makes one."""
    more = model._more(kind, None, "", NO_TAGS, None, None)
    return model._plain_favor(f"f{n}", "ann", "bob", SMALL_INTS[n % 9 + 1], count, more)  # type: ignore[no-any-return]


@settings(max_examples=300)
@given(counts(), st.sampled_from(["favor", "job"]))
def test_a_time_kept_as_a_count_writes_and_reads_as_its_datetime(
    found: list[int], kind: str
) -> None:
    """Favors holding their time as a count (microseconds since the epoch)
    write the same store rows, JSON lines (through ``dumps_stored`` and
    through cattrs) and pickles as the favors with every field holding the
    ``datetime`` the count stands for, written in the same order (the row
    makers keep the last second's text); they are equal, hash alike, sort
    alike by time, and read back (``loads_entry``, the store's replay) as
    equal favors."""
    lean = [_counted(count, n, kind) for n, count in enumerate(found)]
    full = [  # fields_of would read at (and keep it): all but at
        _Full(
            **{name: getattr(f, name) for name in _NAMES if name != "at"},
            at=_EPOCH + timedelta(microseconds=count),
        )
        for f, count in zip(lean, found, strict=True)
    ]
    converter = _converter()
    for favor, twin in zip(lean, full, strict=True):
        line = json.dumps(  # dumps_entry's line of the class as it was
            {"format": 1, "type": "favor", **converter.unstructure(twin)},
            ensure_ascii=False,
        )
        assert row_of(favor) == (favor.id, "favor", utc_text(twin.at), line)
        assert type(favor._at) is int  # type: ignore[attr-defined]
        assert dumps_stored(favor) == dumps_entry(favor) == line
        assert converter.unstructure(favor) == converter.unstructure(twin)
        assert type(favor._at) is int  # written, never made  # type: ignore[attr-defined]
    assert [f.at for f in lean] == [f.at for f in full]  # now made and kept
    for favor, twin in zip(lean, full, strict=True):
        assert favor == Favor(**fields_of(twin))
        assert hash(favor) == hash(Favor(**fields_of(twin)))
        assert pickle.dumps(favor) == pickle.dumps(Favor(**fields_of(twin)))
        assert converter.structure(converter.unstructure(twin), Favor) == favor
        assert loads_entry(dumps_entry(favor)) == favor
    order = sorted(range(len(lean)), key=lambda n: lean[n].at)
    assert order == sorted(range(len(full)), key=lambda n: full[n].at)
    rows = [(n, "favor", line_of(f)) for n, f in enumerate(full)]
    replayed: list[Favor] = []
    replay_rows(rows, lambda run, _: replayed.extend(run), _refuse)
    assert replayed == lean
    assert [f.at for f in replayed] == [f.at for f in lean]


def line_of(full: Any) -> str:
    """The JSON line of a favor of the class as it was, as main writes it."""
    return dumps_entry(Favor(**fields_of(full)))


def _refuse(seq: int, _kind: str, body: str) -> None:
    raise AssertionError(f"row {seq} not read as a plain favor: {body}")


@settings(max_examples=100)
@given(st.lists(favor_fields(), min_size=1, max_size=6))
def test_favors_replayed_from_a_store_are_the_favors_written(
    many: list[dict[str, Any]],
) -> None:
    """The rows of recorded favors (some dated now, some plain, some with a
    referrer, reason, tags or pledge) replay as the same favors, fields and
    types, the plain ones sharing their kind's one ``_more``."""
    led = Ledger()
    for fields in many:
        fields.pop("fulfils", None)
        with contextlib.suppress(FavorLedgerError):
            led.record(**fields)
    log = [f for f in led.log if isinstance(f, Favor)]
    rows = [(n, "favor", row_of(f)[3]) for n, f in enumerate(log)]
    back: dict[int, Favor] = {}
    replay_rows(
        rows,
        lambda run, seqs: back.update(zip(seqs, run, strict=True)),
        lambda seq, _, body: back.update({seq: loads_entry(body)}),  # type: ignore[dict-item]
    )
    assert [back[n] for n in range(len(log))] == log
    for n, favor in enumerate(log):
        assert fields_of(back[n]) == fields_of(favor)
        if favor.via is None and not favor.reason and not favor.tags:
            assert back[n]._more is model._PLAIN_MORE[favor.kind]  # type: ignore[attr-defined]


_SLOTS = {name: name for name in _NAMES if name not in model._MORE_FIELDS}
_SLOTS["at"] = "_at"


def test_the_constructor_is_attrs_own_rewritten() -> None:
    """``Favor.__init__`` is the one attrs generated for the class as it
    was, rewritten to fill the lean slots (``model._direct_init``), not the
    slower wrapper that builds and copies a full instance."""
    assert "packed_kind" in Favor.__init__.__code__.co_varnames
    assert model._direct_init(_Full, Favor, _SLOTS) is not None


@settings(max_examples=100)
@given(favor_fields())
def test_the_wrapper_constructor_makes_the_same_favors(fields: dict[str, Any]) -> None:
    """Where attrs's source has another shape, ``Favor.__init__`` is a
    wrapper that builds the full instance and keeps its fields
    (``model._wrapped_init``): it makes the same favors and errors."""
    init = model._wrapped_init(_Full, Favor, _SLOTS)
    fields.setdefault("id", "f1")
    fields.setdefault("at", datetime(2024, 1, 1, tzinfo=UTC))
    wrapped = object.__new__(Favor)
    try:
        made = Favor(**fields)
    except FavorLedgerError as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            init(wrapped, **fields)
        return
    init(wrapped, **fields)
    assert fields_of(wrapped) == fields_of(made)
    assert wrapped == made
    assert wrapped._more == made._more  # type: ignore[attr-defined]


def test_a_traceback_through_the_constructor_shows_its_lines() -> None:
    """``Favor.__init__`` is made from source text (``model._lean``); a
    refused favor's traceback shows each of its frames' lines, as it did
    when attrs's own generated ``__init__`` ran."""
    with pytest.raises(FavorLedgerError) as refused:
        Favor(giver="ann", receiver="ann", value=1)
    frames = traceback.extract_tb(refused.value.__traceback__)[1:]  # the test's own
    assert [frame.name for frame in frames] == ["__init__", "__attrs_post_init__"]
    assert all(frame.line for frame in frames), frames
