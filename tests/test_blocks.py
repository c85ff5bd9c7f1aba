"""Sealed blocks (schema version 4): reopening through them gives the ledger
the rows give.

A writer seals every full range of ``blocks.BLOCK`` entries in its commit,
from the entries it has at hand; reopening reads the blocks' plain favors by
column and the other rows by ``seq``. The promises: the ledger reopened
through blocks is the one reopened from the rows alone, whatever the mix of
entries, the batches and the writers; a block that is wrong is not used
(and ``check`` names it); a version 3 store opens as it is read-only and
gets the table on its first writable open.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_integrity import _V2_SCHEMA, _raw, old_store, schema_names
from test_sqlite import rich_ledgers, snapshot

from favorledger import Favor, Ledger
from favorledger.errors import StoreError
from favorledger.io import blocks
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import (
    SCHEMA_VERSION,
    SqliteStore,
    check_store,
    open_ledger,
)
from favorledger.testing.strategies import ledgers

T0 = "2024-01-01T09:00:00+00:00"


@contextmanager
def block_size(size: int) -> Iterator[None]:
    """``blocks.BLOCK`` set to ``size`` for the block (writers and readers
    read it at each commit)."""
    before = blocks.BLOCK
    blocks.BLOCK = size  # type: ignore[misc]
    try:
        yield
    finally:
        blocks.BLOCK = before  # type: ignore[misc]


@contextmanager
def rows_only() -> Iterator[None]:
    """Reopening reads no block: every entry from its row, as before."""
    before = SqliteStore._replay_blocks
    SqliteStore._replay_blocks = lambda *_: 0  # type: ignore[method-assign]
    try:
        yield
    finally:
        SqliteStore._replay_blocks = before  # type: ignore[method-assign]


def block_rows(path: Path) -> list[tuple[int, int, str, str]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT first_seq, last_seq, body, digest FROM blocks ORDER BY first_seq"
        ).fetchall()
    finally:
        connection.close()


def reopened(path: Path, share: object = "1/2") -> tuple[str, list[str], str]:
    """What a reopened ledger shows (``snapshot`` and every person's history,
    as JSON lines), and its head."""
    with open_ledger(path, referral_share=share, readonly=True) as led:  # type: ignore[arg-type]
        seen = snapshot(led)
        history = [
            dumps_entry(entry)
            for person in sorted(led.people)
            for entry in led.history(person)
        ]
        assert not led.damage
        return seen, history, led.head


ZONES = [
    UTC,
    timezone(timedelta(hours=9)),
    timezone(timedelta(0), "GMT"),  # no offset, but not UTC itself
    timezone(timedelta(hours=-3, minutes=-30)),
]


@st.composite
def odd_times(draw: st.DrawFn, led: Ledger) -> Ledger:
    """``led`` with plain favors at times in other zones added: a block
    holds only those in UTC (an offset is written in the line)."""
    people = sorted(led.people)
    for n in range(draw(st.integers(0, 6))):
        giver, receiver = draw(st.permutations(people))[:2]
        led.record(
            giver,
            receiver,
            draw(st.sampled_from(["1", "2.5", "1/3"])),
            id=f"odd{n}",
            at=draw(st.datetimes(timezones=st.sampled_from(ZONES))).replace(year=2024),
        )
    return led


def plain_ledgers() -> st.SearchStrategy[Ledger]:
    """Mostly plain favors (what blocks hold), and every other kind of entry."""
    return st.one_of(
        ledgers(max_favors=25, market=True), rich_ledgers(), ledgers(max_favors=30)
    ).flatmap(odd_times)


@settings(max_examples=60, deadline=None)
@given(
    led=plain_ledgers(),
    size=st.sampled_from([1, 2, 3, 5]),
    cuts=st.lists(st.integers(0, 60), max_size=4),
)
def test_a_ledger_reopened_through_blocks_is_the_one_its_rows_give(
    led: Ledger, size: int, cuts: list[int]
) -> None:
    """The log stored in batches cut anywhere (so blocks fill across
    batches and partial tails stay), then reopened through its blocks and
    from its rows alone: the same log, entry by entry and byte by byte, the
    same balances, debts, obligations, ties, people and histories."""
    log = list(led.log)
    edges = sorted({0, len(log), *(c for c in cuts if c < len(log))})
    with tempfile.TemporaryDirectory() as directory, block_size(size):
        path = Path(directory, "favors.db")
        for start, end in itertools.pairwise(edges):
            with open_ledger(path, referral_share=led.referral_share) as writing:
                assert writing.add_many(log[start:end]) == end - start
        sealed = block_rows(path)
        assert [(b[0], b[1]) for b in sealed] == [
            (first, first + size - 1) for first in range(1, len(log) - size + 2, size)
        ]
        through_blocks = reopened(path, led.referral_share)
        with rows_only():
            from_rows = reopened(path, led.referral_share)
        assert through_blocks == from_rows
        assert through_blocks[0] == snapshot(led)
        assert check_store(path) == []


def test_blocks_hold_the_plain_favors_and_name_the_other_entries(
    tmp_path: Path,
) -> None:
    """A favor with a referrer, a reason, a time not in UTC, a person or a
    reversal is read from its row; the block lists its seq."""
    path = tmp_path / "favors.db"
    with block_size(4), open_ledger(path) as led:
        led.record("ann", "bob", 2, id="f1", at=T0)
        led.record("ann", "bob", 2, id="f2", at="2024-01-01T09:00:00+09:00")
        led.record("cat", "bob", 3, id="f3", at=T0, via="ann")
        led.record("ann", "cat", "1/3", id="f4", at=T0)
        led.add_person("dan")
        led.reverse("f4", id="r1", at=T0)
        led.record("bob", "ann", "2.5", id="f5", at=T0, reason="lunch")
        led.record("bob", "dan", "2.5", id="f6", at=T0, kind="advice")
    (first, last, body, _), (second, end, other, _) = block_rows(path)
    assert (first, last, second, end) == (1, 4, 5, 8)
    assert blocks.unseal(body, 1, 4) is not None
    favors, others = blocks.unseal(body, 1, 4)  # type: ignore[misc]
    assert [f.id for f in favors] == ["f1", "f4"]
    assert others == [2, 3]
    favors, others = blocks.unseal(other, 5, 8)  # type: ignore[misc]
    assert ([f.id for f in favors], others) == (["f6"], [5, 6, 7])
    assert reopened(path) == _from_rows(path)


def _from_rows(path: Path) -> tuple[str, list[str], str]:
    with rows_only():
        return reopened(path)


# ------------------------------------------------------------ several writers


def test_two_ledgers_on_one_file_interleaving_seal_the_right_blocks(
    tmp_path: Path,
) -> None:
    """Each writer seals from what it wrote and what it caught up with."""
    path = tmp_path / "favors.db"
    with block_size(3), open_ledger(path) as one, open_ledger(path) as two:
        for n in range(20):
            writer = (one, two)[n % 3 == 0]
            at = T0 if n % 2 else None  # None: dated now, kept as a count
            writer.record(f"p{n % 4}", f"p{(n + 1) % 4}", n % 5 + 1, id=f"f{n}", at=at)
            if n % 7 == 0:
                writer.add_many(
                    [
                        Favor(
                            giver="ann", receiver="bob", value=1, id=f"m{n}-{k}", at=T0
                        )
                        for k in range(4)
                    ]
                )
        total = len(one.log)
        two.refresh()
        assert snapshot(one) == snapshot(two)
    sealed = block_rows(path)
    assert sealed[-1][1] == total - total % 3
    assert check_store(path) == []
    assert reopened(path) == _from_rows(path)


def _fork() -> multiprocessing.context.BaseContext:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    return multiprocessing.get_context("fork")


def _writer(path: str, name: str, count: int) -> None:
    blocks.BLOCK = 4  # type: ignore[misc]  # the forked child's own module
    for n in range(count):
        with open_ledger(path, timeout=30) as led:
            if n % 3:  # dated now: the favor keeps its time as a count
                led.record(name, f"{name}-x", n % 4 + 1, id=f"{name}{n}")
            else:
                led.add_many(
                    [
                        Favor(giver=name, receiver="pot", value=1, id=f"{name}{n}-{k}")
                        for k in range(n % 5 + 1)
                    ]
                )


def test_processes_writing_one_file_at_once_leave_right_blocks(tmp_path: Path) -> None:
    path = str(tmp_path / "favors.db")
    open_ledger(path).close()
    context = _fork()
    procs = [
        context.Process(target=_writer, args=(path, f"w{n}", 12), daemon=True)
        for n in range(3)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    with open_ledger(path, readonly=True) as led:
        total = len(led.log)
    assert block_rows(path)[-1][1] == total - total % 4
    assert check_store(path) == []
    with block_size(4):
        assert reopened(Path(path)) == _from_rows(Path(path))


def test_a_store_read_past_entries_it_does_not_hold_seals_none_of_them(
    tmp_path: Path,
) -> None:
    """A writing store whose position moved past entries another writer
    stored, without keeping them (``bodies`` reads rows and keeps none),
    seals no block over them: a block is made only from entries at hand."""
    path = tmp_path / "favors.db"
    with block_size(3):
        store = SqliteStore.open(path)
        try:
            store.write(Favor(giver="ann", receiver="bob", value=1, id="f1", at=T0))
            with open_ledger(path) as other:
                other.record("cat", "dan", 2, id="f2", at=T0)
            assert [row[0] for row in store.bodies()] == [1, 2]
            store.write(Favor(giver="ann", receiver="bob", value=3, id="f3", at=T0))
        finally:
            store.close()
    assert check_store(path) == []
    assert reopened(path) == _from_rows(path)


def test_a_batch_that_rolls_back_leaves_no_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block is written in the batch's transaction: a failure after it
    undoes rows and block, and the next batch seals the range right."""
    path = tmp_path / "favors.db"
    original = blocks.seal
    made: list[int] = []

    def failing(_entries: object, first: int) -> str:
        made.append(first)
        raise sqlite3.OperationalError("disk I/O error")

    with block_size(3), open_ledger(path) as led:
        led.record("ann", "bob", 1, id="f1", at=T0)
        monkeypatch.setattr(blocks, "seal", failing)
        new = [
            Favor(giver="bob", receiver="cat", value=2, id=f"g{n}", at=T0)
            for n in range(4)
        ]
        with pytest.raises(StoreError):
            led.add_many(new)
        assert made == [1]
        assert block_rows(path) == []
        monkeypatch.setattr(blocks, "seal", original)
        led.add_many(new)
        led.record("cat", "ann", 1, id="f2", at=T0)
    assert [(b[0], b[1]) for b in block_rows(path)] == [(1, 3), (4, 6)]
    assert check_store(path) == []
    assert reopened(path) == _from_rows(path)


