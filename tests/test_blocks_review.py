"""Review of the sealed blocks (schema version 4): what a crafted block can
do to a reopen and to ``check``.

A block is read instead of its rows, so its body must be refused unless
:func:`~favorledger.io.blocks.seal` could have written it: a favor built
from it must meet every rule a recorded favor meets (ids as ``Favor``
takes them, a time between ``EARLIEST`` and ``LATEST``, an amount in the
form and bounds a write makes), and a row of the wrong SQLite type must not
make reopening or ``check`` raise anything but our errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_blocks import (
    _from_rows,
    _v3_store,
    block_rows,
    block_size,
    edited_body,
    reopened,
)
from test_integrity import _raw

from favorledger import Entry, Favor, Ledger, Person
from favorledger.io import blocks
from favorledger.io.sqlite import SCHEMA_VERSION, SqliteStore, check_store, open_ledger
from favorledger.io.stored import plain_favor

T0 = "2024-01-01T09:00:00+00:00"


def _store(path: Path) -> None:
    """Eight plain favors with blocks of three: blocks 1-3 and 4-6, and
    entries 7 and 8 after them."""
    with block_size(3), open_ledger(path) as led:
        for n in range(8):
            led.record("ann", "bob", n + 1, id=f"f{n}", at=T0)
    assert [(b[0], b[1]) for b in block_rows(path)] == [(1, 3), (4, 6)]


def test_a_block_whose_body_is_a_blob_is_not_used_and_check_names_it(
    tmp_path: Path,
) -> None:
    """A block inserted with a BLOB body (every trigger in place: the
    blocks' triggers check its place and digest, not its type): reopening
    reads the rows, ``check`` names the block, neither raises TypeError."""
    path = tmp_path / "favors.db"
    _store(path)
    before = _from_rows(path)
    _raw(
        path,
        "INSERT INTO blocks (first_seq, last_seq, body, digest)"
        " SELECT 7, 8, CAST('1' AS BLOB), digest FROM entries WHERE seq = 8",
    )
    assert reopened(path) == before
    problems = check_store(path)
    assert any("the block of entries 7 to 8" in p for p in problems), problems


def test_a_block_whose_last_seq_is_text_is_not_used_and_check_names_it(
    tmp_path: Path,
) -> None:
    """A block's ``last_seq`` made text (its triggers dropped): reopening
    reads the rows, ``check`` names the damage, neither raises TypeError."""
    path = tmp_path / "favors.db"
    _store(path)
    before = _from_rows(path)
    _raw(
        path,
        "DROP TRIGGER blocks_no_update",
        "UPDATE blocks SET last_seq = 'six' WHERE first_seq = 4",
    )
    assert reopened(path) == before
    problems = check_store(path)
    assert any("the block of entries 4 to six" in p for p in problems), problems


def _body(edit: Callable[[list[Any]], object]) -> str:
    """The body of a block of three plain favors, ``edit`` applied to its
    fields (:func:`test_blocks.edited_body`)."""
    favors = [
        Favor(giver="ann", receiver="bob", value=n + 1, id=f"f{n}", at=T0)
        for n in range(3)
    ]
    return edited_body(blocks.seal(favors, 1), edit)


def _put(place: int, index: int, value: object) -> Callable[[list[Any]], object]:
    return lambda fields: fields[place].__setitem__(index, value)


_YEAR_1 = -62135596800000000  # 0001-01-01T00:00:00+00:00, in microseconds
_YEAR_9999 = 253370764800000000  # 9999-01-01T00:00:00+00:00

UNWRITABLE: dict[str, Callable[[list[Any]], object]] = {
    # amounts: what parse_amount refuses, or not the text a write makes
    "a value finer than 1e-12 (huge exponent)": _put(4, 0, "1E-999999999999999999"),
    "a value finer than 1e-12": _put(4, 0, "0.0000000000001"),
    "a ratio finer than 1e-12": _put(4, 2, "1/3000000000000"),
    "a value not in normal form": _put(4, 1, "2.50"),
    "a value with spaces": _put(4, 1, " 2"),
    "a value with an underscore": _put(4, 1, "1_0"),
    "a value in other digits": _put(4, 1, "\u0662"),
    # times outside EARLIEST..LATEST (datetime's own range is wider)
    "a time in year 1": _put(6, 0, _YEAR_1),
    "a time in year 9999": _put(6, 0, _YEAR_9999),
    # ids, people and kinds as Favor would not take them
    "an id with a space around it": _put(1, 0, " f0"),
    "an id with a no-break space": _put(1, 0, "f\u00a00"),
    "an id with a line separator": _put(1, 0, "f\u20280"),
    "an id not in NFC": _put(1, 0, "e\u0301"),
    "an id too long": _put(1, 0, "f" * 201),
    "a person with a space around it": _put(2, 0, "ann "),
    "a person with a zero-width space": _put(2, 0, "a\u200bnn"),
    "a kind with a space around it": _put(3, 0, " favor"),
    "an id empty between two": _put(1, 1, ""),
    # the layout: its format, and as many indexes as the favors take
    "another format": lambda fields: fields.__setitem__(0, "2"),
    "an index more than the favors take": lambda fields: fields[5].append(0),
    "times that are not whole 64-bit numbers": lambda fields: fields.__setitem__(
        6, "AAAA"
    ),
}


@pytest.mark.parametrize("how", sorted(UNWRITABLE))
def test_unseal_refuses_a_body_no_write_makes(how: str) -> None:
    body = _body(UNWRITABLE[how])
    assert blocks.unseal(_body(lambda _: None), 1, 3) is not None
    assert blocks.unseal(body, 1, 3) is None


_F = [
    Favor(giver="ann", receiver="bob", value=n + 1, id=f"f{n}", at=T0) for n in range(3)
]

UNLISTED: dict[str, tuple[list[Entry], list[int]]] = {
    # the entries of the block 1 to 3, and the seqs its body lists instead
    "a seq before the block": ([_F[0], _F[1], Person(id="cat")], [0]),
    "a seq past the block": ([_F[0], _F[1], Person(id="cat")], [4]),
    "a seq listed twice": ([_F[0], Person(id="cat"), Person(id="dan")], [2, 2]),
    "seqs out of order": ([_F[0], Person(id="cat"), Person(id="dan")], [3, 2]),
    "a seq more than its favors leave": (_F, [2]),
}


@pytest.mark.parametrize("how", sorted(UNLISTED))
def test_unseal_refuses_other_seqs_no_write_lists(how: str) -> None:
    """The seqs of a block's other entries are, in increasing order, those
    of its range that none of its favors takes: any other list would hand a
    favor over at another entry's seq, or past the block."""
    entries, seqs = UNLISTED[how]
    body = blocks.seal(entries, 1)
    assert blocks.unseal(body, 1, 3) is not None
    listed = edited_body(body, lambda fields: fields.__setitem__(7, seqs))
    assert blocks.unseal(listed, 1, 3) is None


def test_difference_names_the_first_entry_that_differs_and_a_missing_row() -> None:
    """``check``'s account of a block: the first seq where it and its rows
    disagree (the earlier of the two favors' seqs), and a row missing from
    its range even where the favors it holds are all there."""
    moved = blocks.seal([_F[0], Person(id="cat"), _F[1]], 1)  # f1 at seq 3
    assert (
        blocks.difference(moved, [_F[0], _F[1], Person(id="cat")], 1, 3)
        == "entry 2 differs from its row"
    )
    whole = blocks.seal([_F[0], _F[1], Person(id="cat")], 1)
    assert blocks.difference(whole, [_F[0], _F[1], Person(id="cat")], 1, 3) is None
    assert (
        blocks.difference(whole, [_F[0], _F[1]], 1, 3)
        == "it covers 3 entries; the rows hold 2"
    )


def test_a_block_with_a_value_of_huge_exponent_opens_as_its_rows(
    tmp_path: Path,
) -> None:
    """Such a value made reopening raise MemoryError (an exact sum of 10**18
    digits); the block is not used now."""
    path = tmp_path / "favors.db"
    _store(path)
    before = _from_rows(path)
    (body,) = [b[2] for b in block_rows(path) if b[0] == 4]
    fields = body.split("\x1e")
    fields[4] = fields[4].replace("4", "1E-999999999999999999", 1)
    assert fields[4].startswith("1E-")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("DROP TRIGGER blocks_no_update")
        connection.execute(
            "UPDATE blocks SET body = ? WHERE first_seq = 4", ("\x1e".join(fields),)
        )
    finally:
        connection.close()
    assert reopened(path) == before
    assert any("the block of entries 4 to 6" in p for p in check_store(path))


def _line(entry_id: str, value: str = "1", at: str = T0) -> str:
    return (
        f'{{"format": 1, "type": "favor", "id": "{entry_id}", "giver": "ann",'
        f' "receiver": "bob", "value": "{value}", "kind": "favor", "at": "{at}",'
        ' "via": null, "reason": "", "tags": [], "referral_share": null,'
        ' "fulfils": null}'
    )


@pytest.mark.parametrize(
    "line",
    [
        _line(" f1"),
        _line("e\u0301"),
        _line("f1", value="0.0000000000001"),
        _line("f1", at="0001-01-01T00:00:00+00:00"),
    ],
)
def test_a_favor_a_row_holds_but_no_write_makes_is_sealed_as_another_entry(
    line: str,
) -> None:
    """A favor read from such a row (the rows' reading is lenient, for
    stores older versions wrote) is listed among the block's other entries,
    so that the block unseals and ``check`` finds it equal to its rows."""
    odd = plain_favor(line)
    assert odd is not None
    entries = [
        Favor(giver="ann", receiver="bob", value=2, id="g1", at=T0),
        odd,
        Favor(giver="bob", receiver="ann", value=2, id="g2", at=T0),
    ]
    body = blocks.seal(entries, 1)
    assert blocks.unseal(body, 1, 3) is not None
    favors, others = blocks.unseal(body, 1, 3)  # type: ignore[misc]
    assert ([f.id for f in favors], others) == (["g1", "g2"], [2])
    assert blocks.difference(body, entries, 1, 3) is None


def test_a_writer_that_finds_its_store_upgraded_by_another_seals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers open a version 3 store at once; the second to upgrade
    finds it done. It must know the store is version 4: it kept version 3,
    so it never sealed a block nor read one for as long as it ran."""
    path = tmp_path / "v3.db"
    led = Ledger()
    led.record("ann", "bob", 1, id="f0", at=T0)
    _v3_store(path, led)
    original = SqliteStore._check_version
    raced: list[bool] = []

    def racing(store: SqliteStore) -> int:
        version = original(store)
        if not raced:  # another writer upgrades between the look and the upgrade
            raced.append(True)
            open_ledger(path).close()
        return version

    monkeypatch.setattr(SqliteStore, "_check_version", racing)
    with block_size(3), open_ledger(path) as writing:
        assert raced
        writing.add_many(
            [
                Favor(giver="bob", receiver="cat", value=2, id=f"g{n}", at=T0)
                for n in range(5)
            ]
        )
        assert writing._store.version == SCHEMA_VERSION  # type: ignore[union-attr]
    assert [(b[0], b[1]) for b in block_rows(path)] == [(1, 3), (4, 6)]
    assert check_store(path) == []


def test_check_of_a_store_without_its_blocks_table_reads_it_all(
    tmp_path: Path,
) -> None:
    """The missing table is named once; ``check`` does not also say it
    cannot read the store, nor stop there (it skipped the balances' sum)."""
    path = tmp_path / "favors.db"
    _store(path)
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE blocks")
    connection.close()
    problems = check_store(path)
    assert any("the table blocks is missing" in p for p in problems), problems
    assert not any("cannot read the store" in p for p in problems), problems


@pytest.mark.parametrize(
    "insert",
    [
        f"INSERT INTO blocks VALUES (7, 8, 'x', '{'0' * 64}')",  # a wrong digest
        "INSERT INTO blocks SELECT 7, 6, 'x', digest FROM entries WHERE seq = 6",
        "INSERT INTO blocks SELECT 6, 8, 'x', digest FROM entries WHERE seq = 8",
    ],
    ids=["the digest is not its last entry's", "it ends before it begins", "overlap"],
)
def test_the_database_refuses_a_block_out_of_place(tmp_path: Path, insert: str) -> None:
    """Each clause of the blocks' insert trigger: a block must begin right
    after the last one, not end before it begins, and carry the digest of
    its last entry. A block in the right place with another digest, or
    ending before it begins, is refused; nothing changes."""
    path = tmp_path / "favors.db"
    _store(path)
    before = block_rows(path)
    with pytest.raises(sqlite3.IntegrityError, match="not the next block"):
        _raw(path, insert)
    assert block_rows(path) == before
    assert check_store(path) == []
