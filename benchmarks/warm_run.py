"""Run a benchmark script of a checkout with the JSON writers set up first.

``python benchmarks/warm_run.py TREE SCRIPT [ARGS...]`` imports favorledger
from ``TREE`` (put ``TREE`` on ``PYTHONPATH`` too), writes one favor's JSON
line both ways (``dumps_entry``, and ``row_of`` where the checkout has it),
then runs ``TREE/benchmarks/SCRIPT`` with ``ARGS`` in this process: writers
it forks inherit what the first call sets up (cattrs and its converter, 38
to 60 ms of CPU; the row maker, 8 to 10 ms), so a short run measures the
steady state, for a checkout whose script has no ``--warm`` as well
(``benchmarks/README.md``, "A leaner writer").
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    tree, script, *args = sys.argv[1:]
    sys.path.insert(0, tree)
    from favorledger import Favor
    from favorledger.io.jsonl import dumps_entry

    favor = Favor(giver="p1", receiver="p2", value=1, id="warm")
    line = dumps_entry(favor)
    try:
        from favorledger.io.stored import row_of
    except ImportError:  # an older checkout
        pass
    else:
        assert row_of(favor)[3] == line
    path = f"{tree}/benchmarks/{script}"
    sys.argv = [path, *args]
    sys.path.insert(0, f"{tree}/benchmarks")
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
