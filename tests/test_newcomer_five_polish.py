"""The command line's and the web app's polish from the fifth newcomer
trial, each a regression test written before its fix.

The promises:

* a table lines up by display width: a wide character (CJK, emoji) takes
  two columns, a combining mark none (P1);
* ``--json settle --apply`` reports the set-off it records for debts left
  in cycles, as the text does; so does the text beside favor-returns;
* reversing an assignment whose moved debt a settlement paid since says
  what that means and lists the settlement, in text and JSON (U2);
* a local time without an offset that the clock skips or shows twice (a
  daylight-saving change) is refused, naming the option and the value (P2);
* ``path a a`` says a path joins two different people (P5); ``agenda``
  says there is nothing to attend to, and what the person owes (P7); a new
  person's note suggests an existing name only when it is one slip of the
  keyboard away, not merely similar (P6);
* the web app's ``/api/settle`` names the entry behind each reason
  ``entry``, and ``favor`` only when it is a favor (P4);
* ``derived_id``, which the storage page and the changelog name, is public:
  in ``favorledger.io`` and its module's ``__all__``, so the API reference
  shows it; so is every function and class ``favorledger.io`` exports.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from examples.webapp.app import create_app
from favorledger import (
    Assignment,
    Ledger,
    Settlement,
    UnknownFavorError,
    settle,
    settled_by,
    trading,
)
from favorledger._display import display_width, table
from favorledger.errors import _one_slip
from favorledger.io.sqlite import open_ledger
from tests.command_line import run


def columns_at(line: str) -> list[int]:
    """The display column at which each cell of a table line starts (the
    cells here hold no spaces)."""
    return [display_width(line[: cell.start()]) for cell in re.finditer(r"\S+", line)]


NAMES = st.text(
    st.sampled_from(["a", "Z", "7", "李", "龍", "🎉", "é", "\u0301", "\u0308", "ｶ"]),
    min_size=1,
    max_size=6,
).filter(lambda s: not unicodedata.combining(s[0]))


def test_display_width_counts_wide_as_two_and_combining_marks_as_none() -> None:
    assert display_width("abc") == 3
    assert display_width("李小龍") == 6
    assert display_width("🎉x") == 3
    assert display_width("e\u0301") == 1


@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=5))
@example([("李小龍", "bob"), ("alice", "🎉party"), ("e\u0301\u0301", "x")])
def test_every_row_of_a_table_lines_up_in_display_width(
    rows: list[tuple[str, str]],
) -> None:
    """Each column starts at the same display column on every line, and a
    right-aligned (amount) column ends at the same one."""
    out = io.StringIO()
    cells = [[a, b, "5"] for a, b in rows]
    table(out, ["person", "name", "balance"], cells)
    lines = out.getvalue().splitlines()
    ends = {display_width(line) for line in lines}
    assert len(ends) == 1, out.getvalue()
    starts = {tuple(columns_at(line)[:2]) for line in lines}
    assert len(starts) == 1, out.getvalue()


# --------------------------------------- settle --apply of cycles, in JSON
def recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str], *favors: str) -> str:
    db = str(tmp_path / "f.db")
    for favor in favors:
        assert run(capsys, "--db", db, "record", *favor.split())[0] == 0
    return db


def settlements(db: str) -> list[Settlement]:
    return [e for e in open_ledger(db).log if isinstance(e, Settlement)]


CYCLE = ("a b 2", "b c 2", "c a 2")


def test_json_settle_apply_reports_the_set_off_of_a_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It printed ``[]`` though it recorded a set-off of three debts."""
    db = recorded(tmp_path, capsys, *CYCLE)
    code, out, err = run(capsys, "--db", db, "--json", "settle", "--apply")
    assert code == 0, err
    (entry,) = settlements(db)
    assert json.loads(out) == [
        {
            "settlement": entry.id,
            "set_off": [
                {"payer": d.debtor, "payee": d.creditor, "amount": "2"}
                for d in entry.discharged
            ],
        }
    ]
    assert len(entry.discharged) == 3


