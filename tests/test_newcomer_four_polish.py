"""The command line's and the web app's polish from the fourth newcomer
trial (E1-E4, P1, P4-P9, P11-P16), each a regression test written before
its fix.

The promises:

* reversing one leg of a barter names the leg that stands (E1);
* a refused PostgreSQL connection fails at once; a URL is echoed as it was
  typed, without its password, and one that names no database says so (E2);
* the web app and the command refuse a store in a missing directory with
  the same message (E3);
* messages show times as typed, or as short as they can without losing
  anything, and say "now" for a time nobody typed (E4);
* the web form refuses a field given twice, as the JSON API does (P1);
* ``history`` words an assignment as ``assign`` does (P4);
* ``--json reverse`` carries its notes, ``--json history`` its reversed
  marks (P5, P6);
* ``settle --method ties`` marks a transfer that rides a stated tie only (P7);
* ``barter --id`` makes a retry safe; a command's unknown option is shown
  with the command's own usage (P8);
* a store path ending in a space is refused; a web app that cannot start
  leaves no store behind (P9);
* read commands suggest a close name (P11);
* wording: ``reverse``'s help, the settle table's truncated "why", values as
  typed, importing a store, an id of another kind (P12-P16).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import favorledger as fl
from examples.webapp.app import create_app
from examples.webapp.serve import free_port
from favorledger.cli.settling import _stated_only
from favorledger.errors import StoreError, shown
from favorledger.io.postgres import split_url
from favorledger.settlement import settle
from favorledger.testing.strategies import ledgers, person_ids
from tests.command_line import run

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = st.sampled_from(("ann", "bob", "carol", "dan", "eve", "fay"))


@pytest.fixture(autouse=True)
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "s.db")
    monkeypatch.setenv("FAVORLEDGER_DB", path)
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(capsys, "--json", *argv)
    assert code == 0, err
    return json.loads(out)


# ------------------------------------------------------ E1: the barter's leg


@pytest.mark.parametrize("reversed_leg", [0, 1])
def test_reversing_a_barter_leg_names_the_leg_that_stands(
    capsys: pytest.CaptureFixture[str], reversed_leg: int
) -> None:
    """E1: the note named the reversed leg as "the barter"."""
    legs = _json(capsys, "barter", "dan", "me", "2", "3")
    assert isinstance(legs, list)
    gone, stands = legs[reversed_leg], legs[1 - reversed_leg]
    code, _, err = run(capsys, "reverse", gone["id"])
    assert code == 0
    other = f"{stands['giver']} -> {stands['receiver']}, {stands['value']}"
    assert f"the other leg, {stands['id']} ({other}), stands" in err
    assert gone["id"] not in err.split("note:")[1]
    code, _, err = run(capsys, "reverse", stands["id"])  # both gone: no note
    assert (code, err) == (0, "")


# ---------------------------------------------------- E2: PostgreSQL's URLs


def test_a_refused_connection_fails_at_once() -> None:
    """E2: ``Connection refused`` was retried for the whole timeout (10 s)."""
    start = time.monotonic()
    with pytest.raises(StoreError, match="cannot connect"):
        fl.Ledger.open("postgresql://nobody:s3cret@127.0.0.1:1/x", timeout=10)
    assert time.monotonic() - start < 5


def test_a_connect_error_echoes_the_url_as_typed_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://nobody:s3cret@127.0.0.1:1/x"
    code, out, err = run(capsys, "--db", url, "balance")
    assert (code, out) == (2, "")
    assert err.startswith(
        "favorledger: error: postgresql://nobody@127.0.0.1:1/x: cannot connect"
    ), err
    assert "s3cret" not in err
    assert "ledger=" not in err


@pytest.mark.parametrize("url", ["postgresql://", "postgres://u:secret@h"])
def test_a_url_naming_no_database_says_so(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGDATABASE", raising=False)
    code, out, err = run(capsys, "--db", url, "balance")
    assert (code, out) == (2, "")
    assert "names no database" in err, err
    assert url.replace(":secret", "") in err
    assert "secret" not in err


def test_a_url_over_a_socket_keeps_its_slashes() -> None:
    """``postgresql:///club`` (the local socket) was passed on as
    ``postgresql:/club``, which libpq cannot read."""
    assert split_url("postgresql:///club?ledger=x") == ("postgresql:///club", "x")


# ---------------------------------------- E3, P9: the web app's store path


def _start(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examples.webapp", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_web_app_names_a_missing_directory_as_the_command_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """E3: the app gave SQLite's ``unable to open database file``."""
    db = str(tmp_path / "nowhere" / "x.db")
    started = _start("--db", db, "--port", str(free_port()))
    assert started.returncode == 1
    app_says = started.stderr.strip().removeprefix("favor board: error: ")
    code, _, err = run(capsys, "--db", db, "record", "a", "b", "1")
    assert code == 2
    assert app_says == err.strip().removeprefix("favorledger: error: ")
    assert f"the directory {tmp_path / 'nowhere'} does not exist" in app_says


