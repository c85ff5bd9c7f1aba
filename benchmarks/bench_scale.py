"""Benchmark favorledger.scale: DuckDB and Spark (local mode) beside the ledger.

For each size, a favors table is generated inside DuckDB (``COPY ... TO
favors.parquet``), then each contender runs in its own fresh process, one at
a time, and answers ``balances``, ``who_owes_whom`` and ``settle`` (each
forced to completion by an aggregate over every column of its result).
The parent polls the peak resident memory of the child's whole process tree
(the JVM included, for Spark) with psutil every 20 ms.

Usage::

    python benchmarks/bench_scale.py --sizes 1e6 1e7 --engines duckdb spark ledger
    python benchmarks/bench_scale.py --sizes 2e6 --engines duckdb --memory-limit 256MB

The workload: ``people = favors / 10`` people ``p0..``; giver and receiver
from a hash of the row number; values ``1.00``-``100.00`` (DECIMAL(38, 2));
every 10th favor done via a third person with share 0.5; every 100th reversed.
Row groups have DuckDB's default size (122,880 rows): a reader holds a row
group's column chunks in memory, so 10^6-row groups need far more memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

GENERATE = """
COPY (
    SELECT 'f' || i AS id,
        'p' || g AS giver,
        'p' || ((g + 1 + r % (n - 2)) % n) AS receiver,
        CAST(100 + hash(i * 3) % 9900 AS DECIMAL(38, 0)) * CAST(0.01 AS DECIMAL(3, 2))
            AS value,
        CASE WHEN i % 10 = 0 THEN 'p' || ((g + n - 1) % n) END AS via,
        CASE WHEN i % 10 = 0 THEN CAST(0.5 AS DECIMAL(38, 1)) END AS referral_share,
        CASE WHEN i % 100 = 7 THEN 'r' || i END AS reversal_id
    FROM (SELECT i, hash(i) % {people} AS g, hash(i * 7 + 1) AS r, {people} AS n
          FROM range({favors}) t(i))
) TO '{path}' (FORMAT parquet)
"""


def generate(favors: int, path: Path) -> float:
    """Write a favors table of ``favors`` rows; return the seconds it took."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    con.execute(GENERATE.format(people=max(3, favors // 10), favors=favors, path=path))
    con.close()
    return time.perf_counter() - started


def forced(engine: str, table: object, columns: list[str]) -> object:
    """Run ``table`` to completion, returning a small aggregate of it."""
    exprs = ["COUNT(*)"] + [f"SUM(LENGTH({c}))" for c in columns[:-1]]
    exprs.append(f"SUM(ABS({columns[-1]}))")
    if engine == "duckdb":
        return table.aggregate(", ".join(exprs)).fetchall()[0]  # type: ignore[attr-defined]
    return tuple(table.selectExpr(*exprs).collect()[0])  # type: ignore[attr-defined]


def run_scale(engine: str, path: str, memory_limit: str | None) -> dict[str, object]:
    from favorledger import scale

    spark = None
    started = time.perf_counter()
    if engine == "spark":
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "4g")
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    big = scale.open(
        path, engine=engine, spark=spark, memory_limit=memory_limit, check=False
    )
    times = {"open": time.perf_counter() - started}
    checks = {}
    for name, columns in (
        ("balances", ["person", "balance"]),
        ("who_owes_whom", ["debtor", "creditor", "amount"]),
        ("settle", ["payer", "payee", "amount"]),
    ):
        started = time.perf_counter()
        checks[name] = forced(engine, getattr(big, name)(), columns)
        times[name] = time.perf_counter() - started
    if spark is not None:
        spark.stop()
    return {"times": times, "checks": {k: str(v) for k, v in checks.items()}}


