"""The example web app (``examples/webapp``) answers what favorledger answers.

The board is driven in-process through Starlette's test client; every page
and endpoint must agree with the library called directly on the same favors,
so nothing is re-implemented. Several app instances on one store stand for
several worker processes. The browser and load tests are in
``test_webapp_browser.py`` and ``test_webapp_load.py``.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import favorledger as fl
from examples.webapp.app import create_app
from examples.webapp.serve import free_port
from favorledger.testing.strategies import favors

AT = "2024-05-01T09:00:00+00:00"
REPR = re.compile(r"Decimal\(|Fraction\(|Ratio\(|datetime\.|\bNone\b|=None")


@contextmanager
def board(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "board.db")


def favor_json(favor: fl.Favor) -> dict[str, object]:
    share = favor.referral_share
    return {
        "id": favor.id,
        "giver": favor.giver,
        "receiver": favor.receiver,
        "value": str(favor.value),
        "via": favor.via,
        "reason": favor.reason,
        "kind": favor.kind,
        "tags": sorted(favor.tags),
        "referral_share": share if share is None else str(share),
        "at": favor.at.isoformat(),
    }


def test_recording_a_favor_shows_both_obligations_of_a_referral(db: str) -> None:
    with board(db) as client:
        made = client.post(
            "/api/favors",
            json={"giver": "carol", "receiver": "me", "value": "3", "via": "bob"},
        )
        assert made.status_code == 201
        assert made.json()["referral_share"] == "0.5"
        seen = client.get("/api/balances").json()
    assert seen["balances"] == {"carol": "4.5", "me": "-3", "bob": "-1.5"}
    assert seen["debts"] == [
        {"debtor": "me", "creditor": "carol", "amount": "3"},
        {"debtor": "bob", "creditor": "carol", "amount": "1.5"},
    ]
    with fl.Ledger.open(db) as led:  # it is in the store, not only in memory
        assert led.balance("carol") == 4.5


PAST = favors().map(lambda f: attrs.evolve(f, at=f.at - timedelta(days=7320)))
"""Favors done (the strategy's times reach 2030; the app refuses a later one)."""


@given(st.lists(PAST, max_size=12, unique_by=lambda f: f.id))
@settings(max_examples=15)
def test_the_app_agrees_with_the_library_and_settling_up_evens_everyone(
    given_favors: list[fl.Favor],
) -> None:
    expected = fl.Ledger()
    expected.add_many(given_favors)
    with _fresh_store() as db, board(db) as client:
        for favor in given_favors:
            assert client.post("/api/favors", json=favor_json(favor)).status_code == 201
        seen = client.get("/api/balances").json()
        assert seen["balances"] == {p: str(b) for p, b in expected.balances().items()}
        suggestions = client.get("/api/settle").json()
        assert [(s["payer"], s["payee"], s["amount"]) for s in suggestions] == [
            (t.payer, t.payee, str(t.amount)) for t in fl.settle(expected)
        ]
        for s in suggestions:
            assert s["because"], "every suggestion says why"
            back = {"giver": s["payer"], "receiver": s["payee"], "value": s["amount"]}
            assert client.post("/api/favors", json=back).status_code == 201
        after = client.get("/api/balances").json()["balances"]
    assert all(Fraction(amount) == 0 for amount in after.values())


@contextmanager
def _fresh_store() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield str(Path(directory) / "board.db")


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(db: str) -> None:
    with board(db) as client:
        client.post("/api/favors", json={"giver": "a", "receiver": "b", "value": "1"})
        before = client.get("/api/balances").json()
        for body, field in [
            ({"giver": "a", "receiver": "b", "value": "-2"}, "value must"),
            ({"giver": "a", "receiver": "b", "value": 2.5}, "value must"),
            ({"giver": "a", "receiver": "a", "value": "2"}, "receiver must"),
            ({"giver": "", "receiver": "b", "value": "2"}, "giver is missing"),
            ({"giver": "a", "receiver": "b"}, "value is missing"),
            ({"giver": "a", "receiver": "b", "value": "2", "at": "yesterday"}, "at"),
            ({"giver": "a", "receiver": "b", "value": "2", "vai": "c"}, "'vai'"),
            (
                {
                    "giver": "a",
                    "receiver": "b",
                    "value": "2",
                    "at": "2099-01-01T00:00Z",
                },
                "at must not be in the future",
            ),
        ]:
            refused = client.post("/api/favors", json=body)
            assert refused.status_code == 400, body
            message = refused.json()["error"]
            assert field in message, message
            assert "Favor." not in message
            assert not REPR.search(message), message
        assert client.post("/api/favors", content=b"[1, 2]").status_code == 400
        assert client.post("/api/favors", content=b"{not json").status_code == 400
        assert client.get("/api/balances").json() == before


def test_a_retry_with_the_same_id_and_time_records_nothing_twice(db: str) -> None:
    body = {"id": "f1", "giver": "a", "receiver": "b", "value": "2", "at": AT}
    with board(db) as client:
        assert client.post("/api/favors", json=body).status_code == 201
        assert client.post("/api/favors", json=body).status_code == 201
        clash = client.post("/api/favors", json={**body, "value": "3"})
        assert clash.status_code == 409
        assert "value" in clash.json()["error"]
        assert client.get("/api/favor-ids").json() == ["f1"]
        assert client.get("/api/balances").json()["balances"]["a"] == "2"


def test_a_retry_without_a_time_records_nothing_twice(db: str) -> None:
    """A client that lost the answer sends the same favor again, no ``at``."""
    body = {"id": "f1", "giver": "a", "receiver": "b", "value": "2"}
    with board(db) as client:
        first = client.post("/api/favors", json=body)
        again = client.post("/api/favors", json=body)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        clash = client.post("/api/favors", json={**body, "value": "3", "via": "c"})
        assert clash.status_code == 409
        message = clash.json()["error"]
        assert "value 2 != 3" in message
        assert "via nothing != 'c'" in message
        assert not REPR.search(message), message
        assert client.get("/api/favor-ids").json() == ["f1"]


def test_the_form_keeps_what_was_typed_and_names_its_own_fields(db: str) -> None:
    with board(db) as client:
        typed = {
            "id": "w1",
            "giver": "",
            "receiver": "bob",
            "value": "2",
            "via": "carol",
            "reason": "a lift & more",
        }
        page = client.post("/favors", data=typed)
        assert page.status_code == 400
        error = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.text)
        assert error is not None
        assert "Who helped" in error.group(1)
        assert "Favor." not in page.text
        for field in ("receiver", "value", "via"):
            assert (
                f'name="{field}" list="people" value="{typed[field]}"' in page.text
                or f'name="{field}" value="{typed[field]}"' in page.text
                or f'value="{typed[field]}"' in page.text
            ), field
        assert 'value="a lift &amp; more"' in page.text
        bad = client.post("/favors", data={**typed, "giver": "ann", "value": "1.5x"})
        assert bad.status_code == 400
        assert "worth" in bad.text
        tie = client.post("/ties", data={"a": "ann", "b": "bob", "strength": "2"})
        assert tie.status_code == 400
        assert "this well" in tie.text
        assert "got 2" in tie.text
        assert 'value="ann"' in tie.text
        assert client.get("/api/favor-ids").json() == []


