"""The favors table and favorledger.scale: the same answers from DuckDB and Spark.

The promises:

* a ledger written with ``write_parquet`` and read back with ``read_parquet``
  gives the same favors and reversals; a ledger with an amount that has no
  decimal form is refused, naming the favor, and nothing is written;
* for random ledgers with referrals and reversals, every answer DuckDB gives
  (balances, who owes whom, reach, cleared cycles) equals the in-memory
  ledger's exactly, as exact decimals; ``settle`` zeroes every balance of
  the ledger exactly with at most (non-zero balances - 1) transfers;
* the same for Spark in local mode (``-m spark``), whose answers also equal
  DuckDB's row for row, settlement included;
* a table that breaks the schema, or a row that breaks a rule, is refused
  with a ``SchemaError`` naming the column.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import duckdb
import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Favor,
    InvalidQueryError,
    InvalidValueError,
    Ledger,
    Reversal,
    SettlementTooLargeError,
    Transfer,
    UnknownPersonError,
    clear_cycles,
    scale,
    total,
)
from favorledger.cli import main
from favorledger.errors import (
    FormatError,
    MissingExtraError,
    OverwriteError,
    SchemaError,
)
from favorledger.io import read_parquet, write_parquet
from favorledger.testing.strategies import ledgers

# ------------------------------------------------------------------ helpers


@st.composite
def decimal_ledgers(draw: st.DrawFn, max_favors: int = 20) -> Ledger:
    """Ledgers whose amounts all have a decimal form, some favors reversed."""
    led = draw(ledgers(max_people=7, max_favors=max_favors, fractions=False))
    for favor in list(led.favors.values()):
        if draw(st.integers(0, 4)) == 0:
            led.reverse(favor.id, at=favor.at)
    return led


@contextmanager
def parquet_of(led: Ledger) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "favors.parquet")
        write_parquet(led, path)
        yield path


def rows(table: object) -> list[tuple[object, ...]]:
    """The rows of a DuckDB relation or a Spark DataFrame, as tuples."""
    if isinstance(table, duckdb.DuckDBPyRelation):
        return [tuple(row) for row in table.fetchall()]
    return [tuple(row) for row in table.collect()]  # type: ignore[attr-defined]


def named(led: Ledger) -> set[str]:
    """The people favors name: those a favors table knows."""
    return {p for f in led.favors.values() for p in f.people}


def check_same_answers(led: Ledger, big: scale.ScaleLedger, me: str, hops: int) -> None:
    """Every scale answer equals the in-memory ledger's, exactly."""
    expected = {p: b for p, b in led.balances().items() if p in named(led)}
    got = dict(rows(big.balances()))  # type: ignore[arg-type]
    assert got == expected
    assert all(isinstance(b, Decimal) for b in got.values())
    assert total(got.values()) == 0

    debts = {(d.debtor, d.creditor): d.amount for d in led.who_owes_whom()}
    got_debts = {(d, c): a for d, c, a in rows(big.who_owes_whom())}
    assert got_debts == debts

    plan = [Transfer(p, q, a) for p, q, a in rows(big.settle())]
    nonzero = sum(1 for b in expected.values() if b)
    assert len(plan) <= max(0, nonzero - 1)
    settled = Ledger.from_entries(led.log)
    settled.apply(plan)
    assert all(b == 0 for b in settled.balances().values())

    if me in named(led):
        graph = led.tie_graph()
        within = nx.single_source_shortest_path_length(graph, me, cutoff=hops)
        assert dict(rows(big.reach(me, max_hops=hops))) == within  # type: ignore[arg-type]

    clearing = clear_cycles(led)
    got_clear = {
        (d, c): (owed, cl, rest) for d, c, owed, cl, rest in rows(big.clear_cycles())
    }
    cleared = {(t.payer, t.payee): t.amount for t in clearing.transfers}
    assert {k: v[1] for k, v in got_clear.items() if v[1]} == cleared
    assert {k: v[2] for k, v in got_clear.items() if v[2]} == {
        (d.debtor, d.creditor): d.amount for d in clearing.remaining
    }
    assert {k: v[0] for k, v in got_clear.items()} == debts


people = st.sampled_from(["ann", "bob", "carol", "dan", "eve", "fay", "gus"])


# ------------------------------------------------------------------ Parquet


@given(decimal_ledgers())
def test_parquet_round_trip(led: Ledger) -> None:
    with parquet_of(led) as path:
        back = read_parquet(path)
    favors = [e for e in led.log if isinstance(e, Favor)]
    reversals = {e for e in led.log if isinstance(e, Reversal)}
    assert back[: len(favors)] == favors
    assert set(back[len(favors) :]) == reversals
    expected = {p: b for p, b in led.balances().items() if p in named(led)}
    assert Ledger.from_entries(back).balances() == expected


