"""A refused write command makes no new ledger: it changes nothing.

A command that writes to a ledger that is not there yet makes it, and says
so once (``favorledger: created a new ledger at ...``). A command that is
refused, on its arguments or on the file it imports, must leave no new
PostgreSQL schema (``?ledger=NAME``), no new SQLite file and an empty file
empty, and say nothing of a new ledger. On PostgreSQL the ledger is made in
the transaction of its first write (``create="on write"``): two handles that
open the same new ledger at once both write to it, and one of them made it.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from favorledger.io import postgres
from favorledger.io.postgres import StoreError, check_store, open_ledger
from favorledger.io.sqlite import StoredLedger
from tests.command_line import run

_CREATED = "favorledger: created a new ledger at "
_names = itertools.count()


def _schema_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (name,)
        ).fetchone()
    assert row is not None
    return bool(row[0])


_ids = st.text(
    st.characters(codec="ascii", categories=("Ll", "Nd")), min_size=1, max_size=6
)
_bad_values = st.sampled_from(["abc", "-1", "1/0", "nan", "inf", "1e999999", "--"])


@st.composite
def refused_commands(draw: st.DrawFn) -> tuple[list[str], str | None]:
    """A write command the command line refuses, and the text of the file it
    imports (None for a command that imports nothing)."""
    person = draw(_ids)
    kind = draw(st.sampled_from(["same", "value", "import", "tie"]))
    if kind == "same":  # a favor to oneself
        return ["record", person, person, "1"], None
    if kind == "value":  # after "--", as a value that begins with "-" is given
        return ["record", "--", person, f"{person}x", draw(_bad_values)], None
    if kind == "tie":  # a tie with oneself
        return ["tie", person, person, "0.5"], None
    good = {"type": "favor", "id": "f1", "giver": person, "receiver": "zz"}
    good |= {"value": "1", "at": "2024-01-01T00:00:00+00:00"}
    bad = draw(
        st.sampled_from(
            [
                "not json",
                json.dumps(good | {"value": "abc"}),
                json.dumps(good | {"receiver": person}),
                json.dumps(good | {"type": "nothing"}),
            ]
        )
    )
    return ["import", "-"], f"{json.dumps(good)}\n{bad}\n"


def _run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: str,
    argv: list[str],
    text: str | None,
) -> tuple[int, str, str]:
    if text is not None:
        stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
        monkeypatch.setattr("sys.stdin", stdin)
    return run(capsys, "--db", db, *argv)


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=refused_commands())
@example(command=(["record", "--", "a", "ax", "--"], None))  # VALUE "--"
@example(command=(["record", "--", "a", "ax", "-1"], None))
def test_a_refused_command_makes_no_new_postgres_ledger(
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[list[str], str | None],
) -> None:
    argv, text = command
    name = f"new{next(_names)}"
    code, _, err = _run(
        capsys, monkeypatch, f"{postgres_url}?ledger={name}", argv, text
    )
    assert code == 2, err
    assert "usage:" not in err, err  # refused by the command, not by argparse
    assert _CREATED not in err, err
    assert not _schema_exists(postgres_url, name)


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=refused_commands(), empty_file=st.booleans())
@example(command=(["record", "--", "a", "ax", "--"], None), empty_file=True)
@example(command=(["record", "--", "a", "ax", "-1"], None), empty_file=False)
def test_a_refused_command_makes_no_new_sqlite_file_and_leaves_an_empty_one(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[list[str], str | None],
    empty_file: bool,
) -> None:
    argv, text = command
    place = tmp_path / f"case{next(_names)}"
    place.mkdir()
    db = place / "favors.db"
    if empty_file:
        db.touch()
    code, _, err = _run(capsys, monkeypatch, str(db), argv, text)
    assert code == 2, err
    assert "usage:" not in err, err  # refused by the command, not by argparse
    assert _CREATED not in err, err
    if empty_file:
        assert db.read_bytes() == b""  # never deleted, never changed
    else:
        assert not db.exists()
    assert sorted(p.name for p in place.iterdir()) == ([db.name] * empty_file)


def test_the_first_write_makes_the_postgres_ledger_and_says_so_once(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{postgres_url}?ledger=club"
    code, _, err = run(capsys, "--db", url, "record", "ann", "ann", "1")
    assert code == 2
    assert _CREATED not in err
    code, out, err = run(capsys, "--db", url, "record", "ann", "bob", "1")
    assert code == 0, err
    assert err.count(_CREATED) == 1, err
    assert err.startswith(_CREATED), err
    assert out.startswith("recorded favor")
    code, _, err = run(capsys, "--db", url, "record", "bob", "ann", "1")
    assert code == 0, err
    assert _CREATED not in err, err
    with open_ledger(url, create=False) as led:
        assert led.balance("ann") == 0
        assert len(led.log) == 2


def test_a_write_that_fails_takes_the_schema_it_made_away(postgres_url: str) -> None:
    """The library's ``create="on write"``: until a write commits nothing is
    made, a failed batch (after its entries were sent) leaves no schema, and
    ``created`` turns true with the write that made it."""
    url = f"{postgres_url}?ledger=later"
    with open_ledger(url, create="on write") as led:
        assert not led.created
        assert len(led) == 0
        assert led.balances() == {}
        with pytest.raises(RuntimeError, match="refused after"):
            _record_then_fail(led)
        assert not led.created
        assert "f1" not in led.favors
        assert not _schema_exists(postgres_url, "later")
        led.record("ann", "bob", 2, id="f2")
        assert led.created
        assert _schema_exists(postgres_url, "later")
    with open_ledger(url, create=False) as again:
        assert not again.created
        assert list(again.favors) == ["f2"]


def _record_then_fail(led: StoredLedger) -> None:
    with led.batch():
        led.record("ann", "bob", 1, id="f1")
        raise RuntimeError("refused after the entry was written")


def test_a_store_opened_on_write_reads_what_another_handle_made(
    postgres_url: str,
) -> None:
    url = f"{postgres_url}?ledger=shared"
    with (
        open_ledger(url, create="on write") as late,
        open_ledger(url, create="on write") as early,
    ):
        early.record("ann", "bob", 1, id="f1")
        assert early.created
        assert late.refresh() == 1
        assert list(late.favors) == ["f1"]
        late.record("bob", "ann", 1, id="f2")
        assert not late.created  # it did not make the ledger
        assert early.refresh() == 1
        assert early.balance("ann") == 0


def test_handles_that_open_the_same_new_ledger_at_once_both_write(
    postgres_url: str,
) -> None:
    """Race-safe: several handles open one missing ledger before any writes,
    then write at the same moment; every favor is stored once, and exactly
    one handle made the ledger."""
    url = f"{postgres_url}?ledger=race"
    handles = [open_ledger(url, create="on write") for _ in range(4)]
    start = threading.Barrier(len(handles))
    failed: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        try:
            handles[n].record(f"p{n}", "hub", 1, id=f"f{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            failed.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(handles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failed == []
        assert sum(h.created for h in handles) == 1
    finally:
        for handle in handles:
            handle.close()
    with open_ledger(url, create=False) as led:
        assert sorted(led.favors) == [f"f{n}" for n in range(len(handles))]
    assert check_store(url) == []


def test_a_foreign_schema_is_refused_by_the_first_write(postgres_url: str) -> None:
    """A schema another application made between the open and the first
    write is refused then, as opening refuses it, and left as it is."""
    url = f"{postgres_url}?ledger=theirs"
    with open_ledger(url, create="on write") as led:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute("CREATE SCHEMA theirs")
            connection.execute("CREATE TABLE theirs.things (x int)")
        with pytest.raises(StoreError, match="not a favorledger store"):
            led.record("ann", "bob", 1)
    assert _schema_exists(postgres_url, "theirs")
    assert postgres.split_url(url)[1] == "theirs"


_not_create = st.one_of(
    st.sampled_from(["on-write", "on_write", "On write", "yes", "", 0, 1, None]),
    st.text(max_size=12).filter(lambda text: text != "on write"),
)
_not_flag = st.one_of(st.sampled_from(["no", "", 0, 1, None]), st.text(max_size=8))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(create=_not_create, readonly=st.one_of(st.booleans(), _not_flag))
def test_a_create_or_readonly_that_is_not_a_choice_is_refused_and_makes_nothing(
    postgres_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    create: object,
    readonly: object,
) -> None:
    """A typo (``create="on-write"``) is not taken as true: both stores refuse
    it, naming the setting and the value, before anything is made."""
    name = f"typo{next(_names)}"
    with pytest.raises(StoreError, match=r"create must be True, False or 'on write'"):
        open_ledger(f"{postgres_url}?ledger={name}", create=create)  # type: ignore[arg-type]
    assert not _schema_exists(postgres_url, name)
    path = tmp_path_factory.mktemp("typo") / "favors.db"
    with pytest.raises(
        StoreError, match=r"create must be True or False, got "
    ) as raised:
        StoredLedger.open(path, create=create)  # type: ignore[arg-type]
    assert repr(create) in str(raised.value)
    assert not path.exists()
    if not isinstance(readonly, bool):
        with pytest.raises(StoreError, match=r"readonly must be True or False, got "):
            open_ledger(f"{postgres_url}?ledger={name}", readonly=readonly)  # type: ignore[arg-type]
        with pytest.raises(StoreError, match=r"readonly must be True or False, got "):
            StoredLedger.open(path, readonly=readonly)  # type: ignore[arg-type]
        assert not _schema_exists(postgres_url, name)
        assert not path.exists()


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -float("inf")])
def test_a_timeout_that_is_not_finite_is_refused_by_both_stores(
    postgres_url: str, tmp_path: Path, timeout: float
) -> None:
    name = f"typo{next(_names)}"
    with pytest.raises(StoreError, match="timeout must be a number of seconds"):
        open_ledger(f"{postgres_url}?ledger={name}", timeout=timeout)
    assert not _schema_exists(postgres_url, name)
    with pytest.raises(StoreError, match="timeout must be a number of seconds"):
        StoredLedger.open(tmp_path / "favors.db", timeout=timeout)
    assert not (tmp_path / "favors.db").exists()
