"""The seventh newcomer trial's web-app findings (a club's favor board).

1. Typos made new members without a word, and strict mode could not stop
   it: the board now honours the store's ``config strict on`` (and
   ``--strict`` / ``$FAVORBOARD_STRICT``, the way on PostgreSQL), refusing
   an unknown name with the command's did-you-mean; otherwise it names the
   people a favor brought onto the board, with a did-you-mean for a slip.
2. A store outage gave 400 (for a write that was in fact stored) and a bare
   500: now 503 with ``Retry-After``, and a write whose outcome is unknown
   says it may have been stored and gives the id to retry with.
4. A missing grant was a "damaged favorledger store", or raw SQL on the
   form: now :class:`favorledger.StorePermissionError` naming the privilege,
   and the board warns at start when its role cannot write.
8. The API's ``at`` took no bare date, which the command and CSV read as
   midnight UTC.
11. The board says which store it opened and how to point the command at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import favorledger as fl
from examples.webapp import app as webapp
from examples.webapp.app import create_app
from examples.webapp.serve import free_port
from favorledger.io.sqlite import StoredLedger, write_setting
from favorledger.testing.postgres import TemporaryServer, find_bindir
from tests.command_line import run

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = ("alice", "bob", "carol")


@contextmanager
def board(db: str, **options: Any) -> Iterator[TestClient]:
    with TestClient(create_app(db, **options), follow_redirects=False) as client:
        yield client


@pytest.fixture
def club(tmp_path: Path) -> str:
    """An SQLite store whose members are alice, bob and carol."""
    db = str(tmp_path / "club.db")
    with fl.Ledger.open(db) as led:
        for person in MEMBERS:
            led.add_person(person)
        led.record("alice", "bob", 1, id="f0")
    return db


def _people(client: TestClient) -> set[str]:
    return set(client.get("/api/balances").json()["balances"])


def _favor(giver: str, **more: str) -> dict[str, str]:
    return {"giver": giver, "receiver": "bob", "value": "1", **more}


# --------------------------------------------- finding 1: strict mode, notes
def test_the_stores_strict_setting_refuses_a_typo_with_the_commands_suggestion(
    club: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_setting(club, "strict", "on")
    code, _, said = run(capsys, "--db", club, "record", "alcie", "bob", "1")
    assert code != 0
    suggestion = re.search(r"\(did you mean [^)]*\)", said)
    assert suggestion is not None, said
    with board(club) as client:
        refused = client.post("/api/favors", json=_favor("alcie", id="t1"))
        assert refused.status_code == 400
        message = refused.json()["error"]
        assert "'alcie'" in message
        assert suggestion.group(0) in message
        assert "strict mode" in message
        page = client.post("/favors", data=_favor("alcie", id="t2"))
        assert page.status_code == 400
        assert "did you mean &#39;alice&#39;" in page.text
        assert client.get("/api/favor-ids").json() == ["f0"]
        assert _people(client) == set(MEMBERS)
        # the setting is read at each write: turning it off needs no restart
        write_setting(club, "strict", "off")
        assert client.post("/api/favors", json=_favor("alcie")).status_code == 201


def test_a_tie_to_an_unknown_name_is_refused_in_strict_mode(club: str) -> None:
    write_setting(club, "strict", "on")
    with board(club) as client:
        page = client.post("/ties", data={"a": "alice", "b": "bbo", "strength": "1"})
        assert page.status_code == 400
        assert "did you mean &#39;bob&#39;" in page.text
        assert _people(client) == set(MEMBERS)


def test_strict_mode_can_be_asked_of_the_board_itself(
    club: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The way on PostgreSQL, whose stores keep no settings."""
    with board(club, strict=True) as client:
        assert client.post("/api/favors", json=_favor("dora")).status_code == 400
    monkeypatch.setenv(webapp.STRICT_ENV, "on")
    with board(club) as client:
        assert client.post("/api/favors", json=_favor("dora")).status_code == 400
        assert _people(client) == set(MEMBERS)
    monkeypatch.setenv(webapp.STRICT_ENV, "maybe")
    with pytest.raises(fl.InvalidValueError, match=r"FAVORBOARD_STRICT.*'maybe'"):
        create_app(club)


def test_strict_mode_on_postgresql_refuses_a_typo(postgres_url: str) -> None:
    with fl.Ledger.open(postgres_url) as led:
        led.record("alice", "bob", 1, id="f0")
    with board(postgres_url, strict=True) as client:
        refused = client.post("/api/favors", json=_favor("alcie"))
        assert refused.status_code == 400
        assert "did you mean 'alice'" in refused.json()["error"]
        assert client.get("/api/favor-ids").json() == ["f0"]


