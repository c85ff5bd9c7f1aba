"""Mutation testing for favorledger: does the specification fail when the code is wrong?

Runs mutmut 3 on one module at a time, each against the test files that specify
it (the table ``[tool.favorledger.mutation]`` in pyproject.toml), so one module
takes minutes rather than the whole suite per mutant::

    python tools/mutate.py --list            # the modules and their tests
    python tools/mutate.py _exact            # one module (a path under favorledger/)
    python tools/mutate.py --all             # every module in the table, one at a time
    python tools/mutate.py io/jsonl -j 1     # one worker on a busy machine

Each module runs in its own scratch copy ``.mutation/<module>/`` (mutmut writes
its mutated tree to ``mutants/`` beside the configuration it reads, and that
configuration names the one file to mutate).  Every run starts fresh.  The
summary (mutants, killed, survived, score, seconds, commit) is printed and saved
to ``.mutation/<module>.json``; ``mutmut show NAME`` inside the scratch
directory prints the diff of a surviving mutant.  Hypothesis runs under the
``mutation`` profile (tests/conftest.py: no shrinking, no example database),
since one failing example is enough.  A timeout counts as killed;
a mutant no selected test reaches counts as survived.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
KILLED = {"killed", "timeout"}


def table() -> dict[str, list[str]]:
    """The modules to mutate and the test files that specify each."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return dict(data["tool"]["favorledger"]["mutation"])


def mutmut_config(module: str, tests: list[str]) -> str:
    """The ``[tool.mutmut]`` section for one module's scratch copy."""
    base = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    config = dict(base["tool"]["mutmut"])
    config["only_mutate"] = [f"favorledger/{module}.py"]
    config["pytest_add_cli_args_test_selection"] = tests
    lines = ["[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def prepare(module: str, tests: list[str]) -> Path:
    """A fresh scratch copy of the package and tests for one module."""
    work = SCRATCH / module.replace("/", ".")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis")
    for folder in ("favorledger", "tests"):
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"\n\[tool\.mutmut\]\n(?:[^\[].*\n|\n)*", "\n", text)
    (work / "pyproject.toml").write_text(text + "\n" + mutmut_config(module, tests))
    return work


def statuses(work: Path) -> dict[str, str]:
    """Each mutant's status after a run, from ``mutmut results --all true``."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = (re.match(r"\s+(\S+): (.+)$", line) for line in out.splitlines())
    return {m.group(1): m.group(2).strip() for m in found if m}


def commit() -> str:
    """The commit measured, with ``+dirty`` when the tree has changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "favorledger", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + ("+dirty" if dirty else "")


def run(module: str, tests: list[str], workers: int) -> dict[str, object]:
    """Mutate one module, run its tests against every mutant, summarise."""
    measured = commit()
    work = prepare(module, tests)
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers)],
        cwd=work,
        check=False,
        env={"HYPOTHESIS_PROFILE": "mutation", **os.environ},
    )
    seconds = round(time.monotonic() - start)
    status = statuses(work)
    counts = collections.Counter(status.values())
    killed = sum(counts[s] for s in KILLED)
    summary: dict[str, object] = {
        "module": module,
        "tests": tests,
        "mutants": len(status),
        "killed": killed,
        "statuses": dict(counts),
        "score": round(100 * killed / len(status), 1) if status else None,
        "survivors": sorted(n for n, s in status.items() if s not in KILLED),
        "seconds": seconds,
        "date": datetime.date.today().isoformat(),
        "commit": measured,
    }
    (SCRATCH / f"{module.replace('/', '.')}.json").write_text(
        json.dumps(summary, indent=2) + "\n"
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: one module, ``--all``, or ``--list``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="e.g. _exact, ledger, io/jsonl")
    parser.add_argument("--all", action="store_true", help="every module in turn")
    parser.add_argument("--list", action="store_true", help="show the table")
    parser.add_argument("-j", "--workers", type=int, default=2)
    args = parser.parse_args(argv)
    modules = table()
    if args.list:
        for module, tests in modules.items():
            print(f"{module:20} {' '.join(tests)}")
        return 0
    chosen = list(modules) if args.all else args.modules
    unknown = [m for m in chosen if m not in modules]
    if unknown or not chosen:
        parser.error(f"choose modules from: {', '.join(modules)} (got {unknown})")
    for module in chosen:
        s = run(module, modules[module], args.workers)
        print(
            f"{module}: {s['mutants']} mutants, {s['killed']} killed, "
            f"score {s['score']}% raw, {s['seconds']} s at {s['commit']}"
        )
        for name in s["survivors"]:  # type: ignore[attr-defined]
            print(f"    survived: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
