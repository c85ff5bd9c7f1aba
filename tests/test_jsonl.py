"""JSON Lines: the ledger's native log format.

The promises:

* a ledger's log written with ``write_jsonl`` and read back with ``read_jsonl``
  into ``Ledger.from_entries`` is the same
  ledger: the same log, entry by entry and byte for byte, the same balances,
  debts and obligations;
* importing a file is idempotent: importing it again changes nothing;
* a bad file is refused at its first bad line with a :class:`FormatError`
  that says ``file:line:``, the field and the value, a cut-off last line
  included; only a caller recovering its own log may ask to skip a final
  line cut off mid-JSON (``skip_torn_tail=True``, with a
  :class:`TornLineWarning`);
* numbers are exact: a JSON number is read as the decimal it spells;
* writing is atomic: if it fails, the old file is untouched and no temporary
  file is left behind.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    Debt,
    Entry,
    Favor,
    FavorLedgerError,
    InvalidValueError,
    Ledger,
    Person,
    Reversal,
    Transfer,
)
from favorledger.errors import FormatError
from favorledger.io.files import MAX_LINE_BYTES
from favorledger.io.jsonl import (
    TornLineWarning,
    dumps_entry,
    loads_entry,
    read_jsonl,
    write_jsonl,
)
from favorledger.testing.strategies import ledgers, person_ids, texts

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"
START = datetime(2000, 1, 1)
END = datetime(2040, 1, 1)


def snapshot(led: Ledger) -> str:
    """Everything observable about a ledger, as text to compare byte for byte."""
    return "\n".join(
        [
            "\n".join(dumps_entry(entry) for entry in led.log),
            repr(sorted(led.balances().items())),
            repr(led.who_owes_whom()),
            repr(led.obligations()),
            *(dumps_entry(person) for _, person in sorted(led.people.items())),
        ]
    )


def small_ledger() -> Ledger:
    """A ledger with a referral, a fraction, tags, a reversal and a restatement."""
    led = Ledger()
    led.add_person("ann", name="Ann", tags={"python"})
    led.record("carol", "ann", "2.50", kind="introduction", via="bob", id="f1", at=T1)
    led.record("ann", "bob", "1/3", id="f2", at=T1, tags={"advice"}, reason="a chat")
    led.record("bob", "carol", 4, id="f3", at=T2)
    led.reverse("f3", id="r1", at=T2, reason="entered twice")
    led.add_person("ann", name="Ann", tags={"python", "hiring"})
    return led


# ------------------------------------------------------------ round trip

TAGS = st.frozensets(person_ids(pool=None), max_size=3)
"""Any valid tags, including non-ASCII text and line separators inside a tag."""

OFFSETS = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-9, minutes=-30)),
    ]
)


@st.composite
def busy_ledgers(draw: st.DrawFn) -> Ledger:
    """Ledgers from the public strategy, plus what it does not make.

    Some favors reversed, people restated with names and tags (several times,
    so the log holds more than one statement of a person), and favors with a
    reason, tags and a time in a fixed offset other than UTC.
    """
    led = draw(ledgers(max_favors=12))
    people = sorted(led.people)
    for _ in range(draw(st.integers(0, 4))):
        giver, receiver = draw(st.permutations(people))[:2]
        moment = draw(st.datetimes(START, END, timezones=OFFSETS))
        led.record(
            giver,
            receiver,
            draw(st.sampled_from(["0.1", "2.50", "1/7", "1e-12", "999999999"])),
            reason=draw(texts(max_size=20)),
            tags=draw(TAGS),
            at=moment,
        )
    ids = sorted(led.favors)
    if ids:
        for favor_id in draw(st.sets(st.sampled_from(ids), max_size=4)):
            favor = led.favors[favor_id]
            delay = draw(st.timedeltas(timedelta(0), timedelta(days=400)))
            led.reverse(favor_id, at=favor.at + delay, reason=draw(texts(max_size=8)))
    for _ in range(draw(st.integers(0, 4))):
        person = draw(st.sampled_from(people))
        name = draw(st.none() | texts(max_size=10))
        led.add_person(person, name, tags=draw(TAGS))
    return led


@settings(max_examples=75)
@given(led=busy_ledgers())
def test_a_ledger_survives_a_round_trip_through_jsonl(led: Ledger) -> None:
    """Writing the log, then reading it back, gives the same ledger, byte for byte."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "ledger.jsonl")
        write_jsonl(led.log, path)
        text = path.read_text(encoding="utf-8")
        back = Ledger.from_entries(read_jsonl(path))
    assert len(back.log) == len(led.log)
    for original, read in zip(led.log, back.log, strict=True):
        assert read == original
        assert type(read) is type(original)
        assert dumps_entry(read) == dumps_entry(original)
    assert text == "".join(dumps_entry(entry) + "\n" for entry in led.log)
    assert snapshot(back) == snapshot(led)
    assert back.balances() == led.balances()
    assert back.who_owes_whom() == led.who_owes_whom()
    assert back.obligations() == led.obligations()