@pytest.mark.parametrize("path", ["/", "/introduce"])
def test_a_link_cannot_put_words_on_a_page(db: str, path: str) -> None:
    """``?error=`` text is never shown (content spoofing)."""
    spoof = "Your session expired, log in at evil.example"
    with board(db) as client:
        page = client.get(path, params={"error": spoof})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert 'class="error"' not in page.text


def test_the_server_says_where_it_listens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    import examples.webapp.__main__ as entry

    started: dict[str, object] = {}
    port = free_port()
    monkeypatch.setenv("FAVORLEDGER_DB", "")  # main sets it; restored after
    monkeypatch.setattr(entry.uvicorn, "run", lambda *_, **k: started.update(k))
    entry.main(["--db", db, "--port", str(port), "--workers", "1"])
    assert f"listening on http://127.0.0.1:{port}" in capsys.readouterr().out
    assert started["workers"] == 1
    assert isinstance(started["fd"], int)  # the socket (test_webapp_requests.py)


def test_the_form_records_a_favor_and_shows_errors_on_the_board(db: str) -> None:
    with board(db) as client:
        page = client.get("/")
        assert page.status_code == 200
        new_id = re.search(r'name="id" value="([^"]+)"', page.text)
        assert new_id is not None
        form = {"id": new_id.group(1), "giver": "ann", "receiver": "bob"}
        done = client.post("/favors", data={**form, "value": "1/3", "reason": "a lift"})
        assert done.status_code == 303
        page = client.get(done.headers["location"])
        assert 'data-person="ann"><td>ann</td><td class="amount owed">1/3' in page.text
        assert "a lift" in page.text
        again = client.post(
            "/favors", data={**form, "value": "1/3", "reason": "a lift"}
        )
        assert again.status_code == 303  # resubmitted: the same favor, nothing new
        changed = client.post("/favors", data={**form, "value": "2"})
        assert changed.status_code == 409
        assert "already" in changed.text
        bad = client.post("/favors", data={**form, "id": "x2", "value": "lots"})
        assert bad.status_code == 400
        assert "worth" in bad.text
        assert client.get("/api/favor-ids").json() == [new_id.group(1)]


