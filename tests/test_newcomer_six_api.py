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
from decimal import Decimal
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


def test_a_query_in_another_form_names_the_kept_one() -> None:
    # a query takes an id typed any way a write takes it (it was refused,
    # pointing to the kept form; tests/test_query_ids.py has the property)
    led = Ledger()
    led.record(NFC_ZOE, "bob", 1)
    assert led.balance(NFD_ZOE) == led.balance(NFC_ZOE) == 1


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


# ------------------------------------------------------- finding 4: typing
TYPED = """
from decimal import Decimal
from fractions import Fraction

from favorledger import Ledger, Transfer, trading
from favorledger.io import StoredLedger, open_ledger

with Ledger.open("typed.db") as led:
    caught_up: int = led.refresh()
    led.record("a", "b", Fraction(1, 3))
    led.tie("a", "b", Fraction(1, 2))
    trading.pledge(led, "a", "b", Fraction(1, 3), expires="2030-01-01T00:00Z")
    trading.assign(led, "a", "b", "c", Fraction(1, 3))
    Transfer("a", "b", Fraction(1, 3))
    Transfer("a", "b", Decimal(1))
stored: StoredLedger = open_ledger("typed.db", referral_share=Fraction(1, 3))
"""


def test_the_documented_usage_passes_mypy_strict(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "typed.py"
    snippet.write_text(TYPED, encoding="utf-8")
    cache = ROOT / ".mypy_cache"  # the one `mypy --strict favorledger` fills
    out, err, status = api.run(
        ["--strict", "--cache-dir", str(cache), "--no-error-summary", str(snippet)]
    )
    assert status == 0, out + err


# ---------------------------------------------- finding 12: round a balance
def test_round_of_a_ratio_adds_to_a_decimal() -> None:
    from decimal import Decimal

    from favorledger import Ratio

    led = Ledger()
    led.record("a", "b", "1/3")
    led.record("a", "b", 1)
    balance = led.balance("a")
    assert isinstance(balance, Ratio)
    rounded = round(balance, 2)
    assert rounded == Decimal("1.33")
    assert type(rounded) is Decimal
    assert rounded + Decimal(1) == Decimal("2.33")
    assert round(Ratio(5, 2)) == 2  # no ndigits: the nearest int, ties to even
    assert type(round(Ratio(5, 2))) is int
    assert round(Ratio(1250, 3), -2) == Decimal(400)
    assert str(round(Ratio(1250, 3), -2)) == "400"  # the amount's normal form
    assert round(Ratio(1, 8), 2) == round(Decimal("0.125"), 2)  # half to even


# ---------------------------------------------- finding 13: Transfer repr
def test_a_transfer_repr_leaves_the_explanation_out() -> None:
    from favorledger import Transfer, settle

    led = Ledger()
    for n in range(50):
        led.record("ann", "bob", 1, id=f"f{n}")
    (transfer,) = settle(led)
    assert repr(transfer) == (
        "Transfer(payer='bob', payee='ann', amount=Decimal('50'))"
    )
    assert "Obligation" not in repr(list(settle(led)))
    assert repr(Transfer("me", "carol", 3)) == (
        "Transfer(payer='me', payee='carol', amount=Decimal('3'))"
    )


def test_a_transfer_repr_does_not_work_out_the_explanation() -> None:
    from favorledger import Transfer
    from favorledger.model import LazyExplanation

    asked = []

    class Why(LazyExplanation):  # type: ignore[misc]
        def __call__(self, transfer: Transfer) -> tuple[()]:
            asked.append(transfer)
            return ()

    transfer = Transfer("me", "carol", 3, explained_by=Why())
    repr(transfer)
    assert asked == []


# -------------------------------------- finding 14: the public API's names
def test_every_error_class_is_exported_and_documented() -> None:
    import favorledger
    from favorledger import errors

    classes = [
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.FavorLedgerError)
    ]
    assert "OverwriteError" in classes
    assert "FormatError" in classes
    missing = [name for name in classes if name not in favorledger.__all__]
    assert missing == []
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert [n for n in classes if f"favorledger.{n}\n" not in api] == []


def test_the_types_in_apply_s_signature_are_exported() -> None:
    import favorledger

    assert favorledger.Plan is favorledger.ledger.Plan
    assert "Plan" in favorledger.__all__
    assert "AmountLike" in favorledger.__all__