def test_a_web_app_that_cannot_listen_leaves_no_store(tmp_path: Path) -> None:
    """P9: a taken port left an empty store file behind."""
    db = tmp_path / "other.db"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        started = _start("--db", str(db), "--port", str(busy.getsockname()[1]))
    assert started.returncode == 1
    assert "cannot listen" in started.stderr
    assert not db.exists()


@pytest.mark.parametrize("name", ["x.db ", " x.db", "x.db\t"])
def test_a_store_path_with_space_at_an_end_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """P9: ``--db 'x.db '`` created a file whose name ends in a space."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--db", name, "record", "a", "b", "1")
    assert (code, out) == (2, "")
    assert f"--db {name!r} begins or ends with white space" in err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ E4: the times


def test_due_before_now_is_named_now_and_as_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """E4: ``--due must be after --at (…02.850677+00:00), got '2020-…'``."""
    for command in (
        ["ask", "a", "b", "1", "--due"],
        ["pledge", "a", "b", "1", "--expires"],
    ):
        code, _, err = run(capsys, *command, "2020-01-01")
        assert code == 2
        flag = command[-1]
        pattern = (
            rf"favorledger: error: {flag} must be after now"
            r" \(\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00\), got 2020-01-01\n"
        )
        assert re.fullmatch(pattern, err), err
        code, _, err = run(capsys, *command, "2026-01-01", "--at", "2026-01-05T10:00")
        assert code == 2
        assert f"{flag} must be after --at (2026-01-05T10:00), got 2026-01-01" in err


def test_an_expired_pledge_shows_its_time_briefly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "pledge", "a", "b", "1", "--id", "P1", "--at", "2026-01-01")
    code, out, _ = run(
        capsys,
        "pledge",
        "a",
        "b",
        "1",
        "--id",
        "P2",
        "--at",
        "2026-01-01",
        "--expires",
        "2026-02-01",
    )
    assert "(expires 2026-02-01T00:00+00:00)" in out
    code, _, err = run(capsys, "release", "P2")
    assert code == 2
    assert "(it expired 2026-02-01T00:00+00:00)" in err


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.just(UTC),
    )
)
def test_a_shown_time_is_as_short_as_it_can_be_without_losing_anything(
    moment: datetime,
) -> None:
    """One place shows times in messages: minutes unless the seconds (or
    microseconds) are not zero, and always the same moment back."""
    text = shown(moment)
    assert datetime.fromisoformat(text) == moment
    assert text.count(":") == (3 if moment.second or moment.microsecond else 2)
    assert ("." in text) == bool(moment.microsecond)


# -------------------------------------------------- P1: a field given twice


def test_the_web_form_refuses_a_field_given_twice(tmp_path: Path) -> None:
    db = str(tmp_path / "board.db")
    with TestClient(create_app(db), follow_redirects=False) as client:
        posted = client.post(
            "/favors",
            content="giver=a&receiver=b&value=1&giver=z",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert posted.status_code == 400
        assert "given twice" in posted.text
        tie = client.post(
            "/ties",
            content="a=a&b=b&strength=0.5&b=c",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert tie.status_code == 400
    with fl.Ledger.open(db) as led:
        assert len(led) == 0


# ----------------------------------------------- P4, P5, P6: history, json


def test_history_words_an_assignment_as_assign_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "record", "me", "bob", "2")
    run(capsys, "record", "carol", "me", "2")
    code, said, _ = run(capsys, "assign", "me", "bob", "carol", "2")
    assert code == 0
    prose = said.split(": ", 1)[1].strip()
    assert prose == "bob now owes carol 2 instead of me"
    code, out, _ = run(capsys, "history", "bob")
    assert code == 0
    assert prose in out
    assert "holder=" not in out


def test_json_reverse_carries_its_notes(capsys: pytest.CaptureFixture[str]) -> None:
    """P5: the notes went to stderr only."""
    run(capsys, "record", "a", "c", "1", "--id", "w1")
    settled = _json(capsys, "settle", "--apply")
    assert isinstance(settled, list)
    reversal = _json(capsys, "reverse", "w1")
    assert isinstance(reversal, dict)
    assert reversal["settled_by"] == [settled[0]["settlement"]]
    assert reversal["other_leg"] is None
    legs = _json(capsys, "barter", "dan", "me", "2", "2")
    assert isinstance(legs, list)
    reversal = _json(capsys, "reverse", legs[0]["id"])
    assert isinstance(reversal, dict)
    assert (reversal["settled_by"], reversal["other_leg"]) == ([], legs[1]["id"])
    assert reversal["type"] == "reversal"  # still the entry, with notes added


def test_json_history_and_log_mark_what_was_reversed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """P6: the table said ``favor (reversed)``; the JSON said nothing."""
    run(capsys, "record", "a", "b", "1", "--id", "f1")
    run(capsys, "record", "a", "b", "2", "--id", "f2")
    reversal = _json(capsys, "reverse", "f1")
    assert isinstance(reversal, dict)
    for argv in (["history", "a"], ["log"]):
        entries = _json(capsys, *argv)
        assert isinstance(entries, list)
        marks = {e["id"]: e.get("reversed_by") for e in entries if e["type"] == "favor"}
        assert marks == {"f1": reversal["id"], "f2": None}


# ------------------------------------------------------ P7: a stated tie only


def test_settle_by_ties_marks_a_transfer_riding_a_stated_tie_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "record", "y", "x", "1", "--id", "yx")
    run(capsys, "record", "z", "y", "1", "--id", "zy")
    run(capsys, "tie", "x", "z", "0.5")
    plan = _json(capsys, "settle", "--method", "ties")
    assert isinstance(plan, list)
    assert [(t["payer"], t["payee"], t["stated_only"]) for t in plan] == [
        ("x", "z", True)
    ]
    code, out, _ = run(capsys, "settle", "--method", "ties")
    assert code == 0
    assert "stated tie only" in out
    run(capsys, "record", "z", "x", "1")  # now they have traded
    plan = _json(capsys, "settle", "--method", "ties")
    assert isinstance(plan, list)
    assert all(t["stated_only"] is False for t in plan)


# ------------------------------------------------- P8: barter --id, usage


def test_a_barter_with_an_id_can_be_retried(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _json(capsys, "barter", "dan", "me", "2", "3", "--id", "bb")
    again = _json(capsys, "barter", "dan", "me", "2", "3", "--id", "bb")
    assert first == again
    assert isinstance(first, list)
    assert [leg["id"] for leg in first] == ["bb-1", "bb-2"]
    code, _, err = run(capsys, "barter", "dan", "me", "2", "4", "--id", "bb")
    assert code == 2
    assert "already recorded" in err
    with fl.Ledger.open(db) as led:
        assert len(led) == 2


@pytest.mark.parametrize("command", ["owes", "history"])
def test_an_option_a_command_lacks_shows_that_commands_usage(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """P8: ``owes --at`` showed the top-level usage."""
    argv = [command] + (["me"] if command == "history" else []) + ["--at", "2026-01-01"]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"usage: favorledger {command} "), err
    assert "unrecognized arguments: --at" in err


# --------------------------------------------------- P11: did you mean ...


@pytest.mark.parametrize(
    "argv",
    [
        ["balance", "alcie"],
        ["history", "Alice"],
        ["owes", "alcie"],
        ["log", "--person", "alcie"],
    ],
)
def test_a_read_command_suggests_a_close_name(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    run(capsys, "record", "alice", "bob", "1")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "(did you mean 'alice'?)" in err, err


# -------------------------------------------------------- P12-P16: wording


def test_reverse_says_what_it_cancels(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "cancel a favor, settlement or assignment" in out


def test_a_truncated_why_says_where_the_rest_is(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        run(capsys, "record", "a", "b", "1", "--id", f"f{n}")
    code, out, _ = run(capsys, "settle")
    assert code == 0
    assert "+1 more" in out
    assert "--json" in out
    run(capsys, "--db", db + "2", "record", "c", "d", "1")
    code, out, _ = run(capsys, "--db", db + "2", "settle")
    assert code == 0
    assert "--json" not in out  # nothing left out, nothing to say


@pytest.mark.parametrize(
    ("argv", "shown_as"),
    [
        (["record", "a", "b", "2.50"], "worth 2.50"),
        (["pledge", "a", "b", "1.0"], "worth 1.0"),
        (["ask", "a", "b", "3.00"], "worth 3.00"),
        (["tie", "a", "b", "0.50"], "strength 0.50"),
    ],
)
def test_a_value_is_said_as_it_was_typed(
    capsys: pytest.CaptureFixture[str], argv: list[str], shown_as: str
) -> None:
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert shown_as in out


def test_importing_a_store_says_to_export_it_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = str(tmp_path / "other.db")
    run(capsys, "--db", other, "record", "a", "b", "1")
    code, out, err = run(capsys, "import", other)
    assert (code, out) == (2, "")
    assert (
        f"{other} is a favorledger store: export it first (favorledger --db"
        f" {other} export other.jsonl)" in err
    )
    foreign = tmp_path / "app.db"
    with contextlib.closing(sqlite3.connect(foreign)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    code, out, err = run(capsys, "import", str(foreign))
    assert (code, out) == (2, "")
    assert f"{foreign} is an SQLite database, not a file favorledger imports" in err


def test_an_id_of_another_kind_is_named_in_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "record", "me", "bob", "2")
    run(capsys, "record", "carol", "me", "2")
    run(capsys, "assign", "me", "bob", "carol", "2", "--id", "g1")
    code, _, err = run(capsys, "record", "a", "b", "1", "--id", "g1")
    assert code == 2
    assert "is already recorded as an assignment" in err, err


# ------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(ledgers(market=True), st.lists(st.tuples(PEOPLE, PEOPLE), max_size=4))
def test_stated_only_marks_exactly_the_pairs_that_never_traded(
    led: fl.Ledger, stated: list[tuple[str, str]]
) -> None:
    """P7: a ``ties`` transfer is marked when, and only when, its two people
    are joined by a stated tie and by no standing favor (either way, or as
    the referrer), nor by a debt between them."""
    for a, b in stated:
        if a != b:
            led.tie(a, b, "0.5")
    related = {frozenset((d.debtor, d.creditor)) for d in led.who_owes_whom()}
    for favor in led.favors.values():
        if favor.id not in led.reversals:
            pairs = [(favor.giver, favor.receiver)]
            if favor.via is not None:
                pairs += [(favor.via, favor.giver), (favor.via, favor.receiver)]
            related |= {frozenset(pair) for pair in pairs}
    ties = {frozenset((t.a, t.b)) for t in led.stated_ties.values()}
    marked = _stated_only(led, "ties")
    for transfer in settle(led, method="ties"):
        pair = frozenset((transfer.payer, transfer.payee))
        assert marked(transfer) == (pair in ties and pair not in related)
    assert not any(map(_stated_only(led, "greedy"), settle(led, method="greedy")))


@given(
    st.lists(person_ids(pool=None), min_size=1, max_size=8, unique=True),
    st.data(),
)
def test_an_unknown_name_differing_only_in_case_is_suggested(
    known: list[str], data: st.DataObject
) -> None:
    """P11: ``history Bob`` suggests ``bob``: a name that differs from a
    known one only in case is always among the suggestions."""
    name = data.draw(st.sampled_from(known))
    typed = name.swapcase()
    assume(typed not in known and typed.casefold() == name.casefold())
    led = fl.Ledger()
    for person in known:
        led.add_person(person)
    with pytest.raises(fl.UnknownPersonError) as raised:
        led.balance(typed)
    assert f"did you mean {name!r}" in str(raised.value)