# ----------------------------------------------------------------- tampering


def _store_of_blocks(path: Path) -> None:
    with block_size(3), open_ledger(path) as led:
        for n in range(8):
            led.record("ann", "bob", n + 1, id=f"f{n}", at=T0)
        led.record("cat", "bob", 1, id="v1", at=T0, via="ann")


def _tamper(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("DROP TRIGGER blocks_no_update")
        for statement in statements:
            connection.executescript(statement)
    finally:
        connection.close()


def edited_body(body: str, edit: Callable[[list[Any]], object]) -> str:
    """``body`` with ``edit`` applied to its fields: texts split, numbers
    unpacked (``edit`` changes them in place; a field it sets to a text is
    written as it is)."""
    fields: list[Any] = body.split("\x1e")
    for place in range(1, 5):
        fields[place] = fields[place].split("\x1f")
    for place, code in zip(range(5, 8), "Iqq", strict=True):
        fields[place] = blocks._unpacked(code, fields[place])
    edit(fields)
    for place in range(1, 5):
        fields[place] = "\x1f".join(fields[place])
    for place, code in zip(range(5, 8), "Iqq", strict=True):
        if isinstance(fields[place], list):
            fields[place] = blocks._packed(code, fields[place])
    return "\x1e".join(fields)


def _edited(path: Path, edit: Callable[[list[Any]], object]) -> str:
    """An UPDATE setting the body of the block from seq 4 to ``edit`` of
    its fields (:func:`edited_body`)."""
    (body,) = [b[2] for b in block_rows(path) if b[0] == 4]
    text = edited_body(body, edit).replace("'", "''")
    return f"UPDATE blocks SET body = '{text}' WHERE first_seq = 4"


def _set(place: int, index: int, value: object) -> Callable[[list[Any]], object]:
    return lambda fields: fields[place].__setitem__(index, value)


BROKEN: dict[str, Callable[[Path], str]] = {
    "not json": lambda _: "UPDATE blocks SET body = 'garbage' WHERE first_seq = 4",
    "numbers that are not base64": lambda p: _edited(
        p, lambda c: c.__setitem__(5, "!!")
    ),
    "an index out of range": lambda p: _edited(p, _set(5, 3, 9)),
    "a favor to oneself": lambda p: _edited(p, _set(5, 3, 0)),
    "an index missing": lambda p: _edited(p, lambda c: c[5].pop()),
    "a time out of range": lambda p: _edited(p, _set(6, 0, 2**62)),
    "two people alike": lambda p: _edited(p, _set(2, 1, "ann")),
    "an id blank": lambda p: _edited(p, _set(1, 0, "")),
    "an id blank between two": lambda p: _edited(p, _set(1, 1, "")),
    "its digest": lambda _: (
        f"UPDATE blocks SET digest = '{'a' * 64}' WHERE first_seq = 4"
    ),
    "numbers not a whole count of their width": lambda p: _edited(
        p, lambda c: c.__setitem__(6, "AAAA")
    ),
    "an id repeated": lambda p: _edited(p, _set(1, 0, "f4")),
    "a kind with a quote": lambda p: _edited(p, _set(3, 0, 'favor"')),
    "a value no write makes": lambda p: _edited(p, _set(4, 1, "-5")),
    "its digest (and a value)": lambda p: (
        f"UPDATE blocks SET digest = '{'a' * 64}'"
        f" WHERE first_seq = 4; {_edited(p, _set(4, 0, '7'))}"
    ),
    "a block that covers less": lambda _: (
        "UPDATE blocks SET last_seq = 5 WHERE first_seq = 4"
    ),
    "an other entry named that is a favor": lambda p: _edited(
        p,
        lambda c: (
            c[1].pop(),
            c[5].__delitem__(slice(2, None, 3)),
            c[6].pop(),
            c[7].append(6),
        ),
    ),
}


@pytest.mark.parametrize("how", sorted(BROKEN))
def test_a_tampered_block_is_not_used_and_check_names_it(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "favors.db"
    _store_of_blocks(path)
    before = _from_rows(path)
    _tamper(path, BROKEN[how](path))
    assert reopened(path) == before
    problems = check_store(path)
    assert any("the block of entries 4 to" in p for p in problems), problems
    assert any("blocks_no_update is missing" in p for p in problems)


OUT_OF_PLACE: dict[str, tuple[str, list[str]]] = {
    "a block that starts inside the one before": (
        "UPDATE blocks SET first_seq = 3 WHERE first_seq = 4",
        ["3 to 6 does not follow the one before (to entry 3)"],
    ),
    "a block that ends before it starts": (
        "UPDATE blocks SET last_seq = 2,"
        " digest = (SELECT digest FROM entries WHERE seq = 2) WHERE first_seq = 4",
        [
            "4 to 2 does not follow the one before (to entry 3)",
            "7 to 9 does not follow the one before (to entry 3)",
        ],
    ),
}


@pytest.mark.parametrize("how", sorted(OUT_OF_PLACE))
def test_a_block_out_of_place_is_not_used_and_check_names_it(
    tmp_path: Path, how: str
) -> None:
    """A block that does not start right after the one before, or ends
    before it starts (its triggers dropped): reopening reads every entry
    from there on from its row, once, and ``check`` names the block."""
    path = tmp_path / "favors.db"
    _store_of_blocks(path)
    before = _from_rows(path)
    statement, named = OUT_OF_PLACE[how]
    _tamper(path, statement)
    assert reopened(path) == before
    with open_ledger(path, readonly=True) as led:
        assert [e.id for e in led.log] == [f"f{n}" for n in range(8)] + ["v1"]
    where = f"{path}: the block of entries "
    problems = check_store(path)
    assert [p[len(where) :] for p in problems if p.startswith(where)] == named


def test_a_block_edited_to_other_favors_is_named_by_check(tmp_path: Path) -> None:
    """A block changed to favors a write could make (a value 4 made 7)
    is found by ``check``, which rebuilds every block from its rows. (A
    reopen trusts a sound block, as it trusts a row whose digest was not
    checked: ``check`` reads everything.)"""
    path = tmp_path / "favors.db"
    _store_of_blocks(path)
    _tamper(path, _edited(path, _set(4, 0, "7")))
    problems = check_store(path)
    assert any(
        "the block of entries 4 to 6: entry 4 differs from its row" in p
        for p in problems
    ), problems


def test_a_dropped_blocks_table_is_reported_and_reopening_reads_the_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    _store_of_blocks(path)
    before = _from_rows(path)
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE blocks")
    connection.close()
    assert reopened(path) == before
    assert any("the table blocks is missing" in p for p in check_store(path))


# ----------------------------------------------------------------- upgrades

_V3_SCHEMA = _V2_SCHEMA.replace(
    "CREATE INDEX entries_type_at ON entries (type, at);\n", ""
).replace("VALUES (2, '2026-01-01')", "VALUES (3, '2026-06-01')")
"""The schema favorledger wrote as version 3: version 2's without the index
``entries_type_at`` (the upgrade from 2 to 3 drops it)."""
assert "entries_type_at" not in _V3_SCHEMA
assert "(3, '2026-06-01')" in _V3_SCHEMA


def _v3_store(path: Path, led: Ledger) -> str:
    """A version 3 store holding ``led``'s log; its head."""
    return old_store(path, led, _V3_SCHEMA)


@settings(max_examples=10, deadline=None)
@given(led=ledgers(max_favors=20, market=True))
def test_a_version_3_store_opens_as_it_is_and_a_writable_open_adds_blocks(
    led: Ledger,
) -> None:
    with tempfile.TemporaryDirectory() as directory, block_size(3):
        path = Path(directory, "v3.db")
        head = _v3_store(path, led)
        raw = path.read_bytes()
        assert check_store(path, expect_head=head) == []
        with open_ledger(path, referral_share=led.referral_share, readonly=True) as r:
            assert snapshot(r) == snapshot(led)
            assert r.head == head
        assert path.read_bytes() == raw
        assert "blocks" not in schema_names(path, "table")
        with open_ledger(path, referral_share=led.referral_share) as writing:
            assert snapshot(writing) == snapshot(led)
            assert "blocks" in schema_names(path, "table")
            assert block_rows(path) == []  # filled by the next write
            writing.record("new1", "new2", 1, id="after-upgrade", at=T0)
            total = len(writing.log)
        with sqlite3.connect(path) as connection:
            versions = connection.execute("SELECT version FROM favorledger_schema")
            assert sorted(v for (v,) in versions) == [3, SCHEMA_VERSION]
        connection.close()
        assert [b[1] for b in block_rows(path)][-1:] == (
            [total - total % 3] if total >= 3 else []
        )
        assert check_store(path, expect_head=head) == []
        assert reopened(path, led.referral_share) == _from_rows_with(
            path, led.referral_share
        )


def _from_rows_with(path: Path, share: object) -> tuple[str, list[str], str]:
    with rows_only():
        return reopened(path, share)


def test_a_block_holds_favors_with_any_text_but_what_json_escapes(
    tmp_path: Path,
) -> None:
    """Text beyond ASCII is written as it is (the favor is in the block); a
    quote or a backslash is escaped in the line (the favor is read from its
    row, as ``replay_rows`` reads it)."""
    path = tmp_path / "favors.db"
    with block_size(5), open_ledger(path) as led:
        led.record("zo\u00eb", "bob", 1, id="f\u00e91", at=T0)
        led.record("ann", 'bob "b"', 1, id="f2", at=T0)
        led.record("ann", "bob", 1, id="f\\3", at=T0)
        led.record("ann", "bob", 1, id="f4", at=T0, kind='a"b')
        led.record("ann", "bob", 1, id="f5", at=T0, kind="\u00e9t\u00e9")
    ((_, _, body, _),) = block_rows(path)
    favors, others = blocks.unseal(body, 1, 5)  # type: ignore[misc]
    assert [f.id for f in favors] == ["f\u00e91", "f5"]
    assert others == [2, 3, 4]
    assert reopened(path) == _from_rows(path)
    assert check_store(path) == []


def test_a_favor_json_escapes_before_another_entry_leaves_a_sound_block(
    tmp_path: Path,
) -> None:
    """A favor read from its row (JSON escapes its text) and, after it,
    another entry: the block lists both seqs in increasing order, so it is
    used and ``check`` finds it equal to its rows."""
    path = tmp_path / "favors.db"
    with block_size(3), open_ledger(path) as led:
        led.record("ann", 'bob "b"', 1, id="f1", at=T0)
        led.add_person("cat")
        led.record("ann", "bob", 1, id="f3", at=T0)
    ((_, _, body, _),) = block_rows(path)
    sealed = blocks.unseal(body, 1, 3)
    assert sealed is not None
    favors, others = sealed
    assert ([f.id for f in favors], others) == (["f3"], [1, 2])
    assert reopened(path) == _from_rows(path)
    assert check_store(path) == []


def test_a_block_of_more_than_500_other_entries_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block's other rows are read by seq, 500 to a statement (SQLite
    limits a statement's parameters): with more than 500 of them, the block
    is still used, and no range of rows is read in its place."""
    path = tmp_path / "favors.db"
    with block_size(1002), open_ledger(path) as led, led.batch():
        for n in range(1000):
            led.add_person(f"p{n}")
        led.record("p0", "p1", 1, id="f1", at=T0)
        led.record("p1", "p0", 2, id="f2", at=T0)
    assert [(b[0], b[1]) for b in block_rows(path)] == [(1, 1002)]
    before = _from_rows(path)
    ranges: list[tuple[int, int]] = []
    original = SqliteStore._range

    def counted(store: SqliteStore, first: int, last: int) -> sqlite3.Cursor:
        ranges.append((first, last))
        return original(store, first, last)

    monkeypatch.setattr(SqliteStore, "_range", counted)
    assert reopened(path) == before
    assert ranges == []


def test_a_reader_keeps_no_entries_for_a_seal(tmp_path: Path) -> None:
    """Only a writer seals: a store opened read-only, which may refresh for
    as long as it runs, keeps nothing for it."""
    path = tmp_path / "favors.db"
    with block_size(4), open_ledger(path) as writing:
        writing.record("ann", "bob", 1, id="f1", at=T0)
        with open_ledger(path, readonly=True) as reading:
            writing.record("ann", "bob", 1, id="f2", at=T0)
            assert reading.refresh() == 1
            assert reading._store._tail == []  # type: ignore[union-attr]
        assert len(writing._store._tail) == 2  # type: ignore[union-attr]


def test_a_block_whose_other_rows_are_gone_is_not_used(tmp_path: Path) -> None:
    """A block lists the seqs of its entries that are not plain favors (here
    two reversals) and reopening merges their rows in; if one of those rows
    was deleted past favorledger, the block no longer fits the rows: the
    range is read from its rows, as they are, and ``check`` reports the gap."""
    path = tmp_path / "favors.db"
    with block_size(6), open_ledger(path) as led:
        led.record("ann", "bob", 1, id="a", at=T0)
        led.reverse("a", id="X", at="2024-01-02T00:00Z")
        led.record("ann", "bob", 2, id="b", at=T0)
        led.reverse("b", id="Y", at="2024-01-02T00:00Z")
        led.record("ann", "bob", 3, id="c", at=T0)
        led.record("ann", "bob", 4, id="d", at=T0)
    assert [(b[0], b[1]) for b in block_rows(path)] == [(1, 6)]
    _raw(path, "DROP TRIGGER entries_no_delete", "DELETE FROM entries WHERE seq = 2")
    assert reopened(path) == _from_rows(path)
    assert any(
        "entry 2" in problem or "entries 2" in problem for problem in check_store(path)
    )
