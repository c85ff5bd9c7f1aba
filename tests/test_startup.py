"""The command loads only what the command it runs needs.

Every ``favorledger`` command is a new process, and importing the whole
library (networkx, cattrs, every store and algorithm) cost more than half a
second before any command began (``benchmarks/README.md``, "Starting the
command"). These tests run the command in a fresh interpreter and check
which modules it loaded, not how long it took: a stray top-level import of a
heavy module fails them on any machine.

The package's public names are imported on first use (PEP 562), so they are
checked here too: every name in ``__all__`` can be imported and is listed by
``dir()``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import favorledger
import favorledger.io
import favorledger.io.postgres
from favorledger.cli import GROUPS, command
from favorledger.cli.parser import build_parser
from favorledger.io.sqlite import open_ledger

HEAVY = (
    "networkx",  # the tie graph and the algorithms: path, settle, clear, export
    "cattrs",  # reading and writing entries as JSON other than a stored favor
    "psycopg",  # the PostgreSQL store
    "duckdb",  # favorledger.scale
    "pyspark",
    "matplotlib",  # favorledger.plot
    "pyarrow",  # Parquet
    "importlib.metadata",  # the store registry's entry points
)
"""Modules no command that only reads or records a favor in SQLite loads."""

ALGORITHMS = (
    "favorledger.settlement",
    "favorledger.clearing",
    "favorledger.referrals",
    "favorledger.priorities",
    "favorledger.trading",
    "favorledger.plot",
    "favorledger.scale",
    "favorledger.io.graphs",
    "favorledger.io.parquet",
    "favorledger.io.tables",
    "favorledger.io.postgres.store",
    "favorledger.cli.files",
    "favorledger.cli.settling",
    "favorledger.cli.market",
)

_LOADED = """
import contextlib, io, json, sys
from favorledger.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    status = main(sys.argv[1:])
answer = {"status": status, "err": err.getvalue(), "modules": sorted(sys.modules)}
print(json.dumps(answer))
"""


def loaded(*argv: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after running the command."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        timeout=120,
    )
    answer = json.loads(done.stdout)
    assert answer["status"] == 0, answer["err"]
    return set(answer["modules"])


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(
        m for m in modules for name in names if m == name or m.startswith(name + ".")
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 3, via="cy")
        led.tie("ann", "cy", "0.5")
    return path


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["record", "--help"]])
def test_version_and_help_load_the_parser_and_no_more(
    argv: list[str], tmp_path: Path
) -> None:
    modules = loaded(*argv, cwd=tmp_path)
    ours = {m for m in modules if m.startswith("favorledger")}
    assert ours <= {
        "favorledger",
        "favorledger._startup",
        "favorledger._lazy",
        "favorledger._choices",
        "favorledger._display",
        "favorledger._exact",
        "favorledger.errors",
        "favorledger.cli",
        "favorledger.cli.parser",
    }
    assert not _heavy(modules, (*HEAVY, "attrs"))


@pytest.mark.parametrize(
    "argv",
    [
        ["balance"],
        ["balance", "--json"],
        ["owes"],
        ["people"],
        ["history", "ann"],
        ["record", "bob", "ann", "2"],
    ],
)
def test_reading_and_recording_load_no_graph_store_or_algorithm(
    argv: list[str], store: Path
) -> None:
    modules = loaded("--db", str(store), *argv, cwd=store.parent)
    assert not _heavy(modules, HEAVY + ALGORITHMS)
    assert "favorledger.io.sqlite" in modules  # it did open the store


def test_a_command_that_needs_networkx_loads_it(store: Path) -> None:
    """The check above could not pass by never looking: ``path`` loads it."""
    modules = loaded("--db", str(store), "path", "ann", "cy", cwd=store.parent)
    assert "networkx" in modules
    assert "favorledger.cli.settling" in modules


def test_every_command_is_in_one_group_whose_module_runs_it() -> None:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(sub.choices)  # aliases included, once each
    for group, names in GROUPS.items():
        module = importlib.import_module(f"favorledger.cli.{group}")
        assert set(module.COMMANDS) == set(names)
        for name in names:
            assert command(name) is module.COMMANDS[name]


def test_importing_the_package_loads_nothing_else(tmp_path: Path) -> None:
    program = "import json, sys, favorledger; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    ours = {m for m in json.loads(done.stdout) if m.startswith("favorledger")}
    assert ours == {"favorledger", "favorledger._startup", "favorledger._lazy"}


@pytest.mark.parametrize(
    "package", [favorledger, favorledger.io, favorledger.io.postgres]
)
def test_every_public_name_imports_and_is_listed(package: types.ModuleType) -> None:
    for name in package.__all__:
        value = getattr(package, name)
        exec(f"from {package.__name__} import {name}", {})
        assert value is not None or name == "__version__"
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = favorledger.nothing_here
    assert not hasattr(favorledger.io, "nothing_here")


def test_agenda_priorities_and_reciprocity_stay_the_functions() -> None:
    """Each is also the name of its module: importing the module (as the
    command and the other modules do) must not put it in the function's
    place in the package."""
    for name in ("agenda", "priorities", "reciprocity"):
        module = importlib.import_module(f"favorledger.{name}")
        function = getattr(module, name)
        assert getattr(favorledger, name) is function
        namespace: dict[str, object] = {}
        exec(f"from favorledger import {name}", namespace)
        assert namespace[name] is function


def test_submodules_are_still_reached_from_the_package() -> None:
    """``import favorledger`` used to load the core, so ``favorledger.ledger``
    worked without importing it: it still does, on first use."""
    assert favorledger.ledger.Ledger is favorledger.Ledger
    assert favorledger.trading.__name__ == "favorledger.trading"