def test_a_round_trip_keeps_every_field(tmp_path: Path) -> None:
    """Amounts keep their exact value in normal form ("2.50" is 2.5; "1/3"),
    shares, tags and reasons."""
    led = small_ledger()
    path = tmp_path / "ledger.jsonl"
    write_jsonl(led.log, path)
    back = Ledger.from_entries(read_jsonl(path))
    assert back.log == led.log
    assert repr(back.favors["f1"].value) == "Decimal('2.5')"  # normal form
    assert back.favors["f1"].referral_share == Decimal("0.5")
    assert back.favors["f2"].value == Fraction(1, 3)
    assert back.favors["f2"].tags == {"advice"}
    assert back.is_reversed("f3")
    assert back.people["ann"].tags == {"python", "hiring"}
    assert snapshot(back) == snapshot(led)


def test_a_time_in_a_repeated_hour_of_a_named_zone_round_trips(tmp_path: Path) -> None:
    """A favor dated in a named zone's repeated (fall-back) hour reads back equal.

    01:30 on 2024-11-03 happens twice in New York. The file stores the offset;
    the entry read back must still equal the one recorded, so that the file
    can be imported back into the ledger that wrote it.
    """
    new_york = ZoneInfo("America/New_York")
    led = Ledger()
    for fold in (0, 1):
        at = datetime(2024, 11, 3, 1, 30, fold=fold, tzinfo=new_york)
        led.record("ann", "bob", 1, id=f"fold-{fold}", at=at)
    path = tmp_path / "ledger.jsonl"
    write_jsonl(led.log, path)
    assert list(read_jsonl(path)) == list(led.log)
    before = snapshot(led)
    assert led.add_many(read_jsonl(path)) == 0
    assert snapshot(led) == before


# -------------------------------------------------------------- idempotence


@settings(max_examples=50)
@given(led=ledgers(max_favors=12), data=st.data())
def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    led: Ledger, data: st.DataObject
) -> None:
    """The second import of a file adds no entry and changes no answer."""
    ids = sorted(led.favors)
    if ids:
        for favor_id in data.draw(st.sets(st.sampled_from(ids), max_size=3)):
            led.reverse(favor_id, at=led.favors[favor_id].at + timedelta(hours=1))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "ledger.jsonl")
        write_jsonl(led.log, path)
        target = Ledger()
        first = target.add_many(read_jsonl(path))
        after_first = snapshot(target)
        second = target.add_many(read_jsonl(path))
    assert first == len(led.log)
    assert second == 0
    assert snapshot(target) == after_first
    assert snapshot(target) == snapshot(led)