def test_settle_apply_names_the_set_off_beside_the_favor_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan with a favor-return and a cycle: the JSON listed the return
    only, and the text called the set-off a second settlement."""
    db = recorded(tmp_path, capsys, *CYCLE, "d e 2")
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(db).read_bytes())
    code, out, err = run(capsys, "--db", db, "settle", "--apply")
    assert code == 0, err
    returned, set_off = settlements(db)
    assert set_off.kind == "set-off"
    said = out.splitlines()[-1]
    assert re.fullmatch(
        rf"recorded 1 settlement: {returned.id[:7]}\S*;"
        rf" set off 3 debts that ran in cycles: {set_off.id[:7]}\S*",
        said,
    ), said
    code, out, err = run(capsys, "--db", str(copy), "--json", "settle", "--apply")
    assert code == 0, err
    plan = json.loads(out)
    assert [sorted(item) for item in plan] == [
        ["amount", "payee", "payer", "settlement", "stated_only", "why"],
        ["set_off", "settlement"],
    ]
    assert len(plan[1]["set_off"]) == 3


# ----------------------------------- U2: reversing a settled assignment
def settled_assignment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str, str]:
    """dan passes on what ana owes him to ben, then ana pays ben."""
    db = recorded(tmp_path, capsys, "dan ana 5", "ben dan 5")
    assert run(capsys, "--db", db, "assign", "dan", "ana", "ben", "5")[0] == 0
    assert run(capsys, "--db", db, "settle", "--apply")[0] == 0
    led = open_ledger(db)
    (assignment,) = [e for e in led.log if isinstance(e, Assignment)]
    (paid,) = settlements(db)
    return db, assignment.id, paid.id


def test_reversing_a_settled_assignment_says_the_payment_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reversal made ana owe dan again and ben owe ana the payment back,
    and said nothing about it."""
    db, assignment, paid = settled_assignment(tmp_path, capsys)
    code, _, err = run(capsys, "--db", db, "reverse", assignment)
    assert code == 0, err
    assert (
        f"favorledger: note: {assignment}'s debt (ana owes ben) was settled by"
        f" {paid}: ana owes dan again and that payment stands, so ben owes it"
        " back to ana; reverse it too if the payment did not happen\n"
    ) in err


def test_json_reverse_of_a_settled_assignment_lists_the_settlement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, assignment, paid = settled_assignment(tmp_path, capsys)
    code, out, err = run(capsys, "--db", db, "--json", "reverse", assignment)
    assert code == 0, err
    assert json.loads(out)["settled_by"] == [paid]
    assert f"{assignment}'s debt (ana owes ben) was settled by {paid}" in err


def test_an_unsettled_assignment_is_reversed_without_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = recorded(tmp_path, capsys, "dan ana 5", "ben dan 5")
    assert run(capsys, "--db", db, "assign", "dan", "ana", "ben", "5")[0] == 0
    (assignment,) = [e for e in open_ledger(db).log if isinstance(e, Assignment)]
    code, out, err = run(capsys, "--db", db, "--json", "reverse", assignment.id)
    assert code == 0, err
    assert json.loads(out)["settled_by"] == []
    assert "note" not in err


def test_settled_by_names_the_settlement_that_paid_an_assignments_debt() -> None:
    led = Ledger()
    led.record("dan", "ana", 5, id="f1")
    led.record("ben", "dan", 5, id="f2")
    trading.assign(led, "dan", "ana", "ben", 5, id="a1")
    assert settled_by(led, "a1") == []
    paid = led.apply(settle(led))
    assert [s.id for s in settled_by(led, "a1")] == [paid[0].id]
    with pytest.raises(UnknownFavorError, match="'nope'"):
        settled_by(led, "nope")


