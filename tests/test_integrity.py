"""The record stays whole: racing writers, tampering, read-only reads.

The promises:

* every write is checked against the store's *current* state, inside the
  transaction that holds the file's write lock: when several processes (or
  several open ledgers) race for a rule that depends on the state, exactly
  one wins, the others get exactly the error a single process would get, and
  the store always opens and passes ``check``;
* each stored entry carries a digest chained to the one before it; every way
  of changing a row behind the library's back is either refused by the
  database or reported by ``check`` (rewriting the whole chain is caught only
  against a head remembered earlier, ``--expect-head``);
* reading never writes: ``check`` and the read commands open the file
  read-only, and a file that is not ours is refused and left as it was;
* a store written by version 1 (no chain) is upgraded by the first writable
  open, in one transaction, and read as it is by read-only ones.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    AlreadyReversedError,
    FavorLedgerError,
    Ledger,
    MarketError,
    UnknownPersonError,
    trading,
)
from favorledger.cli import main
from favorledger.io.chain import GENESIS, first_break, link
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    StoreError,
    check_store,
    open_ledger,
    store_head,
)
from favorledger.testing.strategies import ledgers

T0 = "2024-01-01T09:00:00+00:00"
T1 = "2024-01-02T09:00:00+00:00"
RACERS = 3
TRIALS = 4


def _rows(path: Path | str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    finally:
        connection.close()


def _raw(path: Path | str, *statements: str) -> None:
    """Run SQL on the store through a plain connection, around the library."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


# ------------------------------------------------------------- racing writers


def _fork() -> multiprocessing.context.BaseContext:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    return multiprocessing.get_context("fork")


def _seed(path: str) -> None:
    """A store where each racing rule has something to race for."""
    with open_ledger(path) as led:
        led.record("ann", "bob", 5, id="f1", at=T0)  # bob owes ann 5
        trading.pledge(led, "carol", "me", 3, id="p1", at=T0)
        trading.ask(led, "me", "dan", 1, id="a1", at=T0)
        trading.ask(led, "me", "eve", 1, id="a2", at=T0)
        trading.answer(led, "a2", "accepted", at=T0)


RULES: dict[str, tuple[Callable[[Ledger], object], type[Exception]]] = {
    "reverse": (lambda led: led.reverse("f1", at=T1), AlreadyReversedError),
    "call": (lambda led: trading.call(led, "p1", at=T1), MarketError),
    "release": (lambda led: trading.release(led, "p1", at=T1), MarketError),
    "answer": (lambda led: trading.answer(led, "a1", "declined", at=T1), MarketError),
    "complete": (lambda led: trading.complete(led, "a2", at=T1), MarketError),
    "assign": (
        lambda led: trading.assign(led, "ann", "bob", "cat", 4, at=T1),
        MarketError,
    ),
}