def test_importing_a_file_with_person_restatements_twice_changes_nothing(
    tmp_path: Path,
) -> None:
    """Idempotence holds for restated people too, not only favors and reversals.

    The file states "ann" twice (first with one tag, then with two). Importing
    it again must not append those statements to the log a second time.
    """
    path = tmp_path / "ledger.jsonl"
    write_jsonl(small_ledger().log, path)
    target = Ledger()
    target.add_many(read_jsonl(path))
    before = snapshot(target)
    assert target.add_many(read_jsonl(path)) == 0
    assert snapshot(target) == before


# ------------------------------------------------------------ reading errors

GOOD_FAVOR = {
    "format": 1,
    "type": "favor",
    "id": "f1",
    "giver": "ann",
    "receiver": "bob",
    "value": "2",
    "kind": "favor",
    "at": T1,
    "via": None,
    "reason": "",
    "tags": [],
    "referral_share": None,
}
GOOD_REVERSAL = {
    "format": 1,
    "type": "reversal",
    "id": "r1",
    "favor_id": "f1",
    "at": T2,
    "reason": "",
}
GOOD_PERSON = {
    "format": 1,
    "type": "person",
    "id": "ann",
    "name": "Ann",
    "tags": [],
    "at": "2024-01-01T00:00:00+00:00",
}


def line(base: dict[str, object], **changes: object) -> str:
    """A JSON line: ``base`` with ``changes`` (a change of ``...`` drops a key)."""
    body = {**base, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...})


def write_lines(path: Path, *lines: str, final_newline: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), "utf-8")
    return path


def test_the_reference_lines_are_valid() -> None:
    """The lines the error cases below start from are read without complaint."""
    assert loads_entry(line(GOOD_PERSON)) == Person(
        "ann", "Ann", at="2024-01-01T00:00:00+00:00"
    )
    assert loads_entry(line(GOOD_FAVOR)).value == 2
    assert loads_entry(line(GOOD_REVERSAL)).favor_id == "f1"


def test_a_bad_line_in_the_middle_names_file_line_field_and_value(
    tmp_path: Path,
) -> None:
    """The error says ``file:line:``, the field and the bad value, and stops."""
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_PERSON),
        "",  # blank lines are skipped but still counted
        line(GOOD_FAVOR, value="-3"),
        line(GOOD_REVERSAL),
    )
    with pytest.raises(FormatError) as caught:
        read_jsonl(path)
    error = caught.value
    assert str(error).startswith(f"{path}:3: ")
    assert "Favor.value" in str(error)
    assert "got -3" in str(error)
    assert error.line == 3
    assert error.path == str(path)
    assert isinstance(error, FavorLedgerError)
    assert isinstance(error, ValueError)


def test_a_bad_line_refuses_the_whole_file_for_from_entries(tmp_path: Path) -> None:
    """Reading a file with a bad line raises; no partial ledger."""
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_FAVOR),
        line(GOOD_FAVOR, id="f2", giver="bob"),
        line(GOOD_REVERSAL),
    )
    with pytest.raises(FormatError, match=r":2: Favor\.receiver must differ"):
        Ledger.from_entries(read_jsonl(path))


def test_a_torn_final_line_fails_with_its_line_number(tmp_path: Path) -> None:
    """A user's file that was cut short is refused at its last line."""
    torn = line(GOOD_REVERSAL)[:25]
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_PERSON),
        line(GOOD_FAVOR),
        torn,
        final_newline=False,
    )
    with pytest.raises(FormatError, match=re.escape(f"{path}:3: not valid JSON")):
        read_jsonl(path)


def test_skipping_a_torn_tail_is_an_explicit_choice(tmp_path: Path) -> None:
    """``skip_torn_tail=True`` skips a final line cut off mid-JSON, warning."""
    torn = line(GOOD_REVERSAL)[:25]
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_PERSON),
        line(GOOD_FAVOR),
        torn,
        final_newline=False,
    )
    with pytest.warns(
        TornLineWarning, match=re.escape(f"{path}:3: skipped a torn final line")
    ):
        entries = read_jsonl(path, skip_torn_tail=True)
    assert [type(e) for e in entries] == [Person, Favor]


