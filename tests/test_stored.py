"""Reopening a store rebuilds its rows on a trusted path, with the same result.

A store's rows were written from entries that passed every check, so
reopening rebuilds them without validating their fields again. The promise:
for every entry the library can write, the trusted rebuild equals the
checked one (field by field, type by type, and as text), and a row the
trusted path cannot read falls back to the checked path and its error.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sqlite import rich_ledgers

from favorledger import Favor, Ledger, trading
from favorledger.errors import FormatError
from favorledger.io.jsonl import dumps_entry, loads_entry
from favorledger.io.stored import _plain_favor, dumps_stored, loads_stored
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
    plain, checked = _plain_favor(line), loads_entry(line)
    if plain is None:  # something in it is escaped: the decoder reads it
        assert "\\" in line
        return
    assert plain == checked == loads_stored(line)
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
    assert (_plain_favor(line) is not None) is plain
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
