"""What a lean ``Favor`` costs and saves (issue 13, fifth round).

For the favorledger found first on ``sys.path`` (run it once for this
checkout and once with an older one first on ``PYTHONPATH`` to compare),
prints, for ``bench_ingest.py``'s workload:

* the peak traced bytes a favor while ``record`` builds the ledger (default
  id and time) and while the DiGraph loop runs (``bench_ingest.peak_bytes``,
  deterministic);
* CPU-time medians a favor of ``record``, of the DiGraph loop, of reading
  every recorded favor's ``at`` and of writing every one's JSON line
  (``dumps_entry``), the rounds interleaved.

Run ``python benchmarks/lean_favor_ab.py --favors 50000 --rounds 5``
(``--rounds 0``: memory only; ``--no-memory``: times only).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

from bench_ingest import build_digraph, build_ledger, make_triples, peak_bytes

import favorledger
from favorledger.io.jsonl import dumps_entry


def main() -> None:
    """Measure and print one line of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favors", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=0, help="default favors/10")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    n = args.favors
    triples = make_triples(n, args.people or n // 10)
    where = Path(favorledger.__file__).parent.parent
    if not args.no_memory:
        ledger_peak = peak_bytes(lambda: build_ledger(triples)) / n
        graph_peak = peak_bytes(lambda: build_digraph(triples)) / n
        print(f"{where}: peak {ledger_peak:.1f} B/favor (DiGraph {graph_peak:.1f})")
    if not args.rounds:
        return
    clock = time.process_time
    runs: dict[str, list[float]] = {"record": [], "digraph": [], "at": [], "json": []}
    for _ in range(args.rounds):
        gc.collect()
        start = clock()
        led = build_ledger(triples)
        runs["record"].append(clock() - start)
        log = led.log
        gc.collect()
        start = clock()
        [favor.at for favor in log]
        runs["at"].append(clock() - start)
        start = clock()
        [dumps_entry(favor) for favor in log]
        runs["json"].append(clock() - start)
        del led, log
        gc.collect()
        start = clock()
        graph = build_digraph(triples)
        runs["digraph"].append(clock() - start)
        del graph
    m = {key: statistics.median(values) / n * 1e6 for key, values in runs.items()}
    print(
        f"{where}: CPU µs a favor: record {m['record']:.2f}, DiGraph loop"
        f" {m['digraph']:.2f} ({m['record'] / m['digraph']:.2f}x), read every"
        f" at {m['at']:.2f}, JSON line {m['json']:.2f}"
    )


if __name__ == "__main__":
    main()
