"""Findings of the sixth newcomer trial (notes/newcomer6.md: 3, 4, 6, 7,
12, 13, 14), each a regression test written before its fix.

The promises:

* an identifier is kept in Unicode NFC form: an id typed composed
  (``"Zo\\u00eb"``, most keyboards) and decomposed (``"Zoe\\u0308"``,
  macOS, copy-paste) names the same person, favor, kind or tag, in the
  library, its files and the command line (a property over any id);
* the type hints say what the docs say: ``Ledger.open`` returns a stored
  ledger (with ``refresh``), and every value parameter takes a ``Fraction``
  (checked by ``mypy --strict`` on a snippet);
* ``round`` of a ratio stays in the amount family (it adds to a Decimal);
* a transfer's ``repr`` does not work out or print its explanation;
* every error class is exported from ``favorledger``, and so is every type
  in a public signature (``Plan``); ``agenda`` defaults ``today`` to now;
* the hint for ``1,000`` does not suggest recording 1;
* the example web app's README says truly what its pages show of a URL.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings

from favorledger import Ledger, Person
from favorledger.io import read_jsonl, write_jsonl
from favorledger.model import MAX_ID_LENGTH
from favorledger.testing.strategies import person_ids
from tests.command_line import run

ROOT = Path(__file__).resolve().parent.parent

NFC_ZOE = "Zo\u00eb"
NFD_ZOE = "Zoe\u0308"


# ------------------------------------------------------ finding 3: Unicode
def test_an_id_typed_two_ways_is_one_person() -> None:
    led = Ledger()
    led.record(NFC_ZOE, "bob", 1)
    led.record(NFD_ZOE, "bob", 1)
    assert list(led.people) == [NFC_ZOE, "bob"]
    assert led.balances() == {NFC_ZOE: 2, "bob": -2}


def test_a_query_in_another_form_points_to_the_kept_one() -> None:
    # a query names an id exactly as kept (stripped, NFC), as a dict key does
    from favorledger import UnknownPersonError

    led = Ledger()
    led.record(NFC_ZOE, "bob", 1)
    with pytest.raises(UnknownPersonError, match="same text in Unicode NFC form"):
        led.balance(NFD_ZOE)


def test_a_strict_ledger_knows_the_decomposed_spelling() -> None:
    led = Ledger(strict=True)
    led.add_person(NFC_ZOE)
    led.add_person("bob")
    favor = led.record(NFD_ZOE, "bob", 1)
    assert favor.giver == NFC_ZOE
    tie = led.tie("bob", NFD_ZOE, "1/2")
    assert tie.b == NFC_ZOE or tie.a == NFC_ZOE


def test_favor_ids_kinds_and_tags_are_normalised() -> None:
    led = Ledger()
    first = led.record("ann", "bob", 1, id=f"{NFC_ZOE}-1", kind=NFD_ZOE, tags={NFD_ZOE})
    assert (first.id, first.kind, first.tags) == (
        f"{NFC_ZOE}-1",
        NFC_ZOE,
        frozenset({NFC_ZOE}),
    )
    again = led.record(
        "ann",
        "bob",
        1,
        id=f"{NFD_ZOE}-1",
        kind=NFC_ZOE,
        tags={NFC_ZOE},
        at=first.at,
    )  # a retry typed the other way: the same favor
    assert again == first
    assert len(led.log) == 1
    assert Person(NFD_ZOE, tags={NFD_ZOE}).tags == {NFC_ZOE}


@settings(max_examples=200, deadline=None)
@given(person_ids(pool=None))
def test_any_id_and_its_decomposed_form_are_one_person(text: str) -> None:
    decomposed = unicodedata.normalize("NFD", text)
    if len(decomposed) > MAX_ID_LENGTH:  # the length is counted as typed
        return
    composed = Person(text).id
    assert Person(decomposed).id == composed
    assert unicodedata.is_normalized("NFC", composed)
    assert Person(composed).id == composed  # what the ledger keeps is kept
    other = "\u00e5" if composed != "\u00e5" else "\u00e9"
    led = Ledger()
    led.record(text, other, 1)
    led.record(decomposed, unicodedata.normalize("NFD", other), 1)
    assert len(led.people) == 2
    assert led.balance(composed) == 2


def test_an_id_longer_than_allowed_once_composed_is_refused() -> None:
    # U+0958 is excluded from composition: NFC writes it as two characters
    from favorledger import InvalidPersonError

    with pytest.raises(InvalidPersonError, match="at most 200 characters"):
        Person("\u0958" * 150)


def test_files_in_and_out_keep_one_person(tmp_path: Path) -> None:
    led = Ledger()
    led.record(NFC_ZOE, "bob", 1, id="f1")
    path = tmp_path / "log.jsonl"
    write_jsonl(led.log, path)
    text = path.read_text(encoding="utf-8").replace(NFC_ZOE, NFD_ZOE)
    path.write_text(text, encoding="utf-8")  # a file another tool decomposed
    again = Ledger.from_entries(read_jsonl(path))
    again.record(NFC_ZOE, "bob", 1, id="f2")
    assert list(again.people) == [NFC_ZOE, "bob"]


def test_the_command_line_does_not_call_a_decomposed_name_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    assert run(capsys, "--db", db, "record", NFC_ZOE, "bob", "1")[0] == 0
    code, out, err = run(capsys, "--db", db, "record", NFD_ZOE, "bob", "1")
    assert code == 0
    assert "new person" not in err, err
    code, out, err = run(capsys, "--db", db, "--json", "balance")
    assert code == 0
    assert NFD_ZOE not in out


def test_an_unknown_decomposed_name_suggests_the_composed_one() -> None:
    from favorledger import UnknownPersonError

    led = Ledger()
    led.record("Zo\u00eb Quinn", "bob", 1)
    with pytest.raises(UnknownPersonError, match="did you mean 'Zo\u00eb Quinn'"):
        led.balance("Zoe\u0308 Quin")