def test_a_third_is_refused_naming_the_favor(tmp_path: Path) -> None:
    led = Ledger()
    led.record("ann", "bob", "1/3", id="f1")
    path = tmp_path / "favors.parquet"
    with pytest.raises(InvalidValueError, match=r"'f1'.*1/3.*no decimal form"):
        write_parquet(led, path)
    assert not path.exists()
    led = Ledger()
    led.record("ann", "bob", 3, via="cat", referral_share="1/3", id="f2")
    with pytest.raises(InvalidValueError, match=r"'f2'.*referral_share is 1/3"):
        write_parquet(led, path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "favors.parquet"
    path.write_bytes(b"precious")
    led = Ledger()
    led.record("ann", "bob", "1/7")
    with pytest.raises(InvalidValueError):
        write_parquet(led, path)
    assert path.read_bytes() == b"precious"


def test_export_command_writes_parquet(tmp_path: Path) -> None:
    db = str(tmp_path / "favors.db")
    assert main(["--db", db, "record", "carol", "me", "2.5", "--via", "bob"]) == 0
    out = str(tmp_path / "favors.parquet")
    assert main(["--db", db, "export", out]) == 0
    big = scale.open(out)
    assert dict(rows(big.balances())) == {
        "carol": Decimal("3.75"),
        "me": Decimal("-2.5"),
        "bob": Decimal("-1.25"),
    }
    other = str(tmp_path / "favors.data")
    assert main(["--db", db, "export", other, "--format", "parquet"]) == 0
    assert pq.read_schema(other).field("value").type == pa.decimal128(38, 1)


# ----------------------------------------------------------- schema errors


def good_table() -> dict[str, object]:
    return {
        "id": ["f1", "f2"],
        "giver": ["ann", "bob"],
        "receiver": ["bob", "cat"],
        "value": pa.array([Decimal("2.50"), Decimal(1)], pa.decimal128(38, 2)),
    }


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"value": pa.array([2.5, 1.0])}, "value", "float cannot hold"),
        ({"value": ["1/3", "1"]}, "value", "no decimal form"),
        ({"giver": None}, "giver", "missing column"),
        ({"referal_share": [None, None]}, "referal_share", "unknown column"),
        ({"at": ["2024-01-01", "2024-01-02"]}, "at", "timestamp"),
        ({"value": pa.array([Decimal(0), Decimal(1)])}, "value", "positive value"),
        ({"receiver": ["ann", "cat"]}, "receiver", "other than the giver"),
        ({"giver": [None, "bob"]}, "giver", "non-empty person id"),
        (
            {"via": ["cat", None], "referral_share": pa.array([Decimal(2), None])},
            "referral_share",
            "share from 0 to 1",
        ),
        ({"via": ["ann", None]}, "via", "referrer other than both"),
    ],
)
def test_a_table_that_breaks_the_schema_is_refused_naming_the_column(
    tmp_path: Path, change: dict[str, object], column: str, words: str
) -> None:
    table = good_table()
    for key, value in change.items():
        if value is None:
            del table[key]
        else:
            table[key] = value
    path = str(tmp_path / "bad.parquet")
    pq.write_table(pa.table(table), path)
    with pytest.raises(SchemaError, match=words) as caught:
        scale.open(path)
    assert caught.value.column == column
    assert repr(column) in str(caught.value)
    if words in ("float cannot hold", "no decimal form", "missing column"):
        with pytest.raises(SchemaError, match=words):
            read_parquet(path)


def test_a_pipelines_minimal_table_is_read(tmp_path: Path) -> None:
    path = str(tmp_path / "minimal.parquet")
    table = good_table() | {"value": pa.array([5, 1], pa.int64())}
    pq.write_table(pa.table(table), path)
    big = scale.open(path)
    assert sorted(rows(big.balances())) == [
        ("ann", Decimal(5)),
        ("bob", Decimal(-4)),
        ("cat", Decimal(-1)),
    ]


def test_bad_arguments_are_refused() -> None:
    led = Ledger()
    led.record("ann", "bob", 1)
    with parquet_of(led) as path:
        big = scale.open(path)
        with pytest.raises(InvalidQueryError, match="max_hops"):
            big.reach("ann", max_hops=-1)
        with pytest.raises(UnknownPersonError, match="'zed'"):
            big.reach("zed")
        with pytest.raises(InvalidQueryError, match="engine"):
            scale.open(path, engine="polars")  # type: ignore[arg-type]
        with pytest.raises(InvalidQueryError, match="SparkSession"):
            scale.open(path, engine="spark")
        with pytest.raises(FormatError, match="cannot read"):
            scale.open(path + ".missing")
    assert issubclass(MissingExtraError, ImportError)


