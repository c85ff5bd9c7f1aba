"""One operation over recorded favors, for instruction counts (issue 13).

``python benchmarks/lean_favor_ops.py TREE OP N`` imports ``TREE``
(``favorledger``, or ``favorledger_before``: a copy of main made as
``reopen_parts.py``'s docstring says, found through ``PYTHONPATH``), records
``N`` seeded plain favors among 2,000 people (default id and time), then
runs ``OP`` once over them:

* ``bare``: nothing recorded, nothing run (the import and setup);
* ``none``: the favors recorded, nothing run;
* ``record`` / ``fixed``: nothing recorded first; the run records them
  (``fixed``: each with its id and time given);
* ``row``: each favor's store row (``io.stored.ROW_MAKERS``);
* ``json``: each favor's JSON line (``io.jsonl.dumps_entry``);
* ``at1`` / ``at2``: read each favor's ``at`` once / twice;
* ``none_import`` / ``import``: the favors' JSON lines made; then (for
  ``import``) read back with ``io.jsonl.loads_entry``.

Run it under ``valgrind --tool=callgrind`` (bytecode cached,
``PYTHONHASHSEED=0``): an operation's count is its run's total less the
run without it (``none``, ``bare`` or ``none_import``), divided by ``N``.
"""

from __future__ import annotations

import importlib
import random
import sys
from datetime import UTC, datetime


def main() -> None:
    """Run the operation named on the command line."""
    tree, op, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    package = importlib.import_module(tree)
    jsonl = importlib.import_module(f"{tree}.io.jsonl")
    stored = importlib.import_module(f"{tree}.io.stored")
    rng = random.Random(0)
    triples = [
        (f"p{rng.randrange(1000)}", f"q{rng.randrange(1000)}", rng.randint(1, 100))
        for _ in range(n)
    ]
    led = package.Ledger()
    if op not in ("record", "bare", "fixed"):
        for g, r, v in triples:
            led.record(g, r, v)
    log = list(led.log)
    row = stored.ROW_MAKERS[package.Favor]
    dumps, loads = jsonl.dumps_entry, jsonl.loads_entry
    lines = [dumps(f) for f in log] if op in ("import", "none_import") else []
    if op == "record":
        for g, r, v in triples:
            led.record(g, r, v)
    elif op == "fixed":
        at = datetime(2024, 1, 1, tzinfo=UTC)
        for k, (g, r, v) in enumerate(triples):
            led.record(g, r, v, at=at, id=f"f{k}")
    elif op == "row":
        for favor in log:
            row(favor)
    elif op == "json":
        for favor in log:
            dumps(favor)
    elif op in ("at1", "at2"):
        for _ in range(1 if op == "at1" else 2):
            for favor in log:
                _ = favor.at
    elif op == "import":
        for line in lines:
            loads(line)


if __name__ == "__main__":
    main()
