"""The ``favorledger`` command, driven through ``main(argv)`` and once for real.

The promises:

* each command does what its name says to the store named by ``--db``,
  ``$FAVORLEDGER_DB`` or ``favors.db``, and prints a readable table, or JSON
  with ``--json`` (amounts as exact text);
* a mistake prints one line, ``favorledger: error: ...``, to stderr, exits
  with status 2, never shows a traceback, and changes nothing in the store;
* every export format can be written, and the ones that round-trip import
  back into the same ledger; importing twice adds nothing;
* a progress bar appears only on a terminal with tqdm (or rich) installed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from favorledger._display import json_text
from favorledger.cli import main
from favorledger.cli.run import progress_bar
from favorledger.io.sqlite import open_ledger
from tests.command_line import run

T1 = "2024-01-01T09:00:00+00:00"
NEW_NAMES = ("people 'carol', 'me', 'bob'",)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "favors.db")


@pytest.fixture
def story(db: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The article's story: Carol helps me via Bob; I give Bob some advice."""
    commands = [
        [
            "record",
            "carol",
            "me",
            "3",
            "--kind",
            "introduction",
            "--via",
            "bob",
            "--id",
            "f1",
            "--at",
            T1,
            "--reason",
            "intro to her VP",
        ],
        ["record", "me", "bob", "1/3", "--id", "f2", "--at", T1, "--tag", "advice"],
        ["tie", "me", "bob", "0.8", "--kind", "friend", "--at", T1, "--id", "t1"],
        ["person", "carol", "--name", "Carol Smith", "--tag", "marketing"],
    ]
    for argv in commands:
        code, _, err = run(capsys, "--db", db, *argv)
        assert code == 0
        err = err.removeprefix(f"favorledger: created a new ledger at {db}\n")
        assert err in ("", *(f"favorledger: new {n}\n" for n in NEW_NAMES))
    return db


def rows(db: str) -> int:
    connection = sqlite3.connect(db)
    try:
        (count,) = connection.execute("SELECT count(*) FROM entries").fetchone()
    finally:
        connection.close()
    return int(count)


# ----------------------------------------------------------------- commands


def test_record_prints_what_it_stored(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--db", db, "add", "carol", "me", "2.50", "--via", "bob", "--id", "f1"
    )
    assert (code, err) == (
        0,
        f"favorledger: created a new ledger at {db}\n"
        "favorledger: new people 'carol', 'me', 'bob'\n",
    )
    assert out == "recorded favor f1: carol did me a favor worth 2.50 (via bob)\n"
    with open_ledger(db) as led:
        assert led.favors["f1"].referral_share == led.referral_share
        assert led.balance("bob") == -1.25