def _racer(path: str, rule: str, start: Barrier, out: Queue[str]) -> None:
    act, _ = RULES[rule]
    with open_ledger(path, timeout=30) as led:  # its view is now stale
        start.wait(timeout=60)
        try:
            act(led)
        except FavorLedgerError as exc:
            out.put(type(exc).__name__)
        else:
            out.put("won")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_racing_a_state_dependent_rule_has_exactly_one_winner(
    tmp_path: Path, rule: str
) -> None:
    """Three processes open the store, then break the same rule at once."""
    context = _fork()
    _, loses_with = RULES[rule]
    for trial in range(TRIALS):
        path = str(tmp_path / f"race{trial}.db")
        _seed(path)
        start, out = context.Barrier(RACERS), context.Queue()
        procs = [
            context.Process(target=_racer, args=(path, rule, start, out), daemon=True)
            for _ in range(RACERS)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        assert [proc.exitcode for proc in procs] == [0] * RACERS
        results = sorted(out.get(timeout=10) for _ in procs)
        assert results == sorted(["won"] + [loses_with.__name__] * (RACERS - 1))
        assert check_store(path) == []
        with open_ledger(path, readonly=True) as led:
            assert led.damage == ()


def test_two_handles_calling_the_same_pledge_refuse_the_second(
    tmp_path: Path,
) -> None:
    """The reproduction: two ``Ledger.open`` handles call one pledge."""
    path = tmp_path / "favors.db"
    _seed(str(path))
    with Ledger.open(path) as first, Ledger.open(path) as second:
        trading.call(first, "p1", at=T1)
        with pytest.raises(MarketError, match="'p1' is called"):
            trading.call(second, "p1", at=T1)
        assert trading.pledge_status(second, "p1") == "called"  # its view caught up
    assert check_store(path) == []
    with Ledger.open(path) as led:
        assert led.balance("me") == -3


def test_a_stale_strict_handle_sees_a_person_another_handle_added(
    tmp_path: Path,
) -> None:
    """Strict people are checked against the store, not a stale copy."""
    path = tmp_path / "favors.db"
    with (
        open_ledger(path, strict=True) as first,
        open_ledger(path, strict=True) as late,
    ):
        first.add_person("ann", at=T0)
        first.add_person("bob", at=T0)
        favor = late.record("ann", "bob", 1, at=T1)  # late never saw them added
        assert favor.giver == "ann"
        with pytest.raises(UnknownPersonError, match="'zed'"):
            late.record("ann", "zed", 1, at=T1)
    assert check_store(path) == []


def test_racing_reverses_from_the_command_line(tmp_path: Path) -> None:
    """The reproduction: three ``favorledger reverse f1`` at once."""
    db = str(tmp_path / "race.db")
    command = [sys.executable, "-m", "favorledger", "--db", db]
    subprocess.run([*command, "record", "a", "b", "1", "--id", "f1"], check=True)
    for _ in range(TRIALS):
        procs = [
            subprocess.Popen(
                [*command, "reverse", "f1"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(RACERS)
        ]
        outcomes = [
            (proc.communicate(timeout=60)[1], proc.returncode) for proc in procs
        ]
        codes = sorted(code for _, code in outcomes)
        assert codes in ([0, 2, 2], [2, 2, 2])  # the first trial's winner stands
        for stderr, code in outcomes:
            if code:
                assert "already reversed" in stderr
        balance = subprocess.run(
            [*command, "balance", "a"], capture_output=True, text=True, check=True
        )
        assert balance.stdout.split()[-1] in ("0", "0.00")
    assert check_store(db) == []
    with open_ledger(db) as led:
        assert len(led.reversals) == 1


@settings(max_examples=25)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(["record", "reverse", "pledge", "call", "release"]),
            st.integers(0, 3),
        ),
        max_size=20,
    )
)
def test_interleaved_handles_behave_as_one_ledger(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[int, str, int]]
) -> None:
    """Writes through two handles of one store, in any interleaving, succeed
    or fail exactly as the same writes through one in-memory ledger."""
    path = tmp_path_factory.mktemp("interleaved") / "favors.db"
    model = Ledger()
    with open_ledger(path) as first, open_ledger(path) as second:
        handles = (first, second)
        for step, (who, action, n) in enumerate(steps):
            expected = _outcome(model, action, n, step)
            got = _outcome(handles[who], action, n, step)
            assert got == expected, (who, action, n)
        second.refresh()
        first.refresh()
        for led in handles:
            assert [dumps_entry(e) for e in led.log] == [
                dumps_entry(e) for e in model.log
            ]
    assert check_store(path) == []


def _outcome(led: Ledger, action: str, n: int, step: int) -> str:
    try:
        if action == "record":
            led.record("ann", "bob", n + 1, id=f"f{n}", at=T0)
        elif action == "reverse":
            led.reverse(f"f{n}", id=f"r{step}", at=T1)
        elif action == "pledge":
            trading.pledge(led, "cat", "ann", 2, id=f"p{n}", at=T0)
        elif action == "call":
            trading.call(led, f"p{n}", id=f"c{step}", at=T1)
        else:
            trading.release(led, f"p{n}", id=f"x{step}", at=T1)
    except FavorLedgerError as exc:
        return type(exc).__name__
    return "ok"


