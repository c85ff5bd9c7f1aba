"""A query takes an id typed any way a write takes it.

A write keeps every identifier stripped and in Unicode NFC form, so
``"Zo\\u00eb"`` and ``"Zoe\\u0308 "`` record one person. Every query that
takes a person (or an entry) id names them the same way: the library's
queries, the command line's arguments and the example web app's forms
answer for ``"Zoe\\u0308"`` exactly what they answer for ``"Zo\\u00eb"``.
A store written before ids were composed keeps the spelling it holds, and
a query names that spelling as stored (``test_newcomer_six_api``).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import favorledger as fl
from favorledger import Ledger, UnknownFavorError, UnknownPersonError, trading
from favorledger.testing.strategies import person_ids
from tests.command_line import run

NFC_ZOE = "Zo\u00eb"
NFD_ZOE = "Zoe\u0308"
AT = "2024-01-01T00:00Z"
LATER = "2024-03-01T00:00Z"
OTHERS = ("bob", "carol", "dan")


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def spellings(kept: str) -> list[str]:
    """What a write takes for ``kept``: decomposed, padded with spaces, both."""
    return [_nfd(kept), f" {kept} ", f"  {_nfd(kept)}\t", f"{kept} "]


def _ledger(me: str) -> Ledger:
    """A ledger where ``me`` gives, receives, refers, is tied, pledges, is
    asked, and assigns a debt; entry ids are spelled after ``me``."""
    led = Ledger()
    led.add_person(me, tags={"law"}, at="2023-12-01T00:00Z")
    led.record(me, "bob", 2, id=f"{me}-f1", at=AT)
    led.record("carol", "dan", 3, via=me, id=f"{me}-f2", at=AT)
    led.record("carol", me, 3, id="f3", at=AT)
    led.record("bob", "carol", 1, id="f4", at=AT)
    led.reverse("f4", id=f"{me}-r1", at=AT)
    led.tie(me, "dan", "0.8", at=AT)
    led.tie("dan", "carol", "0.5", at=AT)
    trading.pledge(led, me, "bob", 1, id=f"{me}-p1", at=AT, expires="2024-12-01T00:00Z")
    trading.ask(led, "dan", me, 1, id=f"{me}-a1", at=AT)
    trading.assign(led, me, "bob", "carol", 1, id=f"{me}-as1", at=AT)
    paid = led.apply([fl.Transfer("dan", "carol", 1)], at=AT, allow_overpayment=True)
    assert paid
    return led


def _answers(led: Ledger, me: str, ids: dict[str, str], kept: str) -> list[object]:
    """Every query of ``led`` naming ``me`` (``kept``, typed some way) and
    the entry ids in ``ids`` (spelled the same way). A refusal counts by its
    type and message, whichever spelling of ``me`` it quotes."""
    found: list[object] = []

    def ask(query: object, *args: object, **kwargs: object) -> None:
        try:
            found.append(query(*args, **kwargs))  # type: ignore[operator]
        except fl.FavorLedgerError as exc:  # the same refusal, too
            said = str(exc).replace(repr(me), "ME").replace(repr(kept), "ME")
            found.append((type(exc), said))

    ask(led.balance, me)
    for other in OTHERS:
        ask(led.owes, me, other)
        ask(led.owes, other, me)
        ask(fl.reciprocity, led, me, other)
        ask(fl.ask_capacity, led, me, other)
        ask(fl.ask_capacity, led, other, me)
        ask(fl.referral_path, led, me, other)
        ask(fl.referral_path, led, other, me)
        ask(fl.referral_paths, led, me, other, k=3)
        ask(fl.introducers, led, other, me)
        ask(fl.priorities, led, other, goal=me, at=LATER)
        ask(fl.explain, led, fl.Transfer(me, other, 1))
    ask(fl.referral_paths, led, "bob", "carol", avoid=[me])
    ask(led.history, me)
    ask(led.obligations, me)
    ask(led.ties, me)
    ask(fl.person_reciprocity, led, me)
    ask(fl.priorities, led, me, at=LATER)
    ask(fl.experts, led, "dan", "law")
    ask(fl.agenda, led, me, today=LATER)
    ask(trading.pledges, led, me, at=LATER)
    ask(trading.asks, led, me, at=LATER)
    ask(trading.pledge_status, led, ids["p1"], at=LATER)
    ask(trading.ask_status, led, ids["a1"], at=LATER)
    ask(led.market.pledge, ids["p1"])
    ask(led.market.ask, ids["a1"])
    ask(led.is_reversed, ids["f1"])
    ask(fl.settled_by, led, ids["f1"])
    ask(fl.settled_by, led, ids["as1"])
    ask(fl.assigned_favors, led, ids["as1"])
    return found


@settings(max_examples=60, deadline=None)
@given(person_ids(pool=None), st.integers(0, 3))
@example(NFC_ZOE, 0)
def test_every_query_answers_the_same_for_any_spelling_a_write_takes(
    me: str, which: int
) -> None:
    assume(me not in OTHERS)
    led = _ledger(me)
    names = ("f1", "f2", "p1", "a1", "as1")
    kept = _answers(led, me, {name: f"{me}-{name}" for name in names}, me)
    assert len(kept) > 40
    for typed in spellings(me):
        ids = {name: f"{typed.rstrip()}-{name}" for name in names}
        assert _answers(led, typed, ids, me) == kept, typed
    # and writing with another spelling is the same person (what a query
    # answers follows the write)
    typed = spellings(me)[which]
    led.record(typed, "bob", 1, id="g1", at=LATER)
    assert led.favors["g1"].giver == me
    assert led.balance(typed) == led.balance(me)


def test_a_query_typed_decomposed_finds_the_composed_person() -> None:
    led = Ledger()
    led.record(NFC_ZOE, "bob", 1)
    assert led.balance(NFD_ZOE) == led.balance(f" {NFC_ZOE} ") == 1
    assert [e.giver for e in led.history(NFD_ZOE)] == [NFC_ZOE]


@pytest.mark.parametrize("who", ["zed", NFD_ZOE + "x", "", "   ", None, 3, ["bob"]])
def test_a_query_for_nobody_is_still_refused(who: object) -> None:
    led = Ledger()
    led.record(NFC_ZOE, "bob", 1, id="f1")
    with pytest.raises(UnknownPersonError):
        led.balance(who)  # type: ignore[arg-type]
    with pytest.raises(UnknownPersonError):
        led.history(who)  # type: ignore[arg-type]
    with pytest.raises(UnknownFavorError):
        led.is_reversed(who)  # type: ignore[arg-type]


def test_an_id_longer_than_a_write_takes_names_nobody() -> None:
    # a write refuses more than MAX_ID_LENGTH characters as typed; so does
    # a query, though the text is one that is known once stripped
    from favorledger.model import kept_id

    led = Ledger()
    led.record("ann", "bob", 1)
    assert kept_id("ann" + " " * 197, led.people) == "ann"
    assert kept_id("ann" + " " * 198, led.people) is None
    with pytest.raises(UnknownPersonError):
        led.balance("ann" + " " * 198)


def test_the_common_case_is_the_id_itself() -> None:
    from favorledger.model import kept_id

    people = {"ann": 1}
    typed = "".join(["an", "n"])  # an equal string, not the kept object
    assert kept_id(typed, people) is typed


def test_a_stored_ledger_answers_for_any_spelling(tmp_path: Path) -> None:
    from favorledger.io import open_ledger

    path = str(tmp_path / "s.db")
    with open_ledger(path) as led:
        led.record(NFC_ZOE, "bob", 2, id=f"{NFC_ZOE}-1", at=AT)
    with open_ledger(path) as led:
        assert led.balance(NFD_ZOE) == 2
        assert led.owes("bob", f" {NFD_ZOE}") == 2
        assert not led.is_reversed(f"{NFD_ZOE}-1")


def test_the_layout_centers_on_any_spelling() -> None:
    pytest.importorskip("numpy")
    from favorledger.plot import layout

    led = _ledger(NFC_ZOE)
    assert layout(led, center=NFD_ZOE) == layout(led, center=NFC_ZOE)


# ------------------------------------------------------------ command line
@pytest.mark.parametrize(
    "argv",
    [
        ["balance", "{me}"],
        ["owes", "{me}"],
        ["history", "{me}"],
        ["log", "--person", "{me}"],
        ["agenda", "{me}", "--at", LATER],
        ["pledges", "{me}", "--at", LATER],
        ["asks", "{me}", "--at", LATER],
        ["path", "{me}", "carol"],
        ["path", "bob", "{me}", "--k", "3"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_the_command_line_takes_any_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    from favorledger.io import open_ledger

    db = str(tmp_path / "s.db")
    with open_ledger(db) as led:
        led.add_many(_ledger(NFC_ZOE).log)
    answers = set()
    for me in [NFC_ZOE, *spellings(NFC_ZOE)]:
        for json in ([], ["--json"]):
            code, out, err = run(
                capsys, "--db", db, *json, *(a.replace("{me}", me) for a in argv)
            )
            assert code == 0, err
            answers.add((tuple(json), out))
    assert len(answers) == 2  # one answer as a table, one as JSON


def test_the_command_line_reverses_an_id_typed_decomposed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    assert (
        run(capsys, "--db", db, "record", "ann", "bob", "1", "--id", f"{NFC_ZOE}-1")[0]
        == 0
    )
    code, out, err = run(capsys, "--db", db, "reverse", f" {NFD_ZOE}-1")
    assert code == 0, err
    assert f"of favor {NFC_ZOE}-1" in out


# ------------------------------------------------------------- the web app
def test_the_web_app_takes_any_spelling(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from examples.webapp.app import create_app

    db = str(tmp_path / "board.db")
    with TestClient(create_app(db), follow_redirects=False) as client:
        for a, b in [(NFC_ZOE, "bob"), ("bob", "carol")]:
            done = client.post("/ties", data={"a": a, "b": b, "strength": "0.5"})
            assert done.status_code == 303
        body = {"id": f"{NFC_ZOE}-1", "giver": NFC_ZOE, "receiver": "bob", "value": "1"}
        assert client.post("/api/favors", json=body).status_code < 300
        kept = client.get(
            "/api/introduce", params={"source": NFC_ZOE, "target": "carol"}
        )
        typed = client.get(
            "/api/introduce", params={"source": NFD_ZOE, "target": "carol"}
        )
        page = client.get("/introduce", params={"source": NFD_ZOE, "target": "carol"})
        favor = client.get(f"/api/favors/{NFD_ZOE}-1")
    assert kept.status_code == typed.status_code == page.status_code == 200
    assert typed.json() == kept.json()
    assert typed.json()["source"] == NFC_ZOE
    assert favor.status_code == 200
    assert favor.json()["id"] == f"{NFC_ZOE}-1"


def test_reach_at_scale_takes_any_spelling() -> None:
    pytest.importorskip("duckdb")
    from favorledger import scale
    from tests.test_scale import parquet_of, rows

    led = Ledger()
    led.record(NFC_ZOE, "bob", 1)
    led.record("bob", "carol", 1)
    with parquet_of(led) as path:
        big = scale.open(path)
        kept = dict(rows(big.reach(NFC_ZOE, max_hops=2)))  # type: ignore[arg-type]
        for typed in spellings(NFC_ZOE):
            assert dict(rows(big.reach(typed, max_hops=2))) == kept  # type: ignore[arg-type]
        with pytest.raises(UnknownPersonError, match="zed"):
            big.reach(" zed ")
    assert kept == {NFC_ZOE: 0, "bob": 1, "carol": 2}