def run_ledger(path: str) -> dict[str, object]:
    import pyarrow.parquet as pq

    from favorledger import Ledger, settle_balances

    started = time.perf_counter()
    table = pq.read_table(path)
    led = Ledger()
    at = "2024-01-01T00:00+00:00"
    columns = [table.column(c).to_pylist() for c in ("id", "giver", "receiver")]
    values = table.column("value").to_pylist()
    vias = table.column("via").to_pylist()
    shares = table.column("referral_share").to_pylist()
    reversals = table.column("reversal_id").to_pylist()
    del table
    for k, (fid, giver, receiver) in enumerate(zip(*columns, strict=True)):
        led.record(
            giver, receiver, values[k], via=vias[k], referral_share=shares[k],
            id=fid, at=at,
        )  # fmt: skip
    for k, rid in enumerate(reversals):
        if rid is not None:
            led.reverse(columns[0][k], id=rid, at=at)
    times = {"open": time.perf_counter() - started}
    checks = {}
    started = time.perf_counter()
    balances = led.balances()
    times["balances"] = time.perf_counter() - started
    magnitude = sum(abs(b) for b in balances.values() if isinstance(b, Decimal))
    checks["balances"] = str((len(balances), magnitude))
    started = time.perf_counter()
    debts = led.who_owes_whom()
    times["who_owes_whom"] = time.perf_counter() - started
    checks["who_owes_whom"] = str((len(debts), sum(d.amount for d in debts)))
    started = time.perf_counter()
    plan = settle_balances(balances, method="greedy")
    times["settle"] = time.perf_counter() - started
    checks["settle"] = str(len(plan))
    return {"times": times, "checks": checks}


def child(args: argparse.Namespace) -> None:
    if args.engine == "ledger":
        result = run_ledger(args.path)
    else:
        result = run_scale(args.engine, args.path, args.memory_limit)
    print(json.dumps(result))


def tree_rss(process: object) -> int:
    import psutil

    assert isinstance(process, psutil.Process)
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(engine: str, path: Path, memory_limit: str | None) -> dict[str, object]:
    """Run one contender in a fresh process; add its peak tree RSS."""
    import psutil

    command = [sys.executable, __file__, "--child", engine, "--path", str(path)]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(watched))
        time.sleep(0.02)
    out = process.stdout.read() if process.stdout else ""
    if process.returncode:
        return {"error": f"exit {process.returncode}", "peak_mb": peak / 2**20}
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = peak / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1e6", "1e7"])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark", "ledger"])
    parser.add_argument("--ledger-max", default="1e6", help="largest size for ledger")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit")
    parser.add_argument("--dir", default=None, help="where to write the tables")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.engine = args.child
        child(args)
        return
    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench_scale_"))
    print("| favors | contender | open s | balances s | who_owes_whom s | settle s"
          " | peak MB |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size in (int(float(s)) for s in args.sizes):
        path = folder / f"favors_{size}.parquet"
        if not path.exists():
            seconds = generate(size, path)
            mb = path.stat().st_size / 2**20
            print(f"generated {size:,} favors in {seconds:.1f} s ({mb:.0f} MB)",
                  file=sys.stderr)  # fmt: skip
        for engine in args.engines:
            if engine == "ledger" and size > int(float(args.ledger_max)):
                continue
            result = measure(engine, path, args.memory_limit)
            print(f"{engine} {size}: {json.dumps(result)}", file=sys.stderr)
            times = result.get("times", {})
            assert isinstance(times, dict)
            cells = [
                f"{times[k]:.2f}" if k in times else str(result.get("error", "-"))
                for k in ("open", "balances", "who_owes_whom", "settle")
            ]
            label = engine if engine != "duckdb" or not args.memory_limit else (
                f"duckdb (memory_limit {args.memory_limit})"
            )  # fmt: skip
            print(f"| {size:,} | {label} | {' | '.join(cells)} |"
                  f" {result['peak_mb']:.0f} |", flush=True)  # fmt: skip
    if not args.dir:
        for path in folder.iterdir():
            path.unlink()
        os.rmdir(folder)


if __name__ == "__main__":
    main()