# ----------------------------------------------------------------- the chain


@settings(max_examples=30)
@given(led=ledgers(max_favors=12))
def test_every_stored_entry_is_chained_to_the_one_before(
    tmp_path_factory: pytest.TempPathFactory, led: Ledger
) -> None:
    """The digests are the chain of the bodies; each head vouches for its prefix."""
    path = tmp_path_factory.mktemp("chain") / "favors.db"
    heads = []
    with open_ledger(path, referral_share=led.referral_share) as stored:
        for entry in led.log:
            stored.add(entry)
            heads.append(stored.head)
    rows = _rows(path)
    bodies, digests = [r[4] for r in rows], [r[5] for r in rows]
    assert first_break(bodies, digests) is None
    assert digests == heads
    assert store_head(path) == (heads[-1] if heads else GENESIS)
    for head in heads:
        assert check_store(path, expect_head=head) == []


def _favor_store(path: Path) -> None:
    with open_ledger(path) as led:
        led.record("ann", "bob", 3, id="f1", at=T0)
        led.record("bob", "cat", 2, id="f2", at=T0)
        led.record("cat", "ann", 1, id="f3", at=T0)


REFUSED = {
    "update": "UPDATE entries SET body = replace(body, '\"3\"', '\"3000\"')",
    "delete": "DELETE FROM entries WHERE id = 'f2'",
    "insert or replace": (
        "INSERT OR REPLACE INTO entries SELECT seq, id, type, at,"
        " replace(body, '\"3\"', '\"3000\"'), digest FROM entries WHERE id = 'f1'"
    ),
    "replace": (
        "REPLACE INTO entries (seq, id, type, at, body, digest) SELECT 4, id, type,"
        " at, replace(body, '\"3\"', '\"3000\"'), digest FROM entries WHERE id = 'f1'"
    ),
    "upsert": (
        "INSERT INTO entries SELECT seq, id, type, at, body, digest FROM entries"
        " WHERE id = 'f1' ON CONFLICT DO UPDATE SET body = 'x'"
    ),
    "insert out of order": (
        "INSERT INTO entries (id, type, at, body, digest) SELECT 'f9', type, at,"
        " body, digest FROM entries WHERE id = 'f1'"
    ),
    "drop table": "DROP TABLE entries",  # refused? no: see below
}
del REFUSED["drop table"]  # SQLite cannot refuse DDL; check reports it instead