def test_names_are_escaped_in_pages(db: str) -> None:
    with board(db) as client:
        client.post(
            "/api/favors",
            json={"giver": "<script>x</script>", "receiver": "b", "value": "1"},
        )
        page = client.get("/").text
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_settle_up_page_gives_each_suggestion_with_its_reasons(db: str) -> None:
    with board(db) as client:
        client.post(
            "/api/favors",
            json={
                "giver": "carol",
                "receiver": "me",
                "value": "3",
                "via": "bob",
                "reason": "an hour on marketing",
                "id": "f1",
            },
        )
        page = client.get("/settle").text
        suggestions = client.get("/api/settle").json()
    assert [(s["payer"], s["payee"], s["amount"]) for s in suggestions] == [
        ("me", "carol", "3"),
        ("bob", "carol", "1.5"),
    ]
    assert suggestions[1]["because"][0]["role"] == "referrer"
    assert "bob owes carol 1.5 for referring me to carol" in page
    assert "an hour on marketing" in page


def test_who_can_introduce_me_is_the_librarys_answer(db: str) -> None:
    ties = [
        ("me", "bob", "0.9"),
        ("bob", "carol", "0.5"),
        ("me", "dan", "0.5"),
        ("dan", "carol", "1"),
    ]
    expected = fl.Ledger()
    with board(db) as client:
        for a, b, strength in ties:
            expected.tie(a, b, strength)
            done = client.post("/ties", data={"a": a, "b": b, "strength": strength})
            assert done.status_code == 303
        found = client.get("/api/introduce", params={"source": "me", "target": "carol"})
        page = client.get("/introduce", params={"source": "me", "target": "carol"})
        unknown = client.get("/api/introduce", params={"source": "me", "target": "zed"})
    want = fl.introducers(expected, "me", "carol")
    assert [p["introducer"] for p in found.json()["introducers"]] == [
        p.introducer for p in want
    ]
    assert found.json()["best"]["people"] == list(
        fl.referral_path(expected, "me", "carol").people
    )
    assert page.status_code == 200
    assert "me -&gt; dan -&gt; carol: trust 0.5" in page.text
    assert unknown.status_code == 404
    assert "zed" in unknown.json()["error"]


def test_a_worker_sees_what_another_worker_recorded(db: str) -> None:
    with board(db) as first, board(db) as second:
        assert second.get("/api/balances").json()["favors"] == 0
        first.post("/api/favors", json={"giver": "a", "receiver": "b", "value": "2"})
        assert second.get("/api/balances").json()["balances"] == {"a": "2", "b": "-2"}
        second.post("/api/favors", json={"giver": "b", "receiver": "a", "value": "2"})
        assert first.get("/api/balances").json()["debts"] == []


# ----------------------------------------- third newcomer trial (W1-W3, W7)
def test_a_reversed_favor_is_marked_on_the_board_and_in_the_api(db: str) -> None:
    """W1: a favor reversed (here from the library, as the CLI does) is
    tagged on the board, and its API answer names the reversal."""
    with board(db) as client:
        for favor_id, giver in [("f1", "zed"), ("f2", "amy")]:
            body = {"id": favor_id, "giver": giver, "receiver": "q", "value": "7"}
            assert client.post("/api/favors", json=body).status_code == 201
        with fl.Ledger.open(db) as led:
            reversal = led.reverse("f1", reason="entered twice")
        page = client.get("/").text
        gone = client.get("/api/favors/f1").json()
        standing = client.get("/api/favors/f2").json()
    items = re.findall(r"<li[^>]*>(.*?)</li>", page.split('id="favors"')[1])
    zed = [item for item in items if "zed" in item]
    amy = [item for item in items if "amy" in item]
    assert len(zed) == len(amy) == 1
    assert "(reversed)" in zed[0]
    assert "reversed" not in amy[0]
    assert gone["reversed_by"] == reversal.id
    assert standing["reversed_by"] is None


@pytest.mark.parametrize("path", ["/api/introduce", "/introduce"])
@pytest.mark.parametrize(
    ("given", "missing"),
    [({"source": "dave"}, "target"), ({"target": "dave"}, "source")],
)
def test_introduce_without_source_or_target_says_which_is_missing(
    db: str, path: str, given: dict[str, str], missing: str
) -> None:
    """W2: not a 404 about a person named ''."""
    with board(db) as client:
        client.post("/ties", data={"a": "dave", "b": "bob", "strength": "0.5"})
        answer = client.get(path, params=given)
    assert answer.status_code == 400
    assert f"{missing} is missing" in answer.text
    assert "''" not in answer.text


def test_a_zero_balance_is_styled_as_even(db: str) -> None:
    """W3: 0 is neither owed nor owing."""
    with board(db) as client:
        client.post("/api/favors", json={"giver": "a", "receiver": "b", "value": "2"})
        client.post("/api/favors", json={"giver": "b", "receiver": "c", "value": "2"})
        page = client.get("/").text
    assert 'data-person="a"><td>a</td><td class="amount owed">2<' in page
    assert 'data-person="c"><td>c</td><td class="amount owes">-2<' in page
    assert 'data-person="b"><td>b</td><td class="amount even">0<' in page