def test_a_whole_but_invalid_last_line_is_never_torn(tmp_path: Path) -> None:
    """Reproduction 6: a complete JSON last line without a newline whose value
    is -5 was dropped as torn and the import said ok. It is an error, even
    when torn tails are skipped."""
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_FAVOR),
        line(GOOD_FAVOR, id="f2", value="-5"),
        final_newline=False,
    )
    for skip in (False, True):
        with pytest.raises(FormatError, match=r":2: Favor\.value must be positive"):
            read_jsonl(path, skip_torn_tail=skip)


def test_only_the_final_line_can_be_torn(tmp_path: Path) -> None:
    """A bad line with more lines after it is an error, whatever ends it.

    Lines end with a newline (``\\n`` or ``\\r\\n``). A file whose lines end
    with a lone carriage return is one long line, and it is refused, never
    mistaken for a torn final line that would silently drop entries.
    """
    path = tmp_path / "ledger.jsonl"
    lines = [line(GOOD_PERSON), "{not json", line(GOOD_FAVOR)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    with pytest.raises(FormatError) as caught:
        read_jsonl(path)
    assert caught.value.line == 2
    assert "not valid JSON" in str(caught.value)
    path.write_bytes(("\r".join(lines) + "\r\n").encode())
    with pytest.raises(FormatError) as caught:
        read_jsonl(path)
    assert caught.value.line == 1


def test_a_complete_final_line_without_newline_is_read(tmp_path: Path) -> None:
    """Only a final line that does not parse is torn; a whole one is kept."""
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_FAVOR),
        line(GOOD_REVERSAL),
        final_newline=False,
    )
    assert [type(e) for e in read_jsonl(path)] == [Favor, Reversal]


def test_a_bad_final_line_with_its_newline_is_an_error(tmp_path: Path) -> None:
    """A final line that ends in a newline was written whole: if bad, it is bad."""
    path = write_lines(tmp_path / "ledger.jsonl", line(GOOD_FAVOR), "{not json")
    with pytest.raises(FormatError, match=r":2: not valid JSON"):
        read_jsonl(path)