@pytest.mark.parametrize("how", sorted(REFUSED))
def test_the_database_refuses_rewriting_a_row(tmp_path: Path, how: str) -> None:
    path = tmp_path / "favors.db"
    _favor_store(path)
    before = _rows(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _raw(path, REFUSED[how])
    assert _rows(path) == before
    assert check_store(path) == []


DETECTED = {
    "drop trigger, then edit": [
        "DROP TRIGGER entries_no_update",
        "UPDATE entries SET body = replace(body, '\"3\"', '\"3000\"') WHERE id='f1'",
    ],
    "drop trigger, then delete a middle entry": [
        "DROP TRIGGER entries_no_delete",
        "DELETE FROM entries WHERE id = 'f2'",
    ],
    "drop triggers, then replace an entry": [
        "DROP TRIGGER entries_new_id",
        "DROP TRIGGER entries_in_order",
        "INSERT OR REPLACE INTO entries SELECT seq, id, type, at,"
        " replace(body, '\"2\"', '\"1\"'), digest FROM entries WHERE id = 'f2'",
    ],
    "drop a trigger only": ["DROP TRIGGER entries_new_id"],
    "add a trigger": [
        "CREATE TRIGGER sneaky AFTER INSERT ON entries BEGIN SELECT 1; END",
    ],
    "drop the entries table": ["DROP TABLE entries"],
    "change the application id": ["PRAGMA application_id = 7"],
}


@pytest.mark.parametrize("how", sorted(DETECTED))
def test_check_reports_every_change_the_database_could_not_refuse(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "favors.db"
    _favor_store(path)
    _raw(path, *DETECTED[how])
    problems = check_store(path)
    assert problems, how
    assert all(p.startswith(str(path)) for p in problems)


def test_check_names_the_first_changed_entry(tmp_path: Path) -> None:
    """The reproduction: history rewritten around the triggers; ``balance``
    shows 3000 and ``check`` used to say ok."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    _raw(path, *DETECTED["drop trigger, then edit"])
    problems = check_store(path)
    assert any("the trigger entries_no_update is missing" in p for p in problems)
    assert any("entry 1: its digest does not match its body" in p for p in problems), (
        problems
    )


def test_editing_bytes_in_the_file_is_reported(tmp_path: Path) -> None:
    """A digit changed in the file itself, below SQLite."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    with sqlite3.connect(path) as connection:  # fold the WAL into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    where = data.find(b'"value": "3"')
    assert where > 0
    data[where + len(b'"value": "')] = ord("7")
    path.write_bytes(bytes(data))
    problems = check_store(path)
    assert any("entry 1: its digest does not match" in p for p in problems)


def test_a_head_past_a_broken_link_is_not_held(tmp_path: Path) -> None:
    """A head is held only by an unbroken chain: an entry edited in place
    (its digest kept) breaks the link there, and the remembered head, which
    the stored digests still show further on, is reported as not held."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    remembered = store_head(path)
    _raw(
        path,
        "DROP TRIGGER entries_no_update",
        "UPDATE entries SET body = replace(body, '\"2\"', '\"20\"') WHERE seq = 2",
    )
    problems = check_store(path, expect_head=remembered)
    assert any("entry 2" in problem for problem in problems), problems
    assert any("expected head" in problem for problem in problems), problems


def test_a_cut_tail_or_a_rewritten_chain_is_caught_by_a_remembered_head(
    tmp_path: Path,
) -> None:
    """What a chain alone cannot see: the last entry removed, or the whole
    log rewritten with fresh digests. A head remembered earlier catches both."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    remembered = store_head(path)
    _raw(path, "DROP TRIGGER entries_no_delete", "DELETE FROM entries WHERE seq = 3")
    _raw(path, *_recreate_triggers())
    assert check_store(path) == []  # undetectable without the head
    assert "cut short" in check_store(path, expect_head=remembered)[0]

    path = tmp_path / "rewritten.db"
    _favor_store(path)
    remembered = store_head(path)
    _rewrite_whole_chain(path, lambda body: body.replace('"3"', '"3000"'))
    assert check_store(path) == []
    assert "rewritten" in check_store(path, expect_head=remembered)[0]


def _recreate_triggers() -> list[str]:
    connection = sqlite3.connect(":memory:")
    from favorledger.io.sqlite import _ENTRIES_TABLE

    connection.executescript(_ENTRIES_TABLE)
    sql = [
        row[0]
        for row in connection.execute(
            "SELECT sql FROM sqlite_schema WHERE name = 'entries_no_delete'"
        )
    ]
    connection.close()
    return sql


def _rewrite_whole_chain(path: Path, edit: Callable[[str], str]) -> None:
    rows = _rows(path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("DROP TRIGGER entries_no_delete")
    connection.execute("DELETE FROM entries")
    connection.executescript(";".join(_recreate_triggers()) + ";")
    head = GENESIS
    for seq, entry_id, kind, at, body, _ in rows:
        body = edit(str(body))
        head = link(head, body)
        connection.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (seq, entry_id, kind, at, body, head),
        )
    connection.close()


def test_check_head_and_expect_head_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "favors.db")
    assert main(["--db", db, "record", "a", "b", "3", "--id", "f1"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "check", "--head"]) == 0
    out = capsys.readouterr().out
    head = out.split("head ")[1].strip()
    assert head == store_head(db)
    assert main(["--db", db, "record", "a", "b", "1"]) == 0
    assert main(["--db", db, "check", "--expect-head", head]) == 0
    capsys.readouterr()
    assert main(["--db", db, "check", "--expect-head", "f" * 64]) == 1
    assert "does not hold the expected head" in capsys.readouterr().out
    assert main(["--db", db, "check", "--expect-head", "nope"]) == 2
    assert "64 lowercase hex" in capsys.readouterr().err


# --------------------------------------------------------- reading never writes


def test_check_on_an_empty_file_writes_nothing(tmp_path: Path) -> None:
    """The reproduction: ``check`` on a 0-byte file wrote a schema into it."""
    path = tmp_path / "empty.db"
    path.touch()
    problems = check_store(path)
    assert problems == [f"{path} is not a favorledger store: an empty file"]
    assert path.read_bytes() == b""
    assert main(["--db", str(path), "check"]) == 1
    assert main(["--db", str(path), "balance"]) == 2
    assert path.read_bytes() == b""


def test_another_applications_database_is_not_taken_over(tmp_path: Path) -> None:
    """The reproduction: an SQLite file with ``user_version=5`` and no tables."""
    path = tmp_path / "other.db"
    _raw(path, "PRAGMA user_version = 5")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"another application.*user_version 5"):
        open_ledger(path)
    assert path.read_bytes() == before
    assert "another application" in check_store(path)[0]


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_store_name_is_refused_as_such(name: str) -> None:
    """The reproduction: ``Ledger.open("")`` blamed the file system for WAL."""
    with pytest.raises(StoreError, match="must be a file name"):
        Ledger.open(name)


