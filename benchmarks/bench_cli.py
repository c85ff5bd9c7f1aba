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
favorledger from source). ``--compare DIR`` also times the copy of
favorledger in ``DIR`` (first in ``PYTHONPATH``; e.g. ``git archive main
favorledger | tar -x -C DIR``) in the same rounds, each command against the
same stores, so a before-and-after needs no quiet machine.

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


def contenders(
    command: str, stores: dict[str, str], suffix: str = ""
) -> dict[str, list[str]]:
    """Each contender's argv, by its row name (``suffix`` added to the name of
    each favorledger row, and to the store ``record`` writes to)."""
    python = sys.executable
    rows = {
        "python -c pass": [python, "-c", "pass"],
        f"favorledger --version{suffix}": [command, "--version"],
        f"favorledger --help{suffix}": [command, "--help"],
    }
    for size, path in stores.items():
        rows[f"raw sqlite3 balances ({size})"] = [python, "-c", RAW_BALANCES, path]
        for verb in ("balance", "owes"):
            rows[f"favorledger {verb} ({size}){suffix}"] = [command, "--db", path, verb]
        writable = path.replace(".db", f"-record{suffix.strip(' []')}.db")
        rows[f"favorledger record ({size}){suffix}"] = [
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


def environment(folder: str, cache: bool, path: str | None = None) -> dict[str, str]:
    """The commands' environment: with a bytecode cache in ``folder``, and
    ``path`` first in ``PYTHONPATH`` (another copy of favorledger)."""
    env = dict(os.environ)
    if cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(folder, "pycache", str(path))
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
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


def report(times: dict[str, list[float]], args: argparse.Namespace, label: str) -> str:
    median = {row: statistics.median(t) for row, t in times.items()}
    start = median["python -c pass"]
    lines = [
        f"Medians of {args.rounds} interleaved rounds, one process per run;"
        f" big = {args.favors:,} favors. Python {platform.python_version()}"
        f" ({platform.python_implementation()}), {platform.system()}"
        f" {platform.machine()}, nproc={os.cpu_count()},"
        f" load average {os.getloadavg()[0]:.1f} at the end;"
        f" bytecode cache {'on' if args.cache else 'off'}.",
        "",
    ]
    other = f" [{label}]"
    compared = any(row.endswith(other) for row in median)
    head = ["command", "wall (median)"]
    if compared:
        head += [f"{label}: wall", f"/ {label}"]
    head += ["/ python -c pass", "/ raw sqlite3 (same store)"]
    lines += ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for row, value in median.items():
        if row.endswith(other):
            continue
        cells = [row, f"{value * 1000:.0f} ms"]
        if compared:
            then = median.get(row + other)
            cells += (
                [f"{then * 1000:.0f} ms", f"{value / then:.2f}x"]
                if then
                else ["-", "-"]
            )
        size = row[row.rfind("(") + 1 : -1] if row.endswith(")") else None
        raw = median.get(f"raw sqlite3 balances ({size})") if size else None
        cells.append(f"{value / start:.2f}x")
        cells.append(f"{value / raw:.2f}x" if raw and "raw" not in row else "-")
        lines.append("| " + " | ".join(cells) + " |")
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
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="also time the favorledger found in DIR (first in PYTHONPATH), in"
        " the same rounds: e.g. a `git archive main favorledger` unpacked there",
    )
    parser.add_argument("--label", default="main", help="DIR's name in the table")
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
        rows = contenders(command, stores)
        env = dict.fromkeys(rows, environment(folder, args.cache))
        if args.compare:
            path = os.path.abspath(args.compare)
            theirs = contenders(command, stores, f" [{args.label}]")
            theirs = {row: v for row, v in theirs.items() if row.startswith("fav")}
            rows |= theirs
            env |= dict.fromkeys(theirs, environment(folder, args.cache, path))
        for path in stores.values():
            for copy in {argv_[2] for argv_ in rows.values() if "record" in argv_}:
                if copy.startswith(path.removesuffix(".db")):
                    shutil.copyfile(path, copy)
        check(command, stores)
        for row, argv_ in rows.items():
            run(argv_, env[row])  # once untimed: must succeed, warms the caches
        times: dict[str, list[float]] = {row: [] for row in rows}
        order = list(rows)
        rng = random.Random(0)
        for number in range(args.rounds):
            print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
            rng.shuffle(order)
            for row in order:
                times[row].append(run(rows[row], env[row]))
    print(report(times, args, args.label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
