"""A query takes a tag typed any way a write takes it.

A write keeps every tag stripped and in Unicode NFC form (as it keeps ids:
``test_query_ids.py``), so ``"caf\\u00e9"`` and ``"cafe\\u0301 "`` tag a
person the same. Every query that takes a tag finds them the same way:
:func:`~favorledger.experts` and :func:`~favorledger.priorities` with an
:class:`~favorledger.Expertise` goal answer for any such spelling exactly
what they answer for the tag as kept, in memory and from a store. A kind
is kept as a tag is, so ``favorledger log --kind`` takes any such spelling
too. (The command line has no option that queries a tag: ``--tag`` only
writes.)
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import favorledger as fl
from favorledger import Ledger
from favorledger.testing.strategies import person_ids
from tests.command_line import run

AT = "2024-01-01T00:00Z"
LATER = "2024-03-01T00:00Z"
CAFE = "caf\u00e9"


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def spellings(kept: str) -> list[str]:
    """What a write takes for the tag ``kept``: decomposed, padded, both."""
    return [_nfd(kept), f" {kept} ", f"  {_nfd(kept)}\t", f"{kept} "]


def _ledger(tag: str) -> Ledger:
    """``carol`` and ``erin`` carry ``tag``; ``me`` reaches them through
    ties and favors of several strengths; ``dan`` carries another tag."""
    other = "other" if tag != "other" else "else"
    led = Ledger()
    led.add_person("carol", tags={tag, other}, at=AT)
    led.add_person("erin", tags={tag}, at=AT)
    led.add_person("dan", tags={other}, at=AT)
    for a, b, strength in [
        ("me", "bob", "0.9"),
        ("bob", "carol", "0.8"),
        ("me", "erin", "0.5"),
        ("me", "dan", "0.7"),
        ("dan", "carol", "0.3"),
    ]:
        led.tie(a, b, strength, at=AT)
    led.record("bob", "me", 2, id="f1", at=AT)
    led.record("me", "dan", 1, id="f2", at=AT)
    return led


def _answers(led: Ledger, typed: str) -> list[object]:
    """Every query of ``led`` naming the tag ``typed``; a refusal counts by
    its type."""
    found: list[object] = []

    def ask(query: object, *args: object, **kwargs: object) -> None:
        try:
            found.append(query(*args, **kwargs))  # type: ignore[operator]
        except fl.FavorLedgerError as exc:
            found.append(type(exc))

    for source in ("me", "bob", "dan"):
        ask(fl.experts, led, source, typed)
        ask(fl.experts, led, source, typed, max_hops=1)
        ask(fl.experts, led, source, typed, weight="hops", limit=1)
        ask(fl.experts, led, source, typed, weight="leverage", max_hops=None)
        ask(fl.priorities, led, source, goal=fl.Expertise(typed), at=LATER)
    return found


tags = st.one_of(
    person_ids(pool=None),  # any identifier a write keeps (tags are the same)
    st.sampled_from([CAFE, "Zo\u00eb", "na\u00efve law", "\u00c5ngstr\u00f6m"]),
)


@settings(max_examples=60, deadline=None)
@given(tags, st.integers(0, 3))
@example(CAFE, 0)
def test_every_query_taking_a_tag_answers_the_same_for_any_spelling(
    tag: str, which: int
) -> None:
    led = _ledger(tag)
    kept = _answers(led, tag)
    experts = [p.target for p in fl.experts(led, "me", tag)]
    assert sorted(experts) == ["carol", "erin"]  # the answers say something
    for typed in spellings(tag):
        assert _answers(led, typed) == kept, typed
    # a person tagged with another spelling carries the same tag
    led.add_person("frank", tags={spellings(tag)[which]}, at=AT)
    led.tie("me", "frank", "0.6", at=AT)
    for typed in [tag, *spellings(tag)]:
        found = [p.target for p in fl.experts(led, "me", typed)]
        assert sorted(found) == ["carol", "erin", "frank"], typed


def test_an_expertise_goal_keeps_the_tag_as_a_write_does() -> None:
    assert fl.Expertise(f" {_nfd(CAFE)} ") == fl.Expertise(CAFE)
    assert fl.Expertise(f" {_nfd(CAFE)} ").tag == CAFE


@pytest.mark.parametrize("tag", ["", "   ", None, 3, ["law"]])
def test_a_blank_or_non_text_tag_is_still_refused(tag: object) -> None:
    led = _ledger("law")
    with pytest.raises(fl.InvalidQueryError, match="tag must be a non-empty"):
        fl.experts(led, "me", tag)  # type: ignore[arg-type]
    with pytest.raises(fl.InvalidQueryError, match=r"Expertise\.tag must be"):
        fl.Expertise(tag)  # type: ignore[arg-type]


def test_a_tag_longer_than_a_write_takes_finds_nobody() -> None:
    # a write refuses more than MAX_ID_LENGTH characters as typed; so does
    # a query, though the text is a known tag once stripped
    led = _ledger("law")
    assert [p.target for p in fl.experts(led, "me", "law" + " " * 197)] == [
        "carol",
        "erin",
    ]
    assert fl.experts(led, "me", "law" + " " * 198) == []
    with pytest.raises(fl.InvalidPersonError):
        led.add_person("zed", tags={"law" + " " * 198})


def test_a_tag_a_store_keeps_decomposed_is_found() -> None:
    """A store written before tags were composed may keep one decomposed."""
    from favorledger.model import has_tag, query_tag

    assert has_tag(frozenset({_nfd(CAFE)}), query_tag(CAFE))
    assert has_tag([_nfd(CAFE), "law"], query_tag(f" {_nfd(CAFE)}"))
    assert not has_tag(frozenset({"cafe"}), query_tag(CAFE))


def test_a_stored_ledger_answers_for_any_spelling(tmp_path: Path) -> None:
    from favorledger.io import open_ledger

    path = str(tmp_path / "s.db")
    with open_ledger(path) as led:
        led.add_many(_ledger(CAFE).log)
    with open_ledger(path, readonly=True) as led:
        kept = _answers(led, CAFE)
        assert [p.target for p in fl.experts(led, "me", _nfd(CAFE))] == [
            "carol",
            "erin",
        ]
        for typed in spellings(CAFE):
            assert _answers(led, typed) == kept, typed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=tags)
@example(kind=CAFE)
@example(kind="-:")  # a kind that begins with "-" is given as --kind=-:
@example(kind="--")  # argparse before 3.13 took --kind=-- for no value
def test_the_log_command_finds_a_kind_typed_any_way_a_write_takes_it(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    """``log --kind`` names a kind as a write keeps it (kinds are kept as
    tags are): every spelling lists the same entries, and they are there."""
    path = tmp_path_factory.mktemp("kinds") / "favors.db"
    other = "other" if kind != "other" else "else"
    with fl.Ledger.open(path) as led:
        led.record("ann", "bob", 1, kind=_nfd(kind), id="f1", at=AT)
        led.record("bob", "ann", 2, kind=other, id="f2", at=AT)
        fl.trading.pledge(led, "ann", "bob", 1, kind=f" {kind}", id="p1", at=AT)

    def listed(typed: str) -> list[str]:
        code, out, err = run(
            capsys, "--db", str(path), "--json", "log", f"--kind={typed}"
        )
        assert code == 0, err
        return [entry["id"] for entry in json.loads(out)]

    assert listed(kind) == ["f1", "p1"]
    for typed in spellings(kind):
        assert listed(typed) == ["f1", "p1"], typed


@pytest.mark.parametrize("typed", ["", "   "])
def test_the_log_command_refuses_a_blank_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    path = tmp_path / "favors.db"
    with fl.Ledger.open(path) as led:
        led.record("ann", "bob", 1, id="f1", at=AT)
    code, out, err = run(capsys, "--db", str(path), "log", "--kind", typed)
    assert (code, out) == (2, "")
    assert err.startswith("favorledger: error: --kind must be a non-empty string")