def test_a_store_whose_entries_table_was_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reproduction: ``sqlite3.OperationalError`` instead of our error."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    _raw(path, "DROP TABLE entries")
    with pytest.raises(StoreError, match="damaged favorledger store: no entries"):
        open_ledger(path)
    assert "no entries table" in check_store(path)[0]
    assert main(["--db", str(path), "balance"]) == 2
    assert "damaged" in capsys.readouterr().err


@pytest.mark.parametrize(
    "dropped",
    [("favorledger_schema",), ("entries",), ("entries", "favorledger_schema")],
)
@pytest.mark.parametrize("readonly", [False, True])
def test_a_store_missing_a_table_is_named_damaged(
    tmp_path: Path, dropped: tuple[str, ...], readonly: bool
) -> None:
    """A store without one of its tables is refused, for reading or writing,
    with a ``StoreError`` naming the file and each missing table (never a bare
    ``sqlite3`` or Python error), ``check`` reports it, and the file is left
    as it was."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    _raw(path, *(f"DROP TABLE {table}" for table in dropped))
    before = path.read_bytes()
    missing = " or ".join(sorted(dropped))
    with pytest.raises(StoreError, match=f"damaged favorledger store: no {missing} "):
        open_ledger(path, readonly=readonly)
    assert f"no {missing} table" in check_store(path)[0]
    assert path.read_bytes() == before


def test_read_commands_open_the_store_read_only(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    _favor_store(path)
    os.chmod(path, 0o444)
    try:
        with open_ledger(path, readonly=True) as led:
            assert led.readonly
            assert led.balance("ann") == 2
            with pytest.raises(StoreError, match="read-only"):
                led.record("ann", "bob", 1)
    finally:
        os.chmod(path, 0o644)


# ----------------------------------------------------------- version 1 stores

_V1_SCHEMA = """
CREATE TABLE favorledger_schema (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (length(type) > 0),
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)
    WHERE type = 'person';
