"""Every command, run for real (``python -m favorledger`` in a subprocess).

Issue 12: the whole library from the command; ids a person can type; new
names pointed out; amounts aligned; errors in the words the person typed;
``--json`` with one documented shape per command (docs/command-line.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from favorledger import __version__
from favorledger.cli.parser import build_parser
from favorledger.io.sqlite import open_ledger

MONDAY = "2025-03-03"


class Shell:
    """The favorledger command against one store, as a person types it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {**os.environ, "FAVORLEDGER_DB": str(folder / "week.db")}

    def __call__(
        self, *argv: str, code: int = 0, db: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = self.env if db is None else {**self.env, "FAVORLEDGER_DB": db}
        done = subprocess.run(
            [sys.executable, "-m", "favorledger", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.folder,
            check=False,
            timeout=120,
        )
        assert done.returncode == code, (argv, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done

    def json(self, *argv: str, db: str | None = None) -> object:
        return json.loads(self("--json", *argv, db=db).stdout)


@pytest.fixture
def sh(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def test_version(sh: Shell) -> None:
    assert sh("--version").stdout == f"favorledger {__version__}\n"


def test_every_option_and_argument_has_help_and_choices_are_listed() -> None:
    parser = build_parser()
    (commands,) = (
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    assert {"pledges", "release", "ask", "answer", "complete", "assign"} <= set(
        commands.choices
    )
    assert {"barter", "clear", "log", "asks", "config"} <= set(commands.choices)
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:
                assert action.dest == "at"
                assert "--today" in action.option_strings
                continue
            assert action.help, (name, action.dest)
        text = sub.format_help()
        if name in ("settle", "path", "tie", "answer", "pledges"):
            assert "{" in text, name  # the choices are listed
    with_at = {n for n, sub in commands.choices.items() if "--at" in sub.format_help()}
    assert {"record", "pledge", "call", "balance", "agenda", "release"} <= with_at


def test_a_typo_is_pointed_out_and_strict_refuses_it(sh: Shell) -> None:
    sh("record", "carol", "me", "3", "--at", MONDAY)
    done = sh("record", "carl", "me", "1")
    assert done.stderr == "favorledger: new person 'carl' (did you mean 'carol'?)\n"
    done = sh("--strict", "record", "carrol", "me", "1", code=2)
    assert "unknown person 'carrol' (did you mean 'carol' or 'carl'?)" in done.stderr
    sh("config", "strict", "on")
    assert sh("config").stdout == "strict = on\n"
    assert "strict mode" in sh("record", "dan", "me", "1", code=2).stderr
    sh("person", "dan")
    assert sh("record", "dan", "me", "1").stderr == ""
    with open_ledger(sh.folder / "week.db") as led:
        assert sorted(led.people) == ["carl", "carol", "dan", "me"]


def test_restating_a_person_keeps_what_is_not_restated(sh: Shell) -> None:
    sh("person", "bob", "--tag", "friend", "--tag", "python")
    sh("person", "bob", "--name", "Robert Smith")
    sh("person", "bob", "--tag", "climbing")
    (bob,) = sh.json("people")  # type: ignore[misc]
    assert bob == {
        "id": "bob",
        "name": "Robert Smith",
        "tags": ["climbing"],
        "balance": "0",
    }


def test_short_ids_prefixes_and_an_ambiguous_prefix(sh: Shell) -> None:
    sh("pledge", "dan", "me", "2", "--id", "pl-1", "--at", MONDAY)
    sh("pledge", "dan", "me", "1", "--id", "pl-2", "--at", MONDAY)
    err = sh("call", "pl-", code=2).stderr
    assert "'pl-' is ambiguous" in err
    assert "pl-1, pl-2" in err
    assert "pledge pl-2" in sh("call", "pl-2", "--at", "2025-03-04").stdout
    sh("record", "me", "dan", "1", "--at", MONDAY)
    log = sh("log").stdout.splitlines()
    ids = [line.split()[2] for line in log[1:]]
    assert all(len(i) <= 7 or i.startswith("pl-") for i in ids), ids
    favor = next(line.split()[2] for line in log if "me -> dan" in line)
    assert "reversal" in sh("reverse", favor[:5]).stdout


def test_a_week_of_market_commands(sh: Shell) -> None:
    """pledge (old, with --at), pledges, release, ask, answer, complete,
    assign, barter, clear, log filters, balance --at and agenda --at."""
    sh("pledge", "bob", "me", "2", "--expires", "2025-01-01", "--at", "2024-12-01")
    sh("pledge", "dan", "me", "2", "--at", MONDAY, "--id", "p2")
    rows = sh("pledges").stdout.splitlines()
    assert [r.split()[4] for r in rows[1:]] == ["expired", "open"]
    assert sh("release", "p2", "--at", "2025-03-04").returncode == 0
    assert sh.json("pledges", "--status", "released")[0]["id"] == "p2"  # type: ignore[index]
    sh("ask", "me", "ann", "1/3", "--id", "a1", "--at", MONDAY, "--reason", "a ride")
    sh("answer", "a1", "accepted", "--at", "2025-03-04")
    sh("complete", "a1", "--at", "2025-03-05")
    (ask,) = sh.json("asks")  # type: ignore[misc]
    assert ask["status"] == "completed"
    sh("record", "carol", "me", "3", "--at", MONDAY)
    sh("record", "me", "bob", "2", "--at", MONDAY)
    sh("assign", "me", "bob", "carol", "1", "--at", "2025-03-06")
    assert sh.json("balance", "bob") == {"person": "bob", "balance": "-2"}
    sh("barter", "ann", "bob", "1", "1.5", "--at", "2025-03-06")
    # a cycle: carol -> me -> ann -> carol
    sh("record", "ann", "carol", "1", "--at", "2025-03-07")
    sh("record", "me", "ann", "1", "--at", "2025-03-07")
    before = sh.json("balance")
    plan = sh.json("clear")
    assert set(plan) == {"cleared", "before", "set_offs", "settlements"}  # type: ignore[arg-type]
    done = sh("clear", "--apply", "--at", "2025-03-08")
    assert "recorded" in done.stdout
    assert sh.json("balance") == before  # set-offs move no balance
    favors = sh.json("log", "--type", "favor", "--person", "bob")
    assert {f["type"] for f in favors} == {"favor"}  # type: ignore[union-attr,index]
    kinds = sh.json("log", "--kind", "barter")
    assert len(kinds) == 2  # type: ignore[arg-type]
    early = sh.json("log", "--until", "2025-03-03T23:59:59+00:00")
    assert all(e["at"] < "2025-03-04" for e in early)  # type: ignore[union-attr,index]
    then = sh("balance", "--at", "2025-03-04").stdout
    assert "carol" in then
    assert sh("agenda", "me", "--at", "2025-03-09").returncode == 0
    assert sh("agenda", "me", "--today", "2025-03-09").returncode == 0  # deprecated


def test_amount_columns_line_up_with_one_number_of_decimals(sh: Shell) -> None:
    """What was seen: 4.50, 3.5, -4.0 and -2.50 in one column; 0.00 and 0.0."""
    sh("record", "ann", "bob", "4.50", "--at", MONDAY)
    sh("record", "cy", "dee", "3.5", "--at", MONDAY)
    sh("record", "dee", "cy", "3.50", "--at", MONDAY)
    sh("record", "bob", "ed", "2", "--at", MONDAY, "--via", "fay", "--share", "1/3")
    lines = sh("balance").stdout.splitlines()
    amounts = [line.split()[-1] for line in lines[1:]]
    # ann 4.5; cy, dee 0; fay owes 2/3; bob -4.5 + 2 + 2/3; ed -2
    assert amounts == ["4.5", "0.0", "0.0", "-2/3", "-11/6", "-2.0"]
    assert len({len(line) for line in lines[1:]}) == 1  # right-aligned
    assert sh.json("balance")["cy"] == "0"  # type: ignore[index]


def test_errors_name_what_was_typed(sh: Shell) -> None:
    err = sh("record", "a", "b", "1", "--share", "0.3", code=2).stderr
    assert err == (
        "favorledger: error: --share 0.3 needs --via: the share is what the"
        " referrer owes\n"
    )
    err = sh("record", "a", "b", "1", "--at", "soon", code=2).stderr
    assert "--at must" in err
    assert "Favor.at" not in err
    err = sh("record", "a", "b", "1", "--kind", "", code=2).stderr
    assert "--kind" in err
    assert (
        sh("import", "nope", code=2).stderr
        == "favorledger: error: nope: no such file\n"
    )
    assert not (sh.folder / "week.db").exists()


def test_export_import_check_round_trip(sh: Shell, tmp_path: Path) -> None:
    sh("record", "carol", "me", "3", "--via", "bob", "--at", MONDAY)
    sh("record", "me", "bob", "1/3", "--at", MONDAY, "--tag", "advice")
    sh("tie", "me", "bob", "1/31", "--kind", "friend", "--at", MONDAY)
    sh("pledge", "dan", "me", "2", "--at", MONDAY, "--id", "p1")
    sh("call", "p1", "--at", "2025-03-04")
    sh("person", "bob", "--name", "Robert", "--tag", "friend")
    sh("record", "me", "carol", "1", "--id", "x1", "--at", MONDAY)
    sh("reverse", "x1", "--at", "2025-03-05")  # a reversal is kept in a CSV
    done = sh("export", "week.csv")
    assert "left out (not kept in csv): 1 person, 1 pledge, 1 tie;" in done.stdout
    sh("export", "week.jsonl")
    csv_db, jsonl_db = str(tmp_path / "csv.db"), str(tmp_path / "jsonl.db")
    sh("import", "week.csv", db=csv_db)
    sh("import", "week.jsonl", db=jsonl_db)
    for db in (csv_db, jsonl_db):
        assert sh("check", db=db).stdout.endswith(": ok\n")
        assert sh.json("balance", db=db) == sh.json("balance")
    with (
        open_ledger(tmp_path / "jsonl.db") as copy,
        open_ledger(sh.folder / "week.db") as original,
    ):
        assert copy.log == original.log


def test_the_readme_terminal_session_is_what_the_command_prints(sh: Shell) -> None:
    import re
    import shlex

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    (session,) = re.findall(r"```console\n(\$ favorledger record.*?)```", readme, re.S)
    shown: list[str] = []
    for line in session.splitlines():
        if line.startswith("$ favorledger "):
            done = sh(*shlex.split(line)[2:], db="favors.db")  # a new directory
            shown += [line, *done.stderr.splitlines(), *done.stdout.splitlines()]
    ids = r"[0-9a-f]{20}-\d+|[0-9a-f]{7}"
    assert [re.sub(ids, "ID", s) for s in shown] == [
        re.sub(ids, "ID", s) for s in session.splitlines()
    ]


def test_a_store_with_a_setting_still_checks_ok(sh: Shell) -> None:
    sh("record", "ann", "bob", "1")
    sh("config", "strict", "on")
    assert sh("check").stdout.endswith(": ok\n")
    assert sh.json("config") == {"strict": "on"}
    sh("config", "strict", "off")
    assert sh("record", "ann", "cy", "1").returncode == 0
