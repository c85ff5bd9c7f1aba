"""The command line's loose ends from the third newcomer trial ("More
findings" and "Polish": C1, C2, C3, F4, F7, D5, D6), each a regression test
written before its fix.

The promises:

* a refused value is named by the flag or argument that was typed
  (``--expect-head``, ``--at``, ``--k``, ``B_VALUE``), never by the
  library's parameter (``expect_head``, ``at``, ``today``, ``Favor.value``),
  for every command and option (a property over both);
* ``config`` on a file that is not a store says so as every other command
  does, and writes nothing into it;
* the command table of docs/command-line.md lists each command's
  arguments and options as the parser has them;
* Ctrl-C while the command is still loading prints ``favorledger:
  interrupted`` and exits with 130, without a traceback;
* ``--db`` (and ``$FAVORLEDGER_DB``) refuses an empty value, a
  ``sqlite://`` URL and a device, with a message saying what to give;
* every ``--json export`` summary has the same keys, as documented;
* docs/index.md's "Read on" links every guide page and every notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from favorledger.cli.parser import EXPORT_FORMATS, build_parser
from tests.command_line import run

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------- C1, C3: the typed names


def test_check_expect_head_is_named_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """C1: ``check --expect-head deadbeef`` named ``expect_head``."""
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "a", "b", "1")
    code, _, err = run(capsys, "--db", db, "check", "--expect-head", "deadbeef")
    assert code == 2
    assert err.startswith("favorledger: error: --expect-head must be a digest")
    assert "expect_head" not in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["balance", "--at", "99999-01-01"], "--at"),
        (["agenda", "a", "--at", "9999-12-31T23:59:59-05:00"], "--at"),
        (["agenda", "a", "--today", "9999-12-31T23:59:59-05:00"], "--at"),
        (["path", "a", "b", "--k", "0"], "--k"),
        (["barter", "a", "b", "1", "-1"], "B_VALUE"),
        (["barter", "a", "b", "-1", "1"], "A_VALUE"),
    ],
)
def test_a_bad_query_value_is_named_by_its_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], flag: str
) -> None:
    """C3: ``balance --at`` said ``at must be``, ``agenda --at`` said
    ``today must be`` (the old name of ``--at``)."""
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "a", "b", "1")
    code, _, err = run(capsys, "--db", db, *argv)
    assert code == 2, err
    assert err.startswith(f"favorledger: error: {flag} must be"), err


def _foreign(tmp_path: Path) -> Path:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    return other


@pytest.mark.parametrize("argv", [["config", "strict", "on"], ["config"]])
def test_config_on_a_file_that_is_not_a_store_says_so_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """C3: ``--db text.txt config strict on`` said ``cannot write settings``
    where every other command says ``is not a favorledger store``; on
    another application's SQLite file it even added a settings table."""
    text = tmp_path / "text.txt"
    text.write_text("hello\n")
    other = _foreign(tmp_path)
    before = other.read_bytes()
    for path in (text, other):
        code, _, err = run(capsys, "--db", str(path), *argv)
        assert code == 2
        assert err.startswith(f"favorledger: error: {path} is not a favorledger store:")
    assert text.read_text() == "hello\n"
    assert other.read_bytes() == before


# The property: every command, every option or argument that takes a value of
# a form (a time, an amount, a count, a digest, a name), and a value that is
# not of that form.  Each is refused (status 2, one line, the store unchanged)
# and the line names what was typed.

BAD: dict[str, list[str]] = {
    "time": [
        "soon",
        "2026-13-01",
        "99999-01-01",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00+05:00",
        "2025-02-30",
        "x" * 300,
    ],
    "amount": ["-1", "0", "1/0", "nan", "1e400", "two", "", "x" * 300],
    "weight": ["-1", "2", "3/2", "1/0", "nan", "two", "x" * 300],
    "count": ["0", "-3"],
    "digest": ["deadbeef", "7ec999b", "", "X" * 64, "0" * 63],
    "name": ["", " ", "a\x01b", "x" * 300],
}

# (command, its arguments with one "{}" for the bad value, the name typed, kind)
SEED = ["record", "ann", "bob", "2", "--id", "f1", "--at", "2024-01-01"]
CASES: list[tuple[str, list[str], str, str]] = []
_AT_COMMANDS = {
    "record": ["ann", "bob", "1"],
    "reverse": ["f1"],
    "tie": ["ann", "bob", "0.5"],
    "person": ["ann"],
    "balance": [],
    "pledge": ["ann", "bob", "1"],
    "pledges": [],
    "call": ["p1"],
    "release": ["p1"],
    "ask": ["ann", "bob", "1"],
    "asks": [],
    "answer": ["k1", "accepted"],
    "complete": ["k1"],
    "assign": ["ann", "bob", "cy", "1"],
    "barter": ["ann", "bob", "1", "1"],
    "agenda": ["ann"],
    "settle": ["--apply"],
    "clear": ["--apply"],
}
for _name, _argv in _AT_COMMANDS.items():
    CASES.append((_name, [*_argv, "--at", "{}"], "--at", "time"))