def test_a_favor_that_brings_new_people_names_them(club: str) -> None:
    with board(club) as client:
        typo = client.post("/api/favors", json=_favor("alcie", id="t1"))
        assert typo.status_code == 201
        answer = typo.json()
        assert answer["new_people"] == ["alcie"]
        assert "new person 'alcie' (did you mean 'alice'?)" in answer["note"]
        assert "favorledger reverse t1" in answer["note"]
        again = client.post("/api/favors", json=_favor("alcie", id="t1"))
        assert again.status_code == 201  # a retry
        assert again.json() == answer
        known = client.post("/api/favors", json=_favor("carol"))
        assert known.json()["new_people"] == []
        assert known.json()["note"] is None
        new = client.post("/api/favors", json=_favor("dora", via="erin"))
        assert new.json()["new_people"] == ["dora", "erin"]
        assert "did you mean" not in new.json()["note"]  # no slip: just new
        done = client.post("/favors", data=_favor("aliec", id="t3"))
        assert done.status_code == 303  # to the board, which says who is new
        page = client.get(done.headers["location"])
        assert "new person &#39;aliec&#39; (did you mean &#39;alice&#39;?)" in page.text
        assert "favorledger reverse t3" in page.text
        quiet = client.post("/favors", data=_favor("alice", id="t4"))
        assert quiet.headers["location"].endswith("/")  # nobody new: no note
        assert "new person" not in client.get("/?recorded=t4").text


def test_a_tie_that_brings_a_new_person_names_them(club: str) -> None:
    with board(club) as client:
        done = client.post("/ties", data={"a": "alice", "b": "bbo", "strength": "1"})
        assert done.status_code == 303
        page = client.get(done.headers["location"])
        assert "new person &#39;bbo&#39; (did you mean &#39;bob&#39;?)" in page.text


# ---------------------------------------------- finding 2: the store failing
def _failing_after_storing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the next write store its favor and then fail, as a commit whose
    answer was lost does; returns the ids it stored."""
    stored: list[str] = []
    record = StoredLedger.record

    def lost(self: StoredLedger, *args: Any, **kwargs: Any) -> fl.Favor:
        favor = record(self, *args, **kwargs)
        stored.append(favor.id)
        monkeypatch.setattr(StoredLedger, "record", record)  # once
        raise fl.StoreError("db: could not commit: the connection was lost")

    monkeypatch.setattr(StoredLedger, "record", lost)
    return stored


@pytest.mark.parametrize("given_id", [True, False])
def test_a_write_whose_outcome_is_unknown_is_a_503_with_the_id_to_retry(
    club: str, monkeypatch: pytest.MonkeyPatch, given_id: bool
) -> None:
    body = _favor("alice", id="w1") if given_id else _favor("alice")
    with board(club) as client:
        stored = _failing_after_storing(monkeypatch)
        failed = client.post("/api/favors", json=body)
        assert failed.status_code == 503
        assert failed.headers["Retry-After"].isdigit()
        answer = failed.json()
        assert answer["stored"] == "unknown"
        assert answer["id"] == stored[0] == ("w1" if given_id else answer["id"])
        assert "may have been stored" in answer["error"]
        assert "retrying is safe" in answer["error"]
        assert "could not commit" not in answer["error"]  # the details: the log
        retried = client.post("/api/favors", json={**body, "id": answer["id"]})
        assert retried.status_code == 201
        assert client.get("/api/favor-ids").json() == ["f0", answer["id"]]


def test_a_form_whose_store_fails_offers_the_same_favor_again(
    club: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with board(club) as client:
        _failing_after_storing(monkeypatch)
        page = client.post("/favors", data=_favor("alice", id="web-1"))
        assert page.status_code == 503
        assert "Retry-After" in page.headers
        assert "may have been stored" in page.text
        assert '<input type="hidden" name="id" value="web-1">' in page.text
        assert client.post("/favors", data=_favor("alice", id="web-1")).is_redirect
        assert client.get("/api/favor-ids").json() == ["f0", "web-1"]


@pytest.mark.parametrize("path", ["/", "/api/balances", "/settle", "/api/favor-ids"])
def test_a_read_whose_store_fails_is_a_503_not_a_bare_500(
    club: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    def down(_self: StoredLedger) -> int:
        raise fl.StoreError("db: cannot connect: Connection refused")

    with board(club) as client:
        monkeypatch.setattr(StoredLedger, "refresh", down)
        failed = client.get(path)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"].isdigit()
    words = "cannot be reached"
    assert words in (failed.json()["error"] if "/api/" in path else failed.text)


def test_an_outage_of_the_postgresql_server_is_a_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real outage: the server stops while the board runs. Writes and pages
    answer 503 within the board's timeout (1 s here), never 400 or 500."""
    if find_bindir() is None:
        pytest.skip("no PostgreSQL server programs on this machine")
    monkeypatch.setenv(webapp.TIMEOUT_ENV, "1")
    with TemporaryServer() as server:
        url = server.create_database("outage")
        with board(url) as client:
            assert client.post("/api/favors", json=_favor("alice")).status_code == 201
            server.stop()
            failed = client.post("/api/favors", json=_favor("alice", id="o1"))
            page = client.get("/")
    assert failed.status_code == 503, failed.text
    assert failed.json()["id"] == "o1"
    assert "Retry-After" in failed.headers
    assert page.status_code == 503
    assert "cannot be reached" in page.text