def test_a_component_past_the_limit_is_refused_before_anything_is_cleared() -> None:
    led = Ledger()
    for giver, receiver in [("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "x")]:
        led.record(giver, receiver, 2 if giver != "y" else 1)
    with parquet_of(led) as path:
        big = scale.open(path)
        with pytest.raises(SettlementTooLargeError, match="3 debts, more than limit=2"):
            big.clear_cycles(limit=2)
        assert sum(r[3] for r in rows(big.clear_cycles(limit=3))) == 6


# ------------------------------------------------------------------ DuckDB


@settings(max_examples=40)
@given(decimal_ledgers(), people, st.integers(0, 3))
def test_duckdb_answers_equal_the_ledgers(led: Ledger, me: str, hops: int) -> None:
    with parquet_of(led) as path:
        check_same_answers(led, scale.open(path), me, hops)


def test_amounts_are_exact_decimals_never_floats() -> None:
    led = Ledger()
    led.record("ann", "bob", "0.10", via="cat", referral_share="0.25")
    led.record("bob", "ann", "0.20")
    with parquet_of(led) as path:
        big = scale.open(path)
        assert big.places == 3  # 0.1 has one place, 0.25 two
        for table in (big.balances(), big.who_owes_whom(), big.settle()):
            assert str(table.types[-1]) == "DECIMAL(38,3)"
        assert dict(rows(big.balances()))["cat"] == Decimal("-0.025")


def test_duckdb_answers_within_a_memory_limit(tmp_path: Path) -> None:
    path = str(tmp_path / "favors.parquet")
    duckdb.sql(
        "COPY (SELECT 'f' || i AS id, 'p' || (i % 997) AS giver,"
        " 'p' || ((i * 7 + 1) % 991) AS receiver,"
        " CAST((i % 100) + 1 AS DECIMAL(38, 2)) AS value"
        " FROM range(200000) t(i) WHERE i % 997 <> (i * 7 + 1) % 991)"
        f" TO '{path}' (FORMAT parquet)"
    )
    big = scale.open(path, memory_limit="64MB")
    setting = big._engine.con.execute(  # type: ignore[union-attr]
        "SELECT current_setting('memory_limit')"
    ).fetchall()[0][0]
    assert setting in ("61.0 MiB", "64.0 MB", "61.0MiB")
    balances = dict(rows(big.balances()))
    assert total(balances.values()) == 0
    transfers = rows(big.settle())
    assert len(transfers) <= sum(1 for b in balances.values() if b) - 1
    paid: dict[str, Decimal] = dict.fromkeys(balances, Decimal(0))
    for payer, payee, amount in transfers:
        paid[payer] += amount  # type: ignore[index,operator]
        paid[payee] -= amount  # type: ignore[index,operator]
    assert all(balances[p] + paid[p] == 0 for p in balances)


# ------------------------------------------------------------------- Spark


@pytest.mark.spark
@settings(max_examples=4)  # each example starts some 60 Spark jobs
@given(decimal_ledgers(max_favors=12), people, st.integers(0, 3))
def test_spark_answers_equal_the_ledgers_and_duckdbs(
    spark: object, led: Ledger, me: str, hops: int
) -> None:
    with parquet_of(led) as path:
        big = scale.open(path, engine="spark", spark=spark)
        check_same_answers(led, big, me, hops)
        duck = scale.open(path)
        assert sorted(rows(big.settle())) == sorted(rows(duck.settle()))
        assert sorted(rows(big.who_owes_whom())) == sorted(rows(duck.who_owes_whom()))


@pytest.mark.spark
def test_spark_refuses_a_float_table_naming_the_column(
    spark: object, tmp_path: Path
) -> None:
    path = str(tmp_path / "bad.parquet")
    pq.write_table(pa.table(good_table() | {"value": pa.array([2.5, 1.0])}), path)
    with pytest.raises(SchemaError, match="'value' is float") as caught:
        scale.open(path, engine="spark", spark=spark)
    assert caught.value.column == "value"


@pytest.mark.spark
def test_spark_amounts_are_exact_decimals(spark: object) -> None:
    led = Ledger()
    led.record("ann", "bob", "0.10", via="cat", referral_share="0.25")
    with parquet_of(led) as path:
        big = scale.open(path, engine="spark", spark=spark)
        for table in (big.balances(), big.who_owes_whom(), big.settle()):
            assert table.schema.fields[-1].dataType.simpleString() == "decimal(38,3)"  # type: ignore[attr-defined]
        assert dict(rows(big.balances()))["cat"] == Decimal("-0.025")


def test_an_export_never_replaces_a_store(tmp_path: Path) -> None:
    store = tmp_path / "favors.db"
    assert main(["--db", str(store), "record", "ann", "bob", "1"]) == 0
    before = store.read_bytes()
    led = Ledger()
    led.record("ann", "bob", 2)
    with pytest.raises(OverwriteError):
        write_parquet(led, store)
    assert store.read_bytes() == before
    assert write_parquet(led, store, force=True) == 1
    assert read_parquet(store)[0].value == 2