CREATE INDEX entries_type_at ON entries (type, at);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: UPDATE refused');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: DELETE refused');
END;
CREATE TRIGGER schema_no_update BEFORE UPDATE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
CREATE TRIGGER schema_no_delete BEFORE DELETE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
INSERT INTO favorledger_schema VALUES (1, '2025-01-01');
PRAGMA application_id = {app};
"""
"""The schema favorledger 0.x version 1 wrote, word for word."""


def _v1_store(path: Path, led: Ledger) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(_V1_SCHEMA.format(app=APPLICATION_ID))
    from favorledger.io.jsonl import ENTRY_TYPES
    from favorledger.io.store import utc_text

    for entry in led.log:
        connection.execute(
            "INSERT INTO entries (id, type, at, body) VALUES (?, ?, ?, ?)",
            (
                entry.id,
                ENTRY_TYPES[type(entry)],
                utc_text(entry.at),
                dumps_entry(entry),
            ),
        )
    connection.close()


def test_a_version_1_store_is_upgraded_by_a_writable_open(tmp_path: Path) -> None:
    original = Ledger()
    original.record("ann", "bob", 3, id="f1", at=T0, via="cat")
    original.reverse("f1", id="r1", at=T1)
    original.record("bob", "ann", "1/3", id="f2", at=T1)
    path = tmp_path / "old.db"
    _v1_store(path, original)
    before = path.read_bytes()
    assert check_store(path) == []  # read as it is, and not upgraded
    with open_ledger(path, readonly=True) as led:
        assert led.balances() == original.balances()
        assert led.head == ""  # no chain yet: the rows have no digests
    assert path.read_bytes() == before
    with open_ledger(path) as led:
        assert led.balances() == original.balances()
        led.record("cat", "ann", 1, id="f3", at=T1)
    assert check_store(path) == []
    rows = _rows(path)
    assert [r[1] for r in rows] == ["f1", "r1", "f2", "f3"]
    assert first_break([str(r[4]) for r in rows], [str(r[5]) for r in rows]) is None
    with sqlite3.connect(path) as connection:
        assert connection.execute(
            "SELECT max(version) FROM favorledger_schema"
        ).fetchone() == (SCHEMA_VERSION,)
    connection.close()


# ----------------------------------------------------------- version 2 stores

_V2_SCHEMA = """
CREATE TABLE favorledger_schema (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TRIGGER schema_no_update BEFORE UPDATE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
CREATE TRIGGER schema_no_delete BEFORE DELETE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (length(type) > 0),
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL CHECK (length(digest) = 64)
);
CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)
    WHERE type = 'person';
CREATE INDEX entries_type_at ON entries (type, at);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: UPDATE refused');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: DELETE refused');
END;
CREATE TRIGGER entries_in_order BEFORE INSERT ON entries
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM entries) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: not the next seq');
END;
CREATE TRIGGER entries_new_id BEFORE INSERT ON entries
WHEN NEW.type <> 'person' AND EXISTS (
    SELECT 1 FROM entries WHERE type <> 'person' AND id = NEW.id
) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: id already stored');
END;
CREATE TRIGGER entries_new_statement BEFORE INSERT ON entries
WHEN NEW.type = 'person' AND EXISTS (
    SELECT 1 FROM entries WHERE type = 'person' AND id = NEW.id AND at = NEW.at
) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: id already stored');
END;
INSERT INTO favorledger_schema VALUES (2, '2026-01-01');
PRAGMA application_id = {app};
"""
"""The schema favorledger version 2 wrote, word for word."""


def old_store(path: Path, led: Ledger, schema: str) -> str:
    """A store made by an older favorledger's ``schema`` (its DDL, word for
    word), holding ``led``'s log; its head."""
    from favorledger.io.jsonl import ENTRY_TYPES
    from favorledger.io.store import utc_text

    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(schema.format(app=APPLICATION_ID))
    head = GENESIS
    for seq, entry in enumerate(led.log, start=1):
        body = dumps_entry(entry)
        head = link(head, body)
        connection.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (seq, entry.id, ENTRY_TYPES[type(entry)], utc_text(entry.at), body, head),
        )
    connection.close()
    return head