# ------------------------------------- P2: local times at a clock change
def in_new_york(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The command run in a process whose local zone is New York."""
    env = os.environ | {"TZ": "America/New_York"}
    db = str(tmp_path / "ny.db")
    command = [sys.executable, "-m", "favorledger", "--db", db, *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2024-03-10T02:30", "does not exist in the local time zone"),
        ("2024-11-03T01:30", "happens twice in the local time zone"),
    ],
)
def test_a_local_time_at_a_clock_change_is_refused(
    tmp_path: Path, typed: str, why: str
) -> None:
    """2024-03-10T02:30 was recorded as 01:30-05:00, an hour before any
    02:30; 01:30 on the night the clocks go back was taken as the first."""
    done = in_new_york(tmp_path, "record", "a", "b", "1", "--at", typed)
    assert done.returncode == 2, done.stderr
    assert f"--at {typed} {why}" in done.stderr
    assert "give an offset" in done.stderr
    assert not (tmp_path / "ny.db").exists()
    done = in_new_york(tmp_path, "log", "--until", typed)
    assert done.returncode == 2
    assert f"--until {typed} {why}" in done.stderr


def test_local_times_beside_a_clock_change_are_kept(tmp_path: Path) -> None:
    for typed in [
        "2024-03-10T01:30",
        "2024-03-10T03:30",
        "2024-11-03T01:30-04:00",
        "2024-11-03T01:30-05:00",
    ]:
        done = in_new_york(tmp_path, "record", "a", "b", "1", "--at", typed)
        assert done.returncode == 0, done.stderr
    done = in_new_york(tmp_path, "--json", "log")
    assert [e["at"][:16] + e["at"][-6:] for e in json.loads(done.stdout)] == [
        "2024-03-10T01:30-05:00",
        "2024-03-10T03:30-04:00",
        "2024-11-03T01:30-04:00",
        "2024-11-03T01:30-05:00",
    ]


# ----------------------------------------------------- P5, P6, P7: wording
def test_path_from_a_person_to_themselves_says_it_needs_two_people(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said ``TARGET must differ from source``, naming one argument as
    typed and the other not."""
    db = recorded(tmp_path, capsys, "alice bob 3")
    for json_flag in ((), ("--json",)):
        code, out, err = run(capsys, "--db", db, *json_flag, "path", "alice", "alice")
        assert (code, out) == (2, "")
        assert err == (
            "favorledger: error: SOURCE and TARGET are both 'alice':"
            " a path joins two different people\n"
        )


def test_agenda_with_nothing_to_do_says_so_and_what_the_person_owes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It printed ``(nothing)``, as for a table with no rows."""
    db = recorded(tmp_path, capsys, "carol dave 0.5", "erin frank 1", "frank erin 1")
    assert run(capsys, "--db", db, "tie", "dave", "carol", "1")[0] == 0  # no ease-off
    code, out, _ = run(capsys, "--db", db, "agenda", "carol")
    assert (code, out) == (0, "nothing for carol to attend to; carol owes nobody\n")
    code, out, _ = run(capsys, "--db", db, "agenda", "erin")
    assert out == "nothing for erin to attend to; erin owes nobody\n"
    code, out, _ = run(capsys, "--db", db, "agenda", "dave")
    assert out == "nothing for dave to attend to; dave owes 0.5, none of it overdue\n"
    code, out, _ = run(capsys, "--db", db, "agenda", "dave", "--at", "2000-01-01")
    assert out == "nothing for dave to attend to; dave owes nobody\n"
    code, out, _ = run(capsys, "--db", db, "--json", "agenda", "carol")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("new", "hint"),
    [
        ("alicia", ""),  # another name, two letters apart
        ("bobby", ""),
        ("alcie", " (did you mean 'alice'?)"),  # two letters swapped
        ("alica", " (did you mean 'alice'?)"),  # one letter wrong
        ("Alice", " (did you mean 'alice'?)"),  # case
        ("alce", " (did you mean 'alice'?)"),  # one letter left out
    ],
)
def test_a_new_person_is_asked_about_only_a_near_slip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new: str, hint: str
) -> None:
    """``record alicia bob 1`` said ``did you mean 'alice'?``: a new person
    whose name is merely like an existing one is no typo."""
    db = recorded(tmp_path, capsys, "alice bob 3")
    code, _, err = run(capsys, "--db", db, "record", new, "bob", "1")
    assert code == 0
    assert err == f"favorledger: new person {new!r}{hint}\n"


def test_an_unknown_name_on_a_read_command_still_gets_the_wider_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = recorded(tmp_path, capsys, "alice bob 3")
    code, _, err = run(capsys, "--db", db, "history", "alicia")
    assert code != 0
    assert "(did you mean 'alice'?)" in err


def osa_distance(a: str, b: str) -> int:
    """The optimal string alignment distance, by the textbook table."""
    d = [
        [i + j if i * j == 0 else 0 for j in range(len(b) + 1)]
        for i in range(len(a) + 1)
    ]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abc", max_size=6), st.text("abc", max_size=6))
@example("alcie", "alice")
@example("ab", "ba")
def test_one_slip_is_an_edit_distance_of_at_most_one(a: str, b: str) -> None:
    assert _one_slip(a, b) == (osa_distance(a, b) <= 1)


# ------------------------------------------ P4: the web app's "favor" key
def test_api_settle_names_an_assignment_or_settlement_entry_not_favor(
    tmp_path: Path,
) -> None:
    """An assignment's or a settlement's id was given as ``"favor"``."""
    db = str(tmp_path / "board.db")
    with Ledger.open(db) as led:
        led.record("me", "bob", 2, id="f1")  # bob owes me 2
        led.record("carol", "me", 2, id="f2")  # me owes carol 2
        trading.assign(led, "me", "bob", "carol", 2, id="a1")
        led.record("dan", "eve", 3, id="f3")
        plan = settle(led, method="greedy")
        (paid,) = led.apply([t for t in plan if t.payer == "eve"])
        led.reverse("f3")
        led.record("ann", "zoe", 1, id="f4")
        favors = set(led.favors)
    with TestClient(create_app(db)) as client:
        answer = client.get("/api/settle").json()
    reasons = [r for s in answer for r in s["because"]]
    entries = {(r["role"], r["entry"]) for r in reasons}
    assert entries == {
        ("assignment", "a1"),
        ("settlement", paid.id),
        ("recipient", "f4"),
    }
    for r in reasons:
        is_favor = r["role"] in ("recipient", "referrer")
        assert ("favor" in r) == is_favor, r
        assert not is_favor or r["favor"] == r["entry"] in favors


# ------------------------------------------- derived_id is public API
def test_every_function_and_class_favorledger_io_exports_is_in_the_reference() -> None:
    """``docs/api.md`` documents ``favorledger.io`` and its modules by their
    ``__all__`` (``automodule :members:``): ``derived_id`` was in neither;
    ``store_head`` was exported by the package, not by its module."""
    import importlib

    import favorledger.io
    import favorledger.io.tables

    assert "derived_id" in favorledger.io.__all__
    assert "derived_id" in favorledger.io.tables.__all__
    api = (Path(__file__).parent.parent / "docs" / "api.md").read_text("utf-8")
    assert "automodule:: favorledger.io\n   :members:" in api
    for name in favorledger.io.__all__:
        obj = getattr(favorledger.io, name)
        if callable(obj):  # a constant has no module of its own to ask
            module = importlib.import_module(obj.__module__)
            assert name in module.__all__, (name, module)


def test_the_storage_page_links_derived_id_where_it_is_documented() -> None:
    page = (Path(__file__).parent.parent / "docs" / "storage.md").read_text("utf-8")
    assert "{func}`~favorledger.io.tables.derived_id`" in page