def test_balance_owes_people_and_history_print_tables(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", story, "balance")
    assert code == 0
    assert out.splitlines() == [
        "person  name         balance",
        "carol   Carol Smith      4.5",
        "bob     bob            -11/6",
        "me      me              -8/3",
    ]
    assert run(capsys, "--db", story, "balance", "me")[1] == "-8/3\n"
    code, out, _ = run(capsys, "--db", story, "owes")
    assert out.splitlines() == [
        "debtor        creditor  amount",
        "me      owes  carol        3.0",
        "bob     owes  carol        1.5",
        "bob     owes  me           1/3",
    ]
    code, out, _ = run(capsys, "--db", story, "who-owes-whom", "me")
    assert len(out.splitlines()) == 3
    code, out, _ = run(capsys, "--db", story, "people")
    assert "carol  Carol Smith  marketing      4.5" in out.splitlines()
    code, out, _ = run(capsys, "--db", story, "history", "me")
    lines = out.splitlines()
    assert lines[0].split() == ["at", "entry", "id", "value", "details"]
    assert "carol -> me (introduction via bob): intro to her VP" in lines[1]
    assert lines[2].split()[1:4] == ["favor", "f2", "1/3"]


def test_reverse_is_shown_in_history_and_undoes_the_balance(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--db", story, "reverse", "f1", "--reason", "twice", "--id", "r1"
    )
    assert (code, out) == (0, "recorded reversal r1 of favor f1\n")
    out = run(capsys, "--db", story, "history", "carol")[1]
    assert "favor (reversed)" in out
    assert "reverses f1: twice" in out
    assert run(capsys, "--db", story, "balance", "carol")[1] == "0\n"


def test_json_output_is_exact_text_for_scripts(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert json.loads(run(capsys, "--db", story, "--json", "balance")[1]) == {
        "carol": "4.5",
        "bob": "-11/6",
        "me": "-8/3",
    }
    owes = json.loads(run(capsys, "--db", story, "owes", "--json")[1])
    assert owes[0] == {"debtor": "me", "creditor": "carol", "amount": "3"}
    history = json.loads(run(capsys, "--db", story, "history", "me", "--json")[1])
    assert [entry["id"] for entry in history] == ["f1", "f2"]
    assert history[1]["value"] == "1/3"
    people = json.loads(run(capsys, "--json", "--db", story, "people")[1])
    assert people[1] == {
        "id": "carol",
        "name": "Carol Smith",
        "tags": ["marketing"],
        "balance": "4.5",
    }
    recorded = json.loads(
        run(capsys, "--db", story, "--json", "record", "a", "b", "1", "--id", "x")[1]
    )
    assert (recorded["type"], recorded["id"], recorded["value"]) == ("favor", "x", "1")


def test_the_store_comes_from_the_environment_or_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FAVORLEDGER_DB", raising=False)
    assert run(capsys, "record", "ann", "bob", "1")[0] == 0
    assert (tmp_path / "favors.db").exists()
    monkeypatch.setenv("FAVORLEDGER_DB", str(tmp_path / "other.db"))
    assert run(capsys, "record", "ann", "bob", "2")[0] == 0
    assert run(capsys, "balance", "ann")[1] == "2\n"
    assert run(capsys, "--db", "favors.db", "balance", "ann")[1] == "1\n"


def test_settle_suggests_transfers_with_reasons_and_applies_them(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", story, "settle", "--method", "greedy")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "payer                      payee  amount  why",
        "me     returns a favor to  carol     8/3  f1",
        "bob    returns a favor to  carol    11/6  f1, f2",
    ]
    plan = json.loads(run(capsys, "--db", story, "--json", "settle")[1])
    assert sorted((t["payer"], t["payee"], t["amount"]) for t in plan) == [
        ("bob", "carol", "11/6"),
        ("me", "carol", "8/3"),
    ]
    assert all(t["why"] for t in plan)
    before = rows(story)
    code, out, _ = run(
        capsys, "--db", story, "--json", "settle", "--apply", "--reason", "square"
    )
    assert code == 0
    applied = json.loads(out)
    assert rows(story) >= before + 2
    with open_ledger(story) as led:
        assert set(led.balances().values()) == {0}
        assert led.who_owes_whom() == []
        entries = {e.id: e for e in led.log}
        assert {entries[t["settlement"]].reason for t in applied} == {"square"}
    assert run(capsys, "--db", story, "settle") == (0, "(nothing)\n", "")


def test_settle_apply_prints_the_recorded_favors(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", story, "settle", "--apply")
    assert code == 0
    assert out.splitlines()[-1].startswith("recorded 2 settlements: ")


def test_path_prints_the_referral_paths(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", story, "tie", "bob", "carol", "0.5", "--at", T1)
    code, out, err = run(capsys, "--db", story, "path", "me", "carol")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "path                hops  trust",
        "me -> bob -> carol     2    0.4",
    ]
    code, out, _ = run(
        capsys, "--db", story, "--json", "path", "me", "carol", "--k", "3"
    )
    paths = json.loads(out)
    assert paths[0] == {
        "people": ["me", "bob", "carol"],
        "hops": 2,
        "trust": "0.4",
        "weight": "trust",
    }
    assert [p["people"] for p in paths[1:]] == [["me", "carol"]]
    out = run(capsys, "--db", story, "path", "me", "carol", "--weight", "hops")[1]
    assert out.splitlines()[1].split() == ["me", "->", "carol", "1", "1/3"]


def test_no_referral_path_is_one_line_exit_2(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", story, "person", "zoe")
    before = rows(story)
    code, out, err = run(capsys, "--db", story, "path", "me", "zoe")
    assert (code, out) == (2, "")
    assert err == "favorledger: error: no referral path from 'me' to 'zoe'\n"
    assert rows(story) == before


def test_pledge_then_call_records_the_favor(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "--db",
        db,
        "pledge",
        "carol",
        "me",
        "2",
        "--id",
        "p1",
        "--expires",
        "2099-01-01T00:00:00+00:00",
        "--reason",
        "an intro",
    )
    assert (code, err) == (
        0,
        f"favorledger: created a new ledger at {db}\n"
        "favorledger: new people 'carol', 'me'\n",
    )
    assert out == (
        "recorded pledge p1: carol promises me a favor worth 2"
        " (expires 2099-01-01T00:00+00:00)\n"
    )
    assert run(capsys, "--db", db, "balance", "me")[1] == "0\n"
    code, out, _ = run(capsys, "--db", db, "call", "p1", "--value", "1.5")
    assert code == 0
    assert out.startswith("recorded favor ")
    assert out.endswith(" carol did me a favor worth 1.5 (calls pledge p1)\n")
    assert run(capsys, "--db", db, "balance", "me")[1] == "-1.5\n"
    pledged = json.loads(
        run(capsys, "--db", db, "--json", "pledge", "ann", "bob", "1", "--id", "p2")[1]
    )
    assert (pledged["type"], pledged["id"], pledged["value"]) == ("pledge", "p2", "1")
    called = json.loads(run(capsys, "--db", db, "call", "p2", "--json")[1])
    assert (called["type"], called["giver"], called["value"]) == ("favor", "ann", "1")


def test_agenda_lists_what_to_do_with_reasons(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--db", story, "agenda", "me", "--today", "2024-06-01T00:00+00:00"
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["action", "person", "reason"]
    assert lines[1].split()[:2] == ["return", "carol"]
    assert "you still owe 3" in lines[1]
    items = json.loads(
        run(capsys, "--db", story, "--json", "agenda", "me", "--today", "2024-06-01")[1]
    )
    assert items[0]["action"] == "return"
    assert (items[0]["person"], items[0]["amount"]) == ("carol", "3")
    assert items[0]["entries"] == ["f1"]


# ------------------------------------------------------------------- errors

MISTAKES = [
    pytest.param(
        ["balance", "zed"], "person 'zed' is not in the ledger", id="stranger"
    ),
    pytest.param(
        ["record", "ann", "ann", "1"],
        "RECEIVER must differ from GIVER",
        id="self-favor",
    ),
    pytest.param(
        ["record", "ann", "bob", "-1"], "VALUE must be positive", id="negative"
    ),
    pytest.param(["record", "ann", "bob", "0.1.2"], "'0.1.2'", id="not-a-number"),
    pytest.param(["record", "ann", "bob", "1", "--at", "soon"], "--at must", id="time"),
    pytest.param(["record", "ann", "bob", "9", "--id", "f0"], "f0", id="duplicate-id"),
    pytest.param(
        ["reverse", "nope"], "no favor has an id beginning 'nope'", id="reverse"
    ),
    pytest.param(["tie", "ann", "bob", "2"], "STRENGTH must be", id="tie-strength"),
    pytest.param(
        ["tie", "ann", "bob", "1", "--kind", "rival"], "choose from", id="kind"
    ),
    pytest.param(["history", "zed"], "'zed'", id="history-stranger"),
    pytest.param(["export", "out.txt"], "give --format", id="export-format"),
    pytest.param(["import", "missing.csv"], "missing.csv: no such file", id="no-file"),
    pytest.param(
        ["import", "favors.gif"], "favors.gif: no such file", id="import-no-gif"
    ),
    pytest.param(["settle", "--method", "fast"], "choose from 'auto'", id="method"),
    pytest.param(
        ["settle", "--apply", "--method", "fast"], "'fast'", id="method-apply"
    ),
    pytest.param(["path", "ann", "zed"], "person 'zed'", id="path-stranger"),
    pytest.param(
        ["path", "ann", "bob", "--weight", "x"], "choose from 'trust'", id="weight"
    ),
    pytest.param(
        ["pledge", "ann", "ann", "1"], "RECEIVER must differ", id="self-pledge"
    ),
    pytest.param(["call", "nope"], "'nope'", id="call-unknown"),
    pytest.param(["call", "f0"], "'f0'", id="call-a-favor"),
    pytest.param(["agenda", "zed"], "person 'zed'", id="agenda-stranger"),
    pytest.param(["agenda", "ann", "--today", "soon"], "--at must", id="agenda-today"),
]


@pytest.mark.parametrize(("argv", "fragment"), MISTAKES)
def test_a_mistake_is_one_line_on_stderr_exit_2_and_changes_nothing(
    db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "--db", db, "record", "ann", "bob", "1", "--id", "f0")[0] == 0
    before = rows(db)
    code, out, err = run(capsys, "--db", db, *argv)
    assert code == 2
    assert out == ""
    if err.startswith("usage: "):  # argparse: usage, then one line of error
        assert err.splitlines()[-1].startswith(f"favorledger {argv[0]}: error: ")
    else:
        assert err.startswith("favorledger: error: ")
        assert err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err
    assert rows(db) == before


def test_reading_a_ledger_that_does_not_exist_creates_nothing(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["balance"], ["owes"], ["people"], ["check"], ["export", "x.csv"]):
        code, _, err = run(capsys, "--db", db, *command)
        assert code == 2
        assert "no ledger here yet" in err
    assert not os.path.exists(db)


def test_a_file_that_is_not_a_store_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my notes\n" * 100)
    code, _, err = run(capsys, "--db", str(path), "record", "a", "b", "1")
    assert code == 2
    assert "is not a favorledger store" in err
    assert path.read_text() == "my notes\n" * 100


def test_usage_errors_and_help_exit_as_argparse_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "record", "ann")[0] == 2
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "who owes whom" in out
    assert run(capsys)[0] == 2


# ------------------------------------------------------------- import/export


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "graphml", "gexf"])
def test_export_then_import_gives_the_same_ledger(
    story: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    run(capsys, "--db", story, "reverse", "f2", "--id", "r2")
    path = str(tmp_path / f"out.{fmt}")
    code, out, _ = run(capsys, "--db", story, "export", path)
    assert code == 0
    assert out.startswith("wrote ")
    other = str(tmp_path / "other.db")
    code, out, _ = run(capsys, "--db", other, "import", path)
    assert code == 0
    assert "imported" in out
    again = run(capsys, "--db", other, "--json", "import", path, "--format", fmt)
    assert json.loads(again[1])["new"] == 0
    with open_ledger(story) as original, open_ledger(other) as back:
        assert back.balances() == original.balances()
        assert back.who_owes_whom() == original.who_owes_whom()
        assert dict(back.favors) == dict(original.favors)
        assert dict(back.reversals) == dict(original.reversals)
        if fmt != "csv":  # a favor table carries no ties or people
            assert back.stated_ties == original.stated_ties
            assert back.people["carol"].name == "Carol Smith"


@pytest.mark.parametrize(("fmt", "suffix"), [("dot", "dot"), ("edges", "csv")])
def test_export_only_formats_are_written(
    story: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    suffix: str,
) -> None:
    path = tmp_path / f"out.{suffix}"
    code, out, _ = run(capsys, "--db", story, "export", str(path), "--format", fmt)
    assert code == 0
    assert path.read_text(encoding="utf-8")
    wrote = f"wrote 3 {'debts' if fmt == 'dot' else 'edges'} to {path} ({fmt})\n"
    if fmt == "dot":  # a picture: it holds no entries
        assert out == wrote
    else:  # the edge table holds the live favors' obligations
        assert out == wrote + (
            "left out (not kept in edges): 1 person, 1 tie; the balances and debts"
            " are the same. For the whole ledger, export to .jsonl\n"
        )


def test_a_bad_import_names_file_and_line_and_stores_nothing(
    story: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "favors.csv"
    path.write_text(
        "id,giver,receiver,value,at\n"
        f"n1,ann,bob,1,{T1}\n"
        f"f1,carol,me,4,{T1}\n",  # f1 is already recorded with another body
        encoding="utf-8",
    )
    before = rows(story)
    code, _, err = run(capsys, "--db", story, "import", str(path))
    assert code == 2
    assert f"{path}:3: " in err
    assert rows(story) == before
    jsonl = tmp_path / "favors.jsonl"
    jsonl.write_text('\n{"format": 1}\n', encoding="utf-8")
    code, _, err = run(capsys, "--db", story, "import", str(jsonl))
    assert (code, rows(story)) == (2, before)
    assert f"{jsonl}:2: " in err


def test_check_reports_a_sound_store_and_lists_problems(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--db", story, "check") == (0, f"{story}: ok\n", "")
    connection = sqlite3.connect(story)
    (seq,) = connection.execute("SELECT max(seq) FROM entries").fetchone()
    connection.execute(
        "INSERT INTO entries VALUES (?, 'x', 'favor', 'x', '{}', ?)",
        (seq + 1, "0" * 64),
    )
    connection.commit()
    connection.close()
    code, out, _ = run(capsys, "--db", story, "check")
    assert code == 1
    assert f"entry {seq + 1}: its digest does not match" in out
    assert f"entry {seq + 1}: format must be 1" in out
    code, out, _ = run(capsys, "--db", story, "check", "--json")
    assert code == 1
    assert len(json.loads(out)["problems"]) == 2


# ------------------------------------------------------------ progress bars


class FakeBar:
    def __init__(self, **settings: object) -> None:
        self.settings = settings
        self.n = 0
        self.total: int | None = None
        self.closed = False

    def __enter__(self) -> FakeBar:
        BARS.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True

    def update(self, step: int) -> None:
        self.n += step


BARS: list[FakeBar] = []


def test_a_progress_bar_shows_only_on_a_terminal_with_tqdm(
    story: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = str(tmp_path / "out.jsonl")
    BARS.clear()
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    run(capsys, "--db", story, "export", path)
    assert BARS == []  # stderr is not a terminal here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    run(capsys, "--db", story, "export", path, "--force")
    run(capsys, "--db", str(tmp_path / "new.db"), "import", path)
    assert [(bar.n, bar.total, bar.closed) for bar in BARS] == [
        (4, 4, True),
        (4, 4, True),
    ]
    assert BARS[0].settings["desc"] == "exporting"


def test_no_progress_bar_without_tqdm_or_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # an import of it fails
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    with progress_bar("x") as progress:
        assert progress is None


# --------------------------------------------------------------- for real


def test_python_dash_m_favorledger_runs_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "FAVORLEDGER_DB": str(tmp_path / "favors.db")}

    def favorledger(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "favorledger", *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )

    done = favorledger("record", "carol", "me", "3", "--via", "bob", "--id", "f1")
    assert done.returncode == 0
    assert done.stderr == (
        f"favorledger: created a new ledger at {env['FAVORLEDGER_DB']}\n"
        "favorledger: new people 'carol', 'me', 'bob'\n"
    )
    assert done.stdout == "recorded favor f1: carol did me a favor worth 3 (via bob)\n"
    done = favorledger("--json", "balance")
    assert json.loads(done.stdout) == {"carol": "4.5", "bob": "-1.5", "me": "-3"}
    done = favorledger("record", "me", "me", "1")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("favorledger: error: RECEIVER must differ")
    assert "Traceback" not in done.stderr


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_json_output_is_printable_and_reads_back_the_same(data: object) -> None:
    """``--json`` output: any text (a bidirectional override in a name, an
    escape sequence) is written as a JSON escape, so the terminal shows it
    and cannot act on it, and the JSON still reads back as the same data."""
    text = json_text(data)
    assert all(char.isprintable() or char == "\n" for char in text), text
    assert json.loads(text) == data


def test_a_name_with_a_bidirectional_override_is_escaped_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "record", "ann", "carol", "1", "--at", T1]) == 0
    assert main(["--db", db, "person", "carol", "--name", "\u202egnp.exe"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "--json", "people"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out
    assert "\\u202e" in out
    assert {p["name"] for p in json.loads(out)} >= {"\u202egnp.exe"}