def _start(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examples.webapp", *args],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _refused(started: subprocess.CompletedProcess[str], words: str) -> None:
    assert started.returncode != 0, started
    assert "Traceback" not in started.stderr, started.stderr
    assert "listening" not in started.stdout, started.stdout
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert lines[0].startswith("favor board: error: "), lines
    assert words in lines[0], lines


def test_the_server_refuses_a_bad_store_in_one_line(tmp_path: Path) -> None:
    """W7: checked before "listening", one line, a non-zero status."""
    text = tmp_path / "text.txt"
    text.write_text("not a store\n" * 10)
    before = text.read_bytes()
    started = _start("--db", str(text), "--port", str(free_port()))
    _refused(started, "is not a favorledger store")
    assert text.read_bytes() == before


@pytest.mark.parametrize("port", ["80000", "-1"])
def test_the_server_refuses_a_bad_port_in_one_line(db: str, port: str) -> None:
    _refused(_start("--db", db, "--port", port), "--port")


def test_the_server_refuses_a_busy_port_in_one_line(db: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = _start("--db", db, "--port", str(port))
    _refused(started, str(port))


# ------------------------------------------- third newcomer trial (W6, counts)
def test_the_favor_count_leaves_reversed_favors_out(db: str) -> None:
    """``/api/balances`` said ``"favors": 206`` with one of them reversed.
    ``favors`` counts the standing favors (those the library has not
    reversed), ``reversed`` the reversed ones; a reversed settlement is no
    favor and counts in neither."""
    with board(db) as client:
        for favor_id, giver in [("f1", "zed"), ("f2", "amy"), ("f3", "amy")]:
            body = {"id": favor_id, "giver": giver, "receiver": "q", "value": "7"}
            assert client.post("/api/favors", json=body).status_code == 201
        with fl.Ledger.open(db) as led:
            led.reverse("f1")
            (settlement, *_) = led.apply(fl.settle(led))
            led.reverse(settlement.id)
            standing = [f for f in led.favors if not led.is_reversed(f)]
        seen = client.get("/api/balances").json()
        page = client.get("/").text
    assert (seen["favors"], seen["reversed"]) == (len(standing), 1) == (2, 1)
    assert "2 favors standing (1 reversed)" in page


def test_a_favor_is_found_by_its_whole_id_only(db: str) -> None:
    """W6: the API takes whole ids (ids it gave out); the 404 for a prefix
    says so, and where the ids are."""
    with board(db) as client:
        body = {"id": "46ca1b3e9", "giver": "a", "receiver": "b", "value": "1"}
        client.post("/api/favors", json=body)
        whole = client.get("/api/favors/46ca1b3e9")
        prefix = client.get("/api/favors/46ca1b3")
    assert whole.status_code == 200
    assert prefix.status_code == 404
    message = prefix.json()["error"]
    assert "no favor '46ca1b3'" in message
    assert "whole id" in message
    assert "/api/favor-ids" in message


def test_settle_up_names_an_assignment_or_a_settlement_behind_a_debt(db: str) -> None:
    """Newcomer trial 4, W1: ``/api/settle`` and ``/settle`` answered 500
    when a debt came from an assignment or from a settlement whose favor was
    then reversed (the obligation names that entry, not a favor)."""
    with fl.Ledger.open(db) as led:
        led.record("me", "bob", 2, id="f1")  # bob owes me 2
        led.record("carol", "me", 2, id="f2")  # me owes carol 2
        fl.trading.assign(led, "me", "bob", "carol", 2, id="a1", reason="IOU")
        led.record("dan", "eve", 3, id="f3")
        plan = fl.settle(led, method="greedy")
        (paid,) = led.apply([t for t in plan if t.payer == "eve"])
        led.reverse("f3")  # dan now owes eve what the settlement returned
    with board(db) as client:
        answer = client.get("/api/settle")
        page = client.get("/settle")
    assert answer.status_code == page.status_code == 200
    because = {(s["payer"], s["payee"]): s["because"] for s in answer.json()}
    (assigned,) = because["bob", "carol"]
    assert (assigned["role"], assigned["entry"], assigned["reason"]) == (
        "assignment",
        "a1",
        "IOU",
    )
    assert assigned["favors"] == ["f1"]  # the favor whose debt it passed on
    (returned,) = because["dan", "eve"]
    assert (returned["role"], returned["entry"]) == ("settlement", paid.id)
    assert "passed on to carol by assignment a1: IOU" in page.text
    assert f"a favor settlement {paid.id} paid was reversed" in page.text
