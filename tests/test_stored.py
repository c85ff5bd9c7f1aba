"""Reopening a store rebuilds its rows on a trusted path, with the same result.

A store's rows were written from entries that passed every check, so
reopening rebuilds them without validating their fields again. The promise:
for every entry the library can write, the trusted rebuild equals the
checked one (field by field, type by type, and as text), and a row the
trusted path cannot read falls back to the checked path and its error.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_paths import holds_only_atoms
from test_sqlite import rich_ledgers

from favorledger import Favor, Ledger, trading
from favorledger.errors import FormatError
from favorledger.io import stored
from favorledger.io.chain import GENESIS
from favorledger.io.jsonl import ENTRY_TYPES, dumps_entry, loads_entry
from favorledger.io.sqlite import SqliteStore
from favorledger.io.store import LogStore
from favorledger.io.stored import (
    dumps_row,
    dumps_stored,
    loads_stored,
    plain_favor,
    row_of,
    utc_text,
)
from favorledger.model import Entry
from favorledger.testing.strategies import favors, ledgers, person_ids

T0 = "2024-01-01T09:00:00+00:00"


def _market(led: Ledger) -> list[Entry]:
    """A few market entries next to the ledger's own."""
    people = sorted(led.people)[:2] or ["ann", "bob"]
    a, b = (people * 2)[:2] if len(people) > 1 else ("ann", "bob")
    extra = Ledger()
    trading.pledge(extra, a, b, "1/3", id="p1", at=T0, expires="2030-01-01T00:00+09:00")
    trading.release(extra, "p1", at=T0, id="x1")
    trading.ask(extra, a, b, 2, id="a1", at=T0, due="2025-01-01T00:00+00:00")
    trading.answer(extra, "a1", "accepted", at=T0, id="y1")
    extra.record(a, b, 5, id="f-market", at=T0)
    trading.assign(extra, a, b, "cat", "2.5", at=T0, id="s1")
    return list(extra.log)


@settings(max_examples=60)
@given(led=st.one_of(rich_ledgers(), ledgers(max_favors=15)))
def test_the_trusted_rebuild_equals_the_checked_one(led: Ledger) -> None:
    for entry in [*led.log, *_market(led)]:
        line = dumps_entry(entry)
        assert dumps_stored(entry) == line
        trusted, checked = loads_stored(line), loads_entry(line)
        assert trusted == checked
        assert type(trusted) is type(checked)
        assert dumps_entry(trusted) == line
        for field in type(entry).__attrs_attrs__:  # type: ignore[attr-defined]
            name = field.name
            assert type(getattr(trusted, name)) is type(getattr(checked, name))
            assert repr(getattr(trusted, name)) == repr(getattr(checked, name))


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"format": 1, "type": "favor", "id": "f1"}',
        '{"format": 2, "type": "favor"}',
        '{"format": 1, "type": "nothing"}',
        '{"format": 1, "type": "favor", "id": "f1", "giver": "a", "receiver": "b",'
        ' "value": -5, "at": "2024-01-01T00:00:00+00:00"}',
    ],
)
def test_a_row_the_trusted_path_cannot_read_gets_the_checked_error(line: str) -> None:
    with pytest.raises(FormatError) as trusted:
        loads_stored(line)
    with pytest.raises(FormatError) as checked:
        loads_entry(line)
    assert str(trusted.value) == str(checked.value)


@settings(max_examples=200)
@given(
    favor=favors(
        people=person_ids(pool=None),
        ids=st.one_of(person_ids(pool=None), st.sampled_from(['f"1', "f\\1", "f1"])),
        referrals=False,
    ),
    offset=st.integers(-14 * 60, 14 * 60),
)
def test_a_plain_favor_line_is_read_as_the_checked_path_reads_it(
    favor: Favor, offset: int
) -> None:
    """The commonest favor's line is read by one match, not the JSON decoder;
    ids with quotes, backslashes or any other text take the decoder."""
    favor = attrs.evolve(
        favor, at=favor.at.astimezone(timezone(timedelta(minutes=offset)))
    )
    line = dumps_stored(favor)
    plain, checked = plain_favor(line), loads_entry(line)
    if plain is None:  # something in it is escaped: the decoder reads it
        assert "\\" in line
        return
    assert plain == checked == loads_stored(line)
    holds_only_atoms(plain)
    for field in attrs.fields(Favor):
        name = field.name
        assert type(getattr(plain, name)) is type(getattr(checked, name))
        assert repr(getattr(plain, name)) == repr(getattr(checked, name))


@pytest.mark.parametrize(
    ("giver", "plain"),
    [("ann", True), ('a"nn', False), ("a\\nn", False), ("änn 🙂", True)],
)
def test_only_a_line_with_nothing_escaped_takes_the_plain_path(
    giver: str, plain: bool
) -> None:
    favor = Favor(giver=giver, receiver="bob", value=3, id="f1", at=T0)
    line = dumps_stored(favor)
    assert (plain_favor(line) is not None) is plain
    assert loads_stored(line) == favor


def test_a_reopened_ledger_keeps_one_string_per_person(tmp_path: Path) -> None:
    """Reading rows makes new strings; the plain path interns the people and
    kinds, so a reopened ledger does not hold a copy of each per favor."""
    path = tmp_path / "favors.db"
    with Ledger.open(path) as led:
        for n in range(3):
            led.record("ann", "bob", n + 1, id=f"f{n}", at=T0)
    with Ledger.open(path) as led:
        first, *rest = led.favors.values()
        assert all(
            f.giver is first.giver and f.receiver is first.receiver for f in rest
        )
        assert all(f.kind is first.kind for f in rest)


