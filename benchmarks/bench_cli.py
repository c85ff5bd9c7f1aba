"""Benchmark how fast the ``favorledger`` command starts and answers.

Each command runs as a new process (``subprocess.run``, output to
``/dev/null``), exactly as a user types it: the ``favorledger`` console
script beside this Python. Wall time is measured from start to exit with
``time.perf_counter``. The commands:

* ``favorledger --version`` and ``favorledger --help`` (no store);
* ``favorledger --db STORE balance``, ``owes`` and
  ``record p1 p2 3`` on an empty store and on a store of ``--favors``
  (default 20,000) seeded favors among ``--people`` (default 1,000) people.
  ``record`` adds one favor per round to a copy of each store kept for it,
  so the read commands always see the same store.

Beside them, in the same rounds, two baselines:

* ``python -c pass``: the interpreter's own start, the floor of any command;
* ``raw sqlite3``: a Python script that opens the same store with
  ``sqlite3``, reads every row's JSON body and sums each person's balance in
  ``Decimal`` (what ``balance`` computes, without the ledger's checks,
  digests or index), then prints the balances.

By default the runs keep Python's bytecode cache, as an installed package
has it: ``PYTHONDONTWRITEBYTECODE`` is unset for them and
``PYTHONPYCACHEPREFIX`` points into the benchmark's temporary folder, so the
first (untimed) run compiles each module once and no ``__pycache__`` is left
in the checkout. ``--no-bytecode-cache`` keeps the environment as it is
(where ``PYTHONDONTWRITEBYTECODE=1``, every run compiles every module of
favorledger from source). To time another copy of favorledger, put its
folder first in ``PYTHONPATH``.

Every round runs every contender once, in an order shuffled per round
(``random.Random(0)``), so a change in the machine's load falls on all of
them alike; the table quotes **medians**. The machine is shared: the ratios
are the numbers to compare, not the absolute times. Before timing, once and
untimed, each command must exit with status 0, and ``balance --json`` on the
big store must equal the raw script's sums.

Run ``python benchmarks/bench_cli.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

RAW_BALANCES = """
import json, sqlite3, sys
from decimal import Decimal
balances = {}
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for (body,) in db.execute("SELECT body FROM entries WHERE type = 'favor' ORDER BY seq"):
    favor = json.loads(body)
    value = Decimal(favor["value"])
    balances[favor["giver"]] = balances.get(favor["giver"], 0) + value
    balances[favor["receiver"]] = balances.get(favor["receiver"], 0) - value
print(json.dumps({p: str(v) for p, v in balances.items()}))
"""
"""The raw baseline: the store's favors summed with sqlite3, json and Decimal
(the benchmark's stores hold favors without a referrer, so no share)."""


def make_store(path: str, favors: int, people: int) -> None:
    """A store of ``favors`` seeded favors (none ``via``) among ``people``."""
    from favorledger import Favor
    from favorledger.io.sqlite import open_ledger

    rng = random.Random(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = []
    for i in range(favors):
        giver, receiver = rng.sample(range(people), 2)
        made.append(
            Favor(
                id=f"f{i}",
                giver=f"p{giver}",
                receiver=f"p{receiver}",
                value=rng.randint(1, 100),
                at=start + timedelta(minutes=i),
            )
        )
    with open_ledger(path) as led:
        led.add_many(made)


def contenders(command: str, stores: dict[str, str]) -> dict[str, list[str]]:
    """Each contender's argv, by its row name."""
    python = sys.executable
    rows = {
        "python -c pass": [python, "-c", "pass"],
        "favorledger --version": [command, "--version"],
        "favorledger --help": [command, "--help"],
    }
    for size, path in stores.items():
        rows[f"raw sqlite3 balances ({size})"] = [python, "-c", RAW_BALANCES, path]
        for verb in ("balance", "owes"):
            rows[f"favorledger {verb} ({size})"] = [command, "--db", path, verb]
        writable = path.replace(".db", "-record.db")
        rows[f"favorledger record ({size})"] = [
            *(command, "--db", writable),
            *("record", "p1", "p2", "3"),
        ]
    return rows


def run(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall time of one run of ``argv``; it must succeed."""
    start = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
    )
    return time.perf_counter() - start


def environment(folder: str, cache: bool) -> dict[str, str]:
    """The commands' environment: with a bytecode cache in ``folder``."""
    env = dict(os.environ)
    if cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(folder, "pycache")
    return env


def check(command: str, stores: dict[str, str]) -> None:
    """``balance --json`` equals the raw script's sums on every store."""
    for path in stores.values():
        shown = subprocess.run(
            [command, "--db", path, "balance", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        raw = subprocess.run(
            [sys.executable, "-c", RAW_BALANCES, path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        ours = {p: Decimal(v) for p, v in json.loads(shown).items() if Decimal(v)}
        theirs = {p: Decimal(v) for p, v in json.loads(raw).items() if Decimal(v)}
        if ours != theirs:
            raise SystemExit(f"balance disagrees with the raw sums on {path}")


def report(times: dict[str, list[float]], rounds: int, favors: int, cache: bool) -> str:
    median = {row: statistics.median(t) for row, t in times.items()}
    start = median["python -c pass"]
    lines = [
        f"Medians of {rounds} interleaved rounds, one process per run;"
        f" big = {favors:,} favors. Python {platform.python_version()}"
        f" ({platform.python_implementation()}), {platform.system()}"
        f" {platform.machine()}, nproc={os.cpu_count()},"
        f" load average {os.getloadavg()[0]:.1f} at the end;"
        f" bytecode cache {'on' if cache else 'off'}.",
        "",
        "| command | wall (median) | / python -c pass | / raw sqlite3 (same store) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row, value in median.items():
        size = row[row.rfind("(") + 1 : -1] if row.endswith(")") else None
        raw = median.get(f"raw sqlite3 balances ({size})") if size else None
        versus_raw = f"{value / raw:.2f}x" if raw and "raw" not in row else "-"
        lines.append(
            f"| {row} | {value * 1000:.0f} ms | {value / start:.2f}x | {versus_raw} |"
        )
    lines += ["", "All runs (ms):"]
    lines += [
        f"- {row}: " + ", ".join(f"{t * 1000:.0f}" for t in values)
        for row, values in times.items()
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds (default 9)")
    parser.add_argument("--favors", type=int, default=20_000, help="the big store")
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument(
        "--no-bytecode-cache",
        dest="cache",
        action="store_false",
        help="run with the environment's PYTHONDONTWRITEBYTECODE as it is",
    )
    args = parser.parse_args(argv)
    command = os.path.join(os.path.dirname(sys.executable), "favorledger")
    if not os.path.exists(command):
        command = shutil.which("favorledger") or "favorledger"
    with tempfile.TemporaryDirectory() as folder:
        stores = {"empty": os.path.join(folder, "empty.db")}
        stores["big"] = os.path.join(folder, "big.db")
        print("making the stores...", file=sys.stderr)
        make_store(stores["empty"], 0, args.people)
        make_store(stores["big"], args.favors, args.people)
        for path in stores.values():
            shutil.copyfile(path, path.replace(".db", "-record.db"))
        rows = contenders(command, stores)
        env = environment(folder, args.cache)
        check(command, stores)
        for argv_ in rows.values():
            run(argv_, env)  # once untimed: must succeed, warms the caches
        times: dict[str, list[float]] = {row: [] for row in rows}
        order = list(rows)
        rng = random.Random(0)
        for number in range(args.rounds):
            print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
            rng.shuffle(order)
            for row in order:
                times[row].append(run(rows[row], env))
    print(report(times, args.rounds, args.favors, args.cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