def test_the_board_waits_for_the_store_as_long_as_its_timeout(
    club: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[dict[str, Any]] = []
    real = fl.Ledger.open

    def spy(location: str, **options: Any) -> fl.Ledger:
        opened.append(options)
        return real(location, **options)

    monkeypatch.setattr(fl.Ledger, "open", spy)
    monkeypatch.setenv(webapp.TIMEOUT_ENV, "2.5")
    with board(club) as client:
        client.get("/api/balances")
    assert opened[-1] == {"timeout": 2.5}
    monkeypatch.setenv(webapp.TIMEOUT_ENV, "soon")
    with pytest.raises(fl.InvalidValueError, match=r"FAVORBOARD_TIMEOUT.*'soon'"):
        create_app(club)


# --------------------------------------------- finding 4: a missing privilege
def _role(url: str, *grants: str) -> str:
    from tests.test_postgres import app_role

    return app_role(url, *grants)


def test_the_board_warns_at_start_and_names_the_privilege_on_a_write(
    postgres_url: str,
) -> None:
    from examples.webapp.__main__ import describe

    fl.Ledger.open(postgres_url).close()
    reader = _role(
        postgres_url,
        "SELECT ON favorledger.entries, favorledger.rounds,"
        " favorledger.favorledger_schema",
    )
    _, warnings = describe(reader)
    assert len(warnings) == 1
    assert "INSERT on favorledger.entries" in warnings[0]
    assert describe(postgres_url)[1] == []
    with board(reader) as client:
        refused = client.post("/api/favors", json=_favor("alice", id="p1"))
        page = client.post("/favors", data=_favor("alice", id="p2"))
    assert refused.status_code == 500
    answer = refused.json()
    assert answer["stored"] is False
    assert answer["id"] == "p1"
    lacks = re.compile(r"INSERT on table favorledger\.(entries|rounds)")  # both
    assert lacks.search(answer["error"]), answer["error"]
    assert page.status_code == 500
    assert lacks.search(page.text)
    assert "INSERT INTO" not in page.text
    assert "CONTEXT" not in page.text


# ------------------------------------------ finding 8: a bare date for ``at``
def test_a_bare_date_is_midnight_utc_as_on_the_command_line(
    club: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ("--db", club, "record", "alice", "bob", "1", "--at", "2024-05-01")
    assert run(capsys, *command)[0] == 0
    with fl.Ledger.open(club) as led:
        by_command = led.log[-1].at
    with board(club) as client:
        taken = client.post("/api/favors", json=_favor("alice", at="2024-05-01"))
        assert taken.status_code == 201, taken.text
        assert taken.json()["at"] == by_command.isoformat()
        assert taken.json()["at"] == "2024-05-01T00:00:00+00:00"
        naive = client.post("/api/favors", json=_favor("alice", at="2024-05-01T09:00"))
        assert naive.status_code == 400  # a time of day needs its offset
        assert "timezone" in naive.json()["error"]


# ------------------------------------- finding 11: which store, .gitignore
def test_the_board_says_which_store_and_how_the_command_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import examples.webapp.__main__ as entry

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAVORLEDGER_DB", "")
    monkeypatch.setattr(entry.uvicorn, "run", lambda *_, **__: None)
    entry.main(["--port", str(free_port()), "--workers", "1"])
    said = capsys.readouterr().out
    where = tmp_path / "favorboard.db"
    assert f"store {where} (SQLite, strict mode off)" in said
    assert f"--db {where}" in said
    assert "favors.db" in said


def test_the_boards_default_store_is_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "favorboard.db*" in ignored