CASES += [
    ("agenda", ["ann", "--today", "{}"], "--at", "time"),
    ("log", ["--since", "{}"], "--since", "time"),
    ("log", ["--until", "{}"], "--until", "time"),
    ("pledge", ["ann", "bob", "1", "--expires", "{}"], "--expires", "time"),
    ("ask", ["ann", "bob", "1", "--due", "{}"], "--due", "time"),
    ("record", ["ann", "bob", "{}"], "VALUE", "amount"),
    (
        "record",
        ["ann", "bob", "1", "--via", "cy", "--share", "{}"],
        "--share",
        "weight",
    ),
    ("tie", ["ann", "bob", "{}"], "STRENGTH", "weight"),
    ("pledge", ["ann", "bob", "{}"], "VALUE", "amount"),
    ("ask", ["ann", "bob", "{}"], "VALUE", "amount"),
    ("call", ["p1", "--value", "{}"], "--value", "amount"),
    ("complete", ["k1", "--value", "{}"], "--value", "amount"),
    ("assign", ["ann", "bob", "cy", "{}"], "AMOUNT", "amount"),
    ("barter", ["ann", "bob", "{}", "1"], "A_VALUE", "amount"),
    ("barter", ["ann", "bob", "1", "{}"], "B_VALUE", "amount"),
    ("path", ["ann", "bob", "--k", "{}"], "--k", "count"),
    ("check", ["--expect-head", "{}"], "--expect-head", "digest"),
    ("record", ["{}", "bob", "1"], "GIVER", "name"),
    ("record", ["ann", "{}", "1"], "RECEIVER", "name"),
    ("record", ["ann", "bob", "1", "--via", "{}"], "--via", "name"),
    ("tie", ["{}", "bob", "0.5"], "A", "name"),
    ("tie", ["ann", "{}", "0.5"], "B", "name"),
    ("person", ["{}"], "PERSON", "name"),
    ("pledge", ["{}", "bob", "1"], "GIVER", "name"),
    ("ask", ["ann", "{}", "1"], "ASKED", "name"),
    ("assign", ["ann", "bob", "{}", "1"], "NEW_HOLDER", "name"),
    ("barter", ["{}", "bob", "1", "1"], "A", "name"),
    ("barter", ["ann", "{}", "1", "1"], "B", "name"),
]
# What a message must not say instead of the typed name.
PYTHON_NAMES = re.compile(
    r"\b(?:Favor|Pledge|Tie|Person|Reversal|Ask|Answer|Release|Assignment)\.\w+"
    r"|^(?:at|today|k|expect_head|since|until|expires|due|value|amount) must"
)