BAD_LINES = [
    pytest.param('{"format": 1, "type": ', ("not valid JSON",), id="truncated-json"),
    pytest.param("{'format': 1}", ("not valid JSON",), id="single-quotes"),
    pytest.param("[1, 2]", ("JSON object", "[1, 2]"), id="array"),
    pytest.param('"ann"', ("JSON object",), id="string"),
    pytest.param(line(GOOD_PERSON, format=2), ("format", "2"), id="version-2"),
    pytest.param(line(GOOD_PERSON, format=0), ("format", "0"), id="version-0"),
    pytest.param(line(GOOD_PERSON, format="1"), ("format", "'1'"), id="version-text"),
    pytest.param(line(GOOD_PERSON, format=...), ("format", "None"), id="no-version"),
    pytest.param(line(GOOD_PERSON, type="debt"), ("type", "'debt'"), id="type-debt"),
    pytest.param(
        line(GOOD_PERSON, type="Person"), ("type", "'Person'"), id="type-case"
    ),
    pytest.param(line(GOOD_PERSON, type=...), ("type", "None"), id="no-type"),
    pytest.param(line(GOOD_PERSON, type=1), ("type", "1"), id="type-int"),
    pytest.param(line(GOOD_PERSON, colour="red"), ("extra", "colour"), id="extra-key"),
    pytest.param(
        line(GOOD_FAVOR, amount="2"), ("extra", "amount"), id="extra-key-favor"
    ),
    pytest.param(
        line(GOOD_REVERSAL, value="1"), ("extra", "value"), id="extra-key-reversal"
    ),
    pytest.param(line(GOOD_PERSON, id=...), ("missing", "id"), id="person-no-id"),
    pytest.param(
        line(GOOD_FAVOR, giver=...), ("missing", "giver"), id="favor-no-giver"
    ),
    pytest.param(
        line(GOOD_FAVOR, receiver=...), ("missing", "receiver"), id="favor-no-receiver"
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...), ("missing", "value"), id="favor-no-value"
    ),
    pytest.param(line(GOOD_FAVOR, id=...), ("missing", "id"), id="favor-no-id"),
    pytest.param(line(GOOD_FAVOR, at=...), ("missing", "at"), id="favor-no-at"),
    pytest.param(
        line(GOOD_REVERSAL, favor_id=...),
        ("missing", "favor_id"),
        id="reversal-no-favor-id",
    ),
    pytest.param(line(GOOD_REVERSAL, id=...), ("missing", "id"), id="reversal-no-id"),
    pytest.param(line(GOOD_REVERSAL, at=...), ("missing", "at"), id="reversal-no-at"),
    pytest.param(
        line(GOOD_FAVOR, value="abc"), ("Favor.value", "'abc'"), id="value-words"
    ),
    pytest.param(
        line(GOOD_FAVOR, value=True), ("Favor.value", "True"), id="value-bool"
    ),
    pytest.param(line(GOOD_FAVOR, value=0), ("Favor.value", "0"), id="value-zero"),
    pytest.param(
        line(GOOD_FAVOR, at="2024-01-01"), ("Favor.at", "naive"), id="naive-time"
    ),
    pytest.param(line(GOOD_FAVOR, at="soon"), ("Favor.at", "'soon'"), id="bad-time"),
    pytest.param(line(GOOD_FAVOR, tags="x"), ("Favor.tags", "'x'"), id="tags-string"),
    pytest.param(
        line(GOOD_FAVOR, receiver="ann"), ("Favor.receiver", "'ann'"), id="self-favor"
    ),
    pytest.param(
        line(GOOD_FAVOR, referral_share="1/2"),
        ("Favor.referral_share", "Favor.via"),
        id="share-without-via",
    ),
    pytest.param(line(GOOD_PERSON, name=5), ("Person.name", "5"), id="person-name-int"),
    pytest.param(
        line(GOOD_REVERSAL, reason=5), ("Reversal.reason", "5"), id="reason-int"
    ),
    # Reproductions 5 and 6: hostile or malformed JSON, each our own error.
    pytest.param(
        line(GOOD_FAVOR)[:-1] + ', "id": "f2"}',
        ("duplicate key", "'id'"),
        id="duplicate-key",
    ),
    pytest.param(
        line(GOOD_FAVOR, tags={"a": 1}),
        ("Favor.tags", "a list of strings", "{'a': 1}", "an object"),
        id="tags-object",
    ),
    pytest.param(
        line(GOOD_FAVOR, tags=["a", 1]),
        ("Favor.tags", "a list of strings"),
        id="tags-with-a-number",
    ),
    pytest.param(
        line(GOOD_FAVOR, value="1_5"), ("Favor.value", "'1_5'"), id="underscore"
    ),
    pytest.param(
        line(GOOD_FAVOR, value="\u0663"),
        ("Favor.value", "'\u0663'"),
        id="arabic-indic-digit",
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...)[:-1] + ', "value": ' + "9" * 5000 + "}",
        ("Favor.value", "<a number of 5000 characters>", "at most 64"),
        id="5000-digit-number",
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...)[:-1] + ', "value": 1.' + "0" * 5000 + "1}",
        ("Favor.value", "<a number of 5003 characters>"),
        id="5000-digit-decimal",
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...)[:-1] + ', "value": 1e-99999999}',
        ("Favor.value", "1E-99999999", "10**12"),
        id="tiny-exponent",
    ),
    pytest.param(
        line(GOOD_FAVOR, tags=...)[:-1] + ', "tags": ' + "[" * 100_000 + "}",
        ("not valid JSON", "nested too deeply"),
        id="tags-nested-100000-deep",
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...)[:-1] + ', "value": NaN}',
        ("not valid JSON", "NaN"),
        id="value-nan-constant",
    ),
    pytest.param(
        line(GOOD_FAVOR, value=...)[:-1] + ', "value": -Infinity}',
        ("not valid JSON", "-Infinity"),
        id="value-infinity-constant",
    ),
    pytest.param(line(GOOD_FAVOR, id=7), ("Favor.id", "text", "7"), id="id-number"),
    pytest.param(
        line(GOOD_FAVOR, at=1717200000), ("Favor.at", "text"), id="time-number"
    ),
    pytest.param(
        line(GOOD_FAVOR, value=[1]), ("Favor.value", "[1]", "a list"), id="value-list"
    ),
    pytest.param(
        line(GOOD_FAVOR, giver=None), ("Favor.giver", "null"), id="giver-null"
    ),
    pytest.param(
        line(GOOD_FAVOR, giver="ann\ud800"),
        ("Favor.giver", "\\ud800"),
        id="lone-surrogate-id",
    ),
    pytest.param(
        line(GOOD_FAVOR, reason="caf\udce9"),
        ("Favor.reason", "\\udce9", "surrogate"),
        id="lone-surrogate-reason",
    ),
    pytest.param(
        line(GOOD_FAVOR, giver="ann\x1b[2J"),
        ("Favor.giver", "'\\x1b'"),
        id="escape-sequence-id",
    ),
    pytest.param(
        line(GOOD_FAVOR, at="0001-01-01T00:00:00+05:00"),
        ("Favor.at", "0001-01-01T00:00:00+05:00"),
        id="year-zero-in-utc",
    ),
]