@settings(max_examples=60)
@given(led=st.one_of(rich_ledgers(), ledgers(max_favors=15)))
def test_a_row_formats_its_time_once_into_the_same_texts(led: Ledger) -> None:
    """``dumps_row`` formats the time once for the line and the UTC column:
    the line is ``dumps_entry``'s, and the column the fixed-width UTC text."""
    for entry in [*led.log, *_market(led)]:
        body, at = dumps_row(entry)
        assert body == dumps_entry(entry)
        assert at == utc_text(entry.at)
        assert at == entry.at.astimezone(UTC).isoformat(timespec="microseconds")


@pytest.mark.parametrize("microsecond", [0, 5, 999999])
@pytest.mark.parametrize("zone", [UTC, timezone(timedelta(hours=9))])
def test_the_column_has_every_microsecond_digit(
    microsecond: int, zone: timezone
) -> None:
    favor = Favor(
        giver="ann",
        receiver="bob",
        value=1,
        id="f1",
        at=datetime(2024, 1, 1, 9, 0, 0, microsecond, tzinfo=zone),
    )
    hour = "09" if zone is UTC else "00"
    assert dumps_row(favor)[1] == f"2024-01-01T{hour}:00:00.{microsecond:06d}+00:00"


@settings(max_examples=20, deadline=None)
@given(led=rich_ledgers())
def test_replaying_reads_the_rows_bodies_and_ends_at_the_head(led: Ledger) -> None:
    """``bodies`` (what reopening reads: three columns, the head at the end)
    gives what ``rows`` gives, and leaves the store's position and head where
    reading every row leaves them; the shared default agrees."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "favors.db")
        with Ledger.open(path) as stored:
            stored.add_many(led.log)
        store = SqliteStore.open(path, readonly=True)
        try:
            rows = list(store.rows())
            expected = [(seq, kind, body) for seq, _, kind, _, body, _ in rows]
            head = rows[-1][5] if rows else GENESIS
            for read in (SqliteStore.bodies, LogStore.bodies):
                store.skip(0, GENESIS)
                assert list(read(store)) == expected
                assert store.head == head
                assert list(store.unread()) == []
            with Ledger.open(path, readonly=True) as reopened:
                assert reopened.head == head
                assert reopened.log == stored.log
        finally:
            store.close()


def _zoned(at: datetime, minutes: int) -> datetime:
    return at.astimezone(timezone(timedelta(minutes=minutes)))


@settings(max_examples=80, deadline=None)
@given(
    led=st.one_of(ledgers(market=True), rich_ledgers(), ledgers(max_favors=15)),
    favor=favors(
        people=person_ids(pool=None),
        ids=st.one_of(person_ids(pool=None), st.sampled_from(['f"1', "f\\1"])),
    ),
    when=st.datetimes(datetime(2, 1, 2), datetime(9998, 12, 30)),
    minutes=st.sampled_from([0, 1, -570, 14 * 60]),
    microsecond=st.sampled_from([0, 1, 999_999, None]),
)
def test_a_row_is_the_columns_dumps_entry_and_utc_text_write(
    led: Ledger, favor: Favor, when: datetime, minutes: int, microsecond: int | None
) -> None:
    """The store's row maker (one generated function a type, the time
    formatted once, an amount's text put between quotes as it is) writes
    exactly the bytes of ``dumps_entry`` (digests and existing stores depend
    on them) and the fixed-width UTC column, for every entry type, at any
    time from year 2 to 9998, in any zone, with or without microseconds."""
    if microsecond is not None:
        when = when.replace(microsecond=microsecond)
    at = _zoned(when.replace(tzinfo=UTC), minutes)
    entries = [*led.log, *_market(led), attrs.evolve(favor, at=at)]
    for entry in entries:
        expected = (entry.id, ENTRY_TYPES[type(entry)], utc_text(entry.at))
        assert row_of(entry) == (*expected, dumps_entry(entry))
        assert dumps_row(entry) == (dumps_entry(entry), utc_text(entry.at))


# ----------------------------------------------- row makers, types resolved
def test_the_row_makers_are_generated_after_dumps_entry_resolved_the_types() -> None:
    """cattrs resolves an entry class's field types (``attrs.Attribute.type``
    becomes the objects) the first time ``dumps_entry`` writes one; the row
    makers, generated on first use, then fell back to ``dumps_entry`` itself
    for every entry (a batch insert about twice as slow, in any process that
    had exported or logged an entry before its first write). Every entry
    type whose fields all have a trusted form keeps its generated maker and
    builder; a settlement (its debts are tuples) has neither, as before."""
    led = Ledger()
    led.record("ann", "bob", 2, id="f1", at=T0)
    for entry in [*led.log, *_market(led)]:
        dumps_entry(entry)
    for cls, name in ENTRY_TYPES.items():
        attrs.resolve_types(cls)
        generated = name != "settlement"
        assert (stored._rower(cls, name) is not None) is generated, name
        assert (stored._builder(cls) is not None) is generated, name
    assert stored.ROW_MAKERS[Favor] is not stored._any_row