@pytest.fixture(scope="module")
def seeded() -> Iterator[Path]:
    """A store with a favor f1, a pledge p1 and an ask k1 (made once)."""
    folder = Path(tempfile.mkdtemp())
    db = str(folder / "seed.db")
    from favorledger.cli import main

    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        for argv in (
            SEED,
            ["pledge", "ann", "bob", "2", "--id", "p1", "--at", "2024-01-01"],
            ["ask", "ann", "bob", "2", "--id", "k1", "--at", "2024-01-01"],
        ):
            assert main(["--db", db, *argv]) == 0
    yield folder / "seed.db"
    shutil.rmtree(folder)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_refused_value_is_named_as_it_was_typed(
    seeded: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    command, template, typed, kind = data.draw(st.sampled_from(CASES))
    bad = data.draw(st.sampled_from(BAD[kind]))
    folder = Path(tempfile.mkdtemp())
    try:
        db = folder / "s.db"
        shutil.copy(seeded, db)
        before = db.read_bytes()
        argv = [bad if part == "{}" else part for part in template]
        code, out, err = run(capsys, "--db", str(db), command, *argv)
        assert code == 2, (command, argv, out, err)
        assert err.count("\n") == 1
        assert err.startswith("favorledger: error: ")
        message = err.removeprefix("favorledger: error: ")
        assert re.search(rf"(?<![\w-]){re.escape(typed)}(?![\w-])", message), (
            command,
            argv,
            err,
        )
        assert not PYTHON_NAMES.search(message), (command, argv, err)
        assert db.read_bytes() == before
    finally:
        shutil.rmtree(folder)


# ------------------------------------------------- C2: the table is the parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _table_rows() -> dict[str, str]:
    page = (ROOT / "docs" / "command-line.md").read_text()
    table = page.split("## Commands", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        usage = re.split(r"(?<!\\)\|", line)[1].strip().strip("`")
        rows[usage.split()[0]] = usage
    return rows


def test_the_command_table_lists_every_command_with_its_options() -> None:
    """C2: the table listed ``check`` with no options (it has ``--head``
    and ``--expect-head``)."""
    commands = _commands()
    rows = _table_rows()
    primary = {name for name, sub in commands.items() if sub.prog.endswith(" " + name)}
    assert set(rows) == primary  # an alias is named in its command's row
    for name in primary:
        usage = rows[name]
        for action in commands[name]._actions:
            if action.dest in ("help", "json", "strict"):
                continue
            if action.help == argparse.SUPPRESS:
                continue  # --today, the old name of --at
            if action.option_strings:
                flag = max(action.option_strings, key=len)
                assert re.search(rf"{flag}\b(?!-)", usage), (name, flag)
            elif action.choices is not None:
                assert "|".join(action.choices) in usage.replace("\\|", "|") or (
                    ",".join(action.choices) in usage
                ), (name, action.dest)
            else:
                assert re.search(rf"\b{action.metavar}\b", usage), (name, action)
        flags = set(re.findall(r"--[a-z][a-z-]*", usage))
        known = {f for a in commands[name]._actions for f in a.option_strings}
        assert flags <= known, (name, flags - known)


# ------------------------------------------------ F4: Ctrl-C while loading

# A sitecustomize module (Python imports it at start-up) makes the process
# send SIGINT to itself when a given module is first imported: the interrupt
# lands at the same place every time, with no sleeping and no race.
_SITECUSTOMIZE = """
import os, signal, sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["INTERRUPT_AT"]:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
"""
# What pip writes for the console script (``[project.scripts]``).
_SCRIPT = """
import re, sys
from favorledger.cli import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


def _interrupted_at(
    module: str, argv: list[str], folder: Path
) -> subprocess.CompletedProcess[str]:
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    path = [str(folder), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "INTERRUPT_AT": module, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=folder,
        env=env,
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )


def _ctrl_c_as_at_a_terminal() -> None:
    """Ctrl-C left at its default in the command, as a terminal leaves it:
    a test run started in the background of a script ignores SIGINT, and
    the command, rightly, then leaves it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


LOADING = {
    "favorledger._exact": ["--version"],  # the library's own modules, first of all
    "favorledger.cli.parser": ["--version"],
    # what a command loads only once it knows which command it runs
    "favorledger.cli.entries": ["balance"],
    "favorledger.io.sqlite": ["balance"],
    "favorledger.trading": ["pledges"],
    "networkx": ["path", "ann", "bob"],
}


@pytest.mark.parametrize("how", ["script", "module"])
@pytest.mark.parametrize(("module", "command"), LOADING.items())
def test_ctrl_c_while_the_command_loads_is_one_line_and_130(
    tmp_path: Path, how: str, module: str, command: list[str]
) -> None:
    """F4: Ctrl-C right at start-up printed a traceback."""
    script = tmp_path / "favorledger"
    script.write_text(_SCRIPT)
    argv = [str(script)] if how == "script" else ["-m", "favorledger"]
    done = _interrupted_at(module, [*argv, *command], tmp_path)
    assert done.stderr == "favorledger: interrupted\n"
    assert done.returncode == 130
    assert done.stdout == ""


def test_ctrl_c_while_another_program_imports_favorledger_is_its_own(
    tmp_path: Path,
) -> None:
    """Only the command answers Ctrl-C so: a program that imports the library
    gets its KeyboardInterrupt, as from any module."""
    program = ["-c", "import favorledger; favorledger.settle"]  # loads networkx
    done = _interrupted_at("networkx", program, tmp_path)
    assert "KeyboardInterrupt" in done.stderr
    assert "favorledger: interrupted" not in done.stderr


def test_once_the_command_runs_ctrl_c_is_a_keyboard_interrupt_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command puts Python's handler back before it opens anything, so
    an interrupted write rolls back as before."""
    from favorledger import _startup

    previous = signal.signal(signal.SIGINT, _startup.interrupted)
    try:
        code, _, _ = run(
            capsys, "--db", str(tmp_path / "s.db"), "record", "a", "b", "1"
        )
        assert code == 0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------- F7: odd --db values


@pytest.mark.parametrize("how", ["--db", "env"])
@pytest.mark.parametrize(
    ("db", "said"),
    [
        ("sqlite:///{folder}/x.db", "use a path, not a sqlite:// URL"),
        ("sqlite:{folder}/x.db", "use a path, not a sqlite:// URL"),
        ("mysql://u:secret@h/x", "a path or a postgresql:// URL, not a mysql://"),
    ],
)
@pytest.mark.parametrize("command", [["record", "a", "b", "1"], ["balance"]])
def test_a_url_that_is_not_postgresql_is_refused_saying_what_to_give(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    db: str,
    said: str,
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    db = db.format(folder=tmp_path)
    if how == "env":
        monkeypatch.setenv("FAVORLEDGER_DB", db)
        argv = command
    else:
        argv = ["--db", db, *command]
    code, _, err = run(capsys, *argv)
    assert code == 2
    name = "--db" if how == "--db" else "$FAVORLEDGER_DB"
    assert err.startswith(f"favorledger: error: {name}: "), err
    assert said in err
    assert db not in err  # a URL may hold a password
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_db_is_refused_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """F7: ``--db ""`` silently used ./favors.db (an unset variable in a
    script, more likely than a wish for the default). An empty
    ``$FAVORLEDGER_DB`` is unset, as in a shell (the trial found that
    right)."""
    monkeypatch.chdir(tmp_path)
    for command in (["record", "a", "b", "1"], ["balance"]):
        code, _, err = run(capsys, "--db", "", *command)
        assert code == 2
        assert err == "favorledger: error: --db must not be empty\n"
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("FAVORLEDGER_DB", "")
    code, _, err = run(capsys, "record", "a", "b", "1")
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db"] == ["favors.db"]


@pytest.mark.parametrize("how", ["--db", "env"])
@pytest.mark.parametrize("command", [["record", "a", "b", "1"], ["balance"], ["check"]])
def test_a_device_is_not_a_store_for_reads_and_writes_alike(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    command: list[str],
) -> None:
    """F7: ``--db /dev/null record`` said ``cannot set up the store: disk
    I/O error`` where reads say what the file is."""
    if how == "env":
        monkeypatch.setenv("FAVORLEDGER_DB", os.devnull)
        argv = command
    else:
        argv = ["--db", os.devnull, *command]
    code, out, err = run(capsys, *argv)
    said = f"{os.devnull} is not a favorledger store: a device, not a file"
    if command == ["check"]:
        assert (code, out) == (1, said + "\n")
    else:
        assert code == 2
        assert err == f"favorledger: error: {said}\n"


def test_a_fifo_as_the_store_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opening a FIFO would wait for a writer forever."""
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "--db", str(fifo), "balance")
    assert code == 2
    assert err == (
        f"favorledger: error: {fifo} is not a favorledger store: a FIFO (named"
        " pipe), not a file\n"
    )


# ----------------------------------------------- D5: one shape for --json export

SHAPE = {
    "file",
    "format",
    "written",
    "held",
    "left_out",
    "same_balances",
    "same_debts",
    "differences",
}


LOG = {"favor": 2, "reversal": 1, "settlement": 2, "pledge": 1}


def test_every_json_export_summary_has_the_documented_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """D5: JSONL's summary had "held", CSV's did not, and the page named
    neither."""
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--via", "bob", "--id", "f1")
    run(capsys, "--db", db, "record", "me", "dan", "2", "--id", "f2")
    run(capsys, "--db", db, "reverse", "f2")
    run(capsys, "--db", db, "settle", "--apply")
    run(capsys, "--db", db, "pledge", "me", "dan", "1")
    page = (ROOT / "docs" / "command-line.md").read_text()
    (row,) = (line for line in page.splitlines() if line.startswith("| `export` |"))
    for key in SHAPE:
        assert f'"{key}"' in row, key
    for kind in EXPORT_FORMATS:
        path = str(tmp_path / f"out.{kind}")
        code, out, err = run(
            capsys, "--db", db, "--json", "export", path, "--format", kind
        )
        assert code == 0, err
        summary = json.loads(out)
        assert set(summary) == SHAPE, kind
        held = summary["held"]
        if kind == "dot":  # draws debts: no entries
            assert held == {}
            assert summary["left_out"] == {}
            continue
        assert all(n > 0 for n in held.values()), kind
        left_out = summary["left_out"]
        every = {k: held.get(k, 0) + left_out.get(k, 0) for k in {*held, *left_out}}
        assert every == LOG, kind  # what the file holds, and what it does not
        if kind in ("jsonl", "graphml", "gexf"):
            assert summary["written"] == sum(held.values())


# ------------------------------------------------------- D6: the index links all


def test_read_on_links_every_guide_page_and_every_notebook() -> None:
    """D6: "Read on" left out the favor_market notebook and docs/input.md."""
    page = (ROOT / "docs" / "index.md").read_text()
    read_on = page.split("## Read on", 1)[1].split("```{toctree}", 1)[0]
    linked = set(re.findall(r"\{doc\}`([^`]+)`", read_on))
    guide = page.split(":caption: Guide", 1)[1].split("```", 1)[0].split()
    assert set(guide) <= linked
    notebooks = {f"examples/{p.stem}" for p in (ROOT / "examples").glob("*.py")}
    assert notebooks <= linked