def _v2_store(path: Path, led: Ledger) -> str:
    """A version 2 store holding ``led``'s log; its head."""
    return old_store(path, led, _V2_SCHEMA)


def schema_names(path: Path, kind: str) -> set[str]:
    """The names of the store's schema objects of ``kind`` (table, index)."""
    connection = sqlite3.connect(path)
    try:
        found = connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = ?", (kind,)
        )
        return {str(row[0]) for row in found}
    finally:
        connection.close()


@settings(max_examples=10, deadline=None)
@given(led=ledgers(max_favors=8))
def test_a_version_2_store_is_read_as_it_is_and_upgraded_by_a_writable_open(
    led: Ledger,
) -> None:
    """Version 3 drops ``entries_type_at`` (no query reads it). A version 2
    store keeps it, and every byte, through a read-only open and ``check``;
    the first writable open drops it in one transaction and keeps every
    entry and digest; then the file checks clean against the schema a new
    store has, and writes on."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "v2.db"
        head = _v2_store(path, led)
        before, raw = _rows(path), path.read_bytes()
        assert check_store(path, expect_head=head) == []
        with open_ledger(path, readonly=True) as reading:
            assert reading.balances() == led.balances()
            assert reading.head == head
        assert path.read_bytes() == raw
        assert "entries_type_at" in schema_names(path, "index")
        with open_ledger(path) as writing:
            assert writing.balances() == led.balances()
            assert [e.id for e in writing.log] == [e.id for e in led.log]
            assert writing.head == head
        assert _rows(path) == before
        assert schema_names(path, "index") == {
            "entries_entry_id",
            "entries_person_statement",
        }
        with sqlite3.connect(path) as connection:
            versions = connection.execute("SELECT version FROM favorledger_schema")
            assert sorted(v for (v,) in versions) == [2, SCHEMA_VERSION]
        connection.close()
        assert check_store(path, expect_head=head) == []
        with open_ledger(path) as writing:
            writing.record("new1", "new2", 1, id="after-upgrade", at=T1)
        assert check_store(path, expect_head=head) == []


def test_a_version_2_store_edited_around_its_triggers_is_reported_as_it_is(
    tmp_path: Path,
) -> None:
    """``check`` follows a version 2 store's chain as it does a new one's:
    an entry rewritten around the triggers is named before any writable
    open upgrades the file."""
    led = Ledger()
    led.record("ann", "bob", 3, id="f1", at=T0)
    led.record("bob", "cy", 2, id="f2", at=T1)
    path = tmp_path / "v2.db"
    _v2_store(path, led)
    assert check_store(path) == []
    _raw(path, *DETECTED["drop trigger, then edit"])
    problems = check_store(path)
    assert any("entry 1: its digest does not match its body" in p for p in problems), (
        problems
    )


def test_the_insert_triggers_look_ids_up_through_the_indexes(tmp_path: Path) -> None:
    """Refusing a taken id must not scan the table on every insert (a first
    version did, and a batch of 10^5 favors became quadratic)."""
    path = tmp_path / "favors.db"
    _favor_store(path)
    connection = sqlite3.connect(path)
    try:
        for sql, args in [
            ("SELECT 1 FROM entries WHERE type <> 'person' AND id = ?", ("f1",)),
            (
                "SELECT 1 FROM entries WHERE type = 'person' AND id = ? AND at = ?",
                ("ann", T0),
            ),
        ]:
            plan = " ".join(
                str(row[-1])
                for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", args)
            )
            assert "USING INDEX" in plan, plan
        triggers = "".join(
            row[0]
            for row in connection.execute(
                "SELECT sql FROM sqlite_schema WHERE name LIKE 'entries_new_%'"
            )
        )
    finally:
        connection.close()
    assert "type <> 'person' AND id = NEW.id" in triggers
    assert "type = 'person' AND id = NEW.id AND at = NEW.at" in triggers