@pytest.mark.parametrize(("bad_line", "fragments"), BAD_LINES)
def test_every_kind_of_bad_line_is_a_clear_format_error(
    tmp_path: Path, bad_line: str, fragments: tuple[str, ...]
) -> None:
    """Each bad line, between good ones, is refused with a message that says why."""
    path = write_lines(
        tmp_path / "ledger.jsonl", line(GOOD_PERSON), bad_line, line(GOOD_FAVOR)
    )
    with pytest.raises(FormatError) as caught:
        read_jsonl(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    assert caught.value.line == 2
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    """Reproduction 5: JSONL that is not UTF-8 was a UnicodeDecodeError."""
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(
        (line(GOOD_PERSON) + "\n").encode() + b'{"format": 1, "type": "\xff"}\n'
    )
    with pytest.raises(FormatError, match=r":2: not UTF-8 text \(byte 0xff"):
        read_jsonl(path)


def test_a_line_too_long_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    """A line past MAX_LINE_BYTES is refused by its length, naming the line."""
    path = tmp_path / "ledger.jsonl"
    with path.open("wb") as out:
        out.write((line(GOOD_PERSON) + "\n").encode())
        out.write(b" " * (MAX_LINE_BYTES + 10) + b"\n")
    with pytest.raises(FormatError, match=r":2: the line is longer than"):
        read_jsonl(path)


# ----------------------------------------------------------- exact numbers


@pytest.mark.parametrize(
    ("number", "exact"),
    [
        ("0.1", Decimal("0.1")),
        ("2.50", Decimal("2.5")),  # in normal form
        ("3", Decimal("3")),
        ("1e2", Decimal("100")),
        ("0.000000000001", Decimal("1E-12")),
        ("123456789.123456789", Decimal("123456789.123456789")),
    ],
)
def test_json_numbers_in_value_are_read_as_exact_decimals(
    number: str, exact: Decimal
) -> None:
    """``"value": 0.1`` is the decimal 0.1, never the float nearest to it (in
    normal form: ``2.50`` is ``2.5`` and ``1e2`` is ``100``)."""
    text = line(GOOD_FAVOR).replace('"value": "2"', f'"value": {number}')
    favor = loads_entry(text)
    assert isinstance(favor, Favor)
    assert type(favor.value) is Decimal
    assert repr(favor.value) == repr(exact)


def test_json_number_values_add_up_exactly(tmp_path: Path) -> None:
    """Favors of 0.1 and 0.2 written as JSON numbers total exactly 0.3."""
    path = write_lines(
        tmp_path / "ledger.jsonl",
        line(GOOD_FAVOR).replace('"value": "2"', '"value": 0.1'),
        line(GOOD_FAVOR, id="f2").replace('"value": "2"', '"value": 0.2'),
        line(GOOD_FAVOR, id="f3", via="carol", value="1").replace(
            '"referral_share": null', '"referral_share": 0.25'
        ),
    )
    led = Ledger.from_entries(read_jsonl(path))
    assert led.balance("ann") == Decimal("1.55")
    assert led.favors["f3"].referral_share == Decimal("0.25")
    assert repr(led.balance("bob")) == "Decimal('-1.3')"


# ------------------------------------------------------------ atomic writes


def _failing_after(entries: list[Entry]) -> Iterator[Entry]:
    yield from entries
    raise RuntimeError("serialisation failed midway")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    """If writing fails midway, the target keeps its old bytes; nothing is left over."""
    led = small_ledger()
    path = tmp_path / "ledger.jsonl"
    write_jsonl(led.log, path)
    old = path.read_bytes()
    with pytest.raises(RuntimeError, match="midway"):
        write_jsonl(_failing_after([*led.log, *led.log]), path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["ledger.jsonl"]


def test_a_failed_first_write_creates_no_file(tmp_path: Path) -> None:
    """Writing a new file that fails midway leaves the directory empty."""
    path = tmp_path / "new.jsonl"
    with pytest.raises(RuntimeError, match="midway"):
        write_jsonl(_failing_after(list(small_ledger().log)), path)
    assert os.listdir(tmp_path) == []


def test_a_successful_write_replaces_the_file_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    """A write replaces the whole file and returns how many entries it wrote."""
    path = tmp_path / "ledger.jsonl"
    path.write_text("old contents that are not json\n", "utf-8")
    led = small_ledger()
    assert write_jsonl(led.log, path) == len(led.log)
    assert sorted(os.listdir(tmp_path)) == ["ledger.jsonl"]
    assert read_jsonl(path) == list(led.log)


# ------------------------------------------------------- file permissions
@given(
    umask=st.sampled_from([0o000, 0o002, 0o022, 0o027, 0o077]),
    existing=st.none() | st.sampled_from([0o600, 0o640, 0o644, 0o664]),
)
def test_a_written_file_gets_the_usual_mode_or_keeps_its_own(umask, existing) -> None:
    """A new file is created with the mode any new file gets (``0o666`` less
    the umask: never executable, never more open than the user allows); a
    file written over keeps its own permissions."""
    entries = list(small_ledger().log)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.jsonl"
        if existing is not None:
            path.write_text("", "utf-8")
            path.chmod(existing)
        old = os.umask(umask)
        try:
            write_jsonl(entries, path)
        finally:
            os.umask(old)
        mode = path.stat().st_mode & 0o7777
    assert mode == (0o666 & ~umask if existing is None else existing)


# ------------------------------------------------- only entries are written
not_entries = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(Debt, st.just("ann"), st.just("bob"), st.just(Decimal(1))),
    st.builds(Transfer, st.just("ann"), st.just("bob"), st.just(Decimal(1))),
)


@given(thing=not_entries)
def test_only_entries_are_written(thing: object) -> None:
    """Something that is not an entry (a debt, a transfer, a dict, None) is
    refused with an error naming what was given, and writing a log that holds
    one creates no file: every line written can be read back."""
    with pytest.raises(InvalidValueError, match="entry must be a Person"):
        dumps_entry(thing)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.jsonl"
        with pytest.raises(InvalidValueError, match="entry must be"):
            write_jsonl([*small_ledger().log, thing], path)  # type: ignore[list-item]
        assert not path.exists()