def test_agenda_defaults_today_to_now() -> None:
    from favorledger import agenda, trading

    led = Ledger()
    trading.pledge(led, "fay", "me", 2, expires="9998-01-01T00:00Z")
    led.record("ann", "me", 1, at="2000-01-01T00:00Z")  # long unreturned
    assert "return" in [item.action for item in agenda(led, "me")]
    assert agenda(led, "me") == agenda(led, "me", today=None)
    early = agenda(led, "me", today="2000-01-02T00:00Z")
    assert "return" not in [item.action for item in early]


# ------------------------------------ finding 6: a thousands separator hint
@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("1,000", "write 1000 without the separator, or 1.000 if"),
        ("12,500", "write 12500 without the separator, or 12.500 if"),
        ("1,000,000", "write 1000000 without the separators"),
        ("3,5", "use a point: 3.5"),
        ("0,125", "use a point: 0.125"),
        ("12,25", "use a point: 12.25"),
    ],
)
def test_a_comma_hint_tells_a_separator_from_a_decimal_comma(
    typed: str, hint: str
) -> None:
    from favorledger import InvalidValueError

    led = Ledger()
    with pytest.raises(InvalidValueError) as error:
        led.record("ann", "bob", typed)
    assert hint in str(error.value)
    assert f"got {typed!r}" in str(error.value)
    if "separator" in hint:
        assert "use a point" not in str(error.value)
    assert led.log == ()


def test_the_csv_import_gives_the_same_separator_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "thousands.csv"
    table.write_text('giver,receiver,value\nann,bob,"1,000"\n', encoding="utf-8")
    code, _, err = run(capsys, "--db", str(tmp_path / "s.db"), "import", str(table))
    assert code != 0
    assert "write 1000 without the separator" in err
    assert not (tmp_path / "s.db").exists()


# ------------------------------------------- finding 7: the web app's README
def test_the_web_app_readme_says_what_a_url_can_put_on_a_page() -> None:
    readme = (ROOT / "examples" / "webapp" / "README.md").read_text(encoding="utf-8")
    flat = " ".join(readme.split())
    assert "No page shows text taken from its URL" not in flat
    assert "escaped" in flat


def test_a_name_from_the_url_is_shown_escaped_and_stores_nothing(
    tmp_path: Path,
) -> None:
    pytest.importorskip("starlette")
    from tests.test_webapp import board

    db = str(tmp_path / "board.db")
    crafted = "<b>The board moved: log in at evil.example</b>"
    with board(db) as client:
        client.post(
            "/api/favors", json={"giver": "me", "receiver": "bob", "value": "1"}
        )
        page = client.get("/introduce", params={"source": "me", "target": crafted})
    assert page.status_code == 404  # the unknown name is refused
    assert crafted not in page.text
    assert "&lt;b&gt;The board moved" in page.text
    assert "is not in the ledger" in page.text
    with Ledger.open(db) as led:
        assert len(led.log) == 1


def test_a_store_written_before_keeps_a_decomposed_id(tmp_path: Path) -> None:
    # A store from before ids were composed may hold one decomposed: it is
    # read as stored, `check` finds nothing wrong with it, and a new entry
    # typed the same way is composed (docs/input.md).
    from favorledger import Favor, UnknownPersonError
    from favorledger.io import check_store, open_ledger
    from favorledger.model import NO_TAGS, unchecked, utcnow

    path = str(tmp_path / "old.db")
    old = unchecked(Favor)(
        f"{NFD_ZOE}-1",
        NFD_ZOE,
        "bob",
        Decimal(1),
        "favor",
        utcnow(),
        None,
        "",
        NO_TAGS,
        None,
        None,
    )  # as a version without composing wrote it
    with open_ledger(path) as led:
        led.add(old)
    assert check_store(path) == []
    with open_ledger(path) as led:
        assert list(led.people) == [NFD_ZOE, "bob"]
        assert led.favors[f"{NFD_ZOE}-1"] == old
        # a query names the id as stored; typed composed, it names nobody
        # yet, and the error points to the stored spelling
        assert led.balance(NFD_ZOE) == 1
        assert not led.is_reversed(f"{NFD_ZOE}-1")
        with pytest.raises(UnknownPersonError, match="name it as stored"):
            led.balance(NFC_ZOE)
        led.record(NFD_ZOE, "bob", 1)
        assert list(led.people) == [NFD_ZOE, "bob", NFC_ZOE]
        # the two stay two people: each spelling names its own
        assert led.balance(NFD_ZOE) == led.balance(NFC_ZOE) == 1
        assert [e.giver for e in led.history(NFD_ZOE)] == [NFD_ZOE]
        assert [e.giver for e in led.history(f" {NFC_ZOE} ")] == [NFC_ZOE]
    assert check_store(path) == []
