"""Writers on one SQLite store: their rate and how long single writes wait.

Runs ``bench_postgres.writers_rate`` on a new SQLite file (W forked writers,
each ``led.record(...)`` in a loop for S seconds, every call durable when it
returns) and prints favors per second and each write's wall time: median,
99th percentile and the slowest. Run it with ``PYTHONPATH`` set to another
checkout to compare (the fairness of the lock wait, ``benchmarks/README.md``).

``python benchmarks/sqlite_waiting.py --writers 2 4 16 --seconds 5 --repeats 2``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_postgres

import favorledger.io.sqlite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[2, 4, 16])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(favorledger.io.sqlite.__file__)
    directory = tempfile.mkdtemp(prefix="sqlite-waiting-")
    print("| writers | run | favors/s | p50 ms | p99 ms | slowest ms | load |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for writers in args.writers:
        for run in range(args.repeats):
            path = os.path.join(directory, f"w{writers}_{run}.db")
            bench_postgres.LATENCIES.clear()
            rate = bench_postgres.writers_rate(path, writers, args.seconds)
            calls = bench_postgres.LATENCIES[("sqlite", writers)]
            cuts = statistics.quantiles(calls, n=100)
            print(
                f"| {writers} | {run + 1} | {rate:.0f} | {cuts[49] * 1e3:.1f} |"
                f" {cuts[98] * 1e3:.1f} | {max(calls) * 1e3:.0f} |"
                f" {os.getloadavg()[0]:.1f} |"
            )


if __name__ == "__main__":
    main()
