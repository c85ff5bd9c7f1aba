"""A JSONL field of the wrong JSON type is refused naming the field, the
JSON type it must have (and whether it may be null), and what it holds.

The reader checks each field's JSON type before the model sees it (the
model would take ``{"a": 1}`` as the tags ``"a"``); the message is the
whole promise, so it is compared whole.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import attrs
import cattrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Favor, FavorLedgerError
from favorledger.errors import FormatError
from favorledger.io.files import MAX_LINE_BYTES
from favorledger.io.jsonl import (
    TornLineWarning,
    _amount,
    _expected,
    _make_converter,
    _string,
    _strings,
    dumps_entry,
    loads_entry,
    read_jsonl,
    read_jsonl_located,
    write_jsonl,
)
from favorledger.model import Entry
from favorledger.testing.strategies import ledgers, person_ids

AT = "2024-01-01T00:00:00+00:00"

FAVOR = {
    "format": 1,
    "type": "favor",
    "id": "f1",
    "giver": "a",
    "receiver": "b",
    "value": 1,
    "at": "2024-01-01T00:00:00+00:00",
}

WRONG = [
    ("via", 5, "Favor.via must be text or null, got 5 (a number)"),
    (
        "value",
        True,
        "Favor.value must be a number or numeric text, got True (a boolean)",
    ),
    (
        "tags",
        {"a": 1},
        "Favor.tags must be a list of strings, got {'a': 1} (an object)",
    ),
    ("giver", ["a"], "Favor.giver must be text, got ['a'] (a list)"),
    ("tags", "car", "Favor.tags must be a list of strings, got 'car' (text)"),
    ("reason", None, "Favor.reason must be text, got nothing (null)"),
    ("at", 5, "Favor.at must be text (an ISO-8601 time), got 5 (a number)"),
    ("giver", 5.5, "Favor.giver must be text, got 5.5 (a number)"),
    (
        "referral_share",
        [1],
        "Favor.referral_share must be a number or numeric text or null,"
        " got [1] (a list)",
    ),
    ("fulfils", False, "Favor.fulfils must be text or null, got False (a boolean)"),
]


@pytest.mark.parametrize(("field", "value", "message"), WRONG)
def test_a_field_of_the_wrong_json_type_is_refused_naming_both_types(
    field: str, value: object, message: str
) -> None:
    """The message names ``Record.field``, the JSON type it must have ("or
    null" where it may be missing), the value and its JSON type."""
    with pytest.raises(FormatError) as caught:
        loads_entry(json.dumps({**FAVOR, field: value}))
    assert str(caught.value) == message


@pytest.mark.parametrize("field", ["via", "referral_share", "fulfils"])
def test_an_optional_field_may_be_null(field: str) -> None:
    """``null`` is what an optional field holds when it is not given."""
    assert getattr(loads_entry(json.dumps({**FAVOR, field: None})), field) is None


def test_the_model_s_own_refusal_is_passed_on_word_for_word() -> None:
    """A line of the right JSON types that the model refuses is refused with
    the model's message, naming the field and value."""
    with pytest.raises(FormatError) as caught:
        loads_entry(json.dumps({**FAVOR, "value": -0.5}))
    assert str(caught.value) == "Favor.value must be positive, got -0.5"


def test_an_entry_type_that_is_not_text_is_refused_by_name() -> None:
    """``type`` must name a kind of entry; a list is refused like a word."""
    with pytest.raises(FormatError) as caught:
        loads_entry(json.dumps({**FAVOR, "type": ["favor"]}))
    assert str(caught.value).startswith("type must be one of [")
    assert str(caught.value).endswith("], got ['favor']")


def test_a_line_of_the_longest_length_is_read_and_one_longer_refused() -> None:
    """A line of exactly ``MAX_LINE_BYTES`` characters is read (JSON allows
    trailing spaces); one character more is refused, saying the limit."""
    line = json.dumps(FAVOR)
    longest = line + " " * (MAX_LINE_BYTES - len(line))
    assert loads_entry(longest).id == "f1"  # type: ignore[union-attr]
    with pytest.raises(FormatError) as caught:
        loads_entry(longest + " ")
    assert str(caught.value) == "an entry must be at most 1,048,576 characters"


def test_names_are_written_as_they_are_not_escaped() -> None:
    """A line keeps non-ASCII text readable (UTF-8, not ``\\u`` escapes)."""
    line = dumps_entry(Favor(giver="Zoë", receiver="李", value=1, id="f1", at=AT))
    assert '"giver": "Zoë"' in line
    assert '"receiver": "李"' in line


def test_reading_with_line_numbers_refuses_a_torn_tail_unless_asked(
    tmp_path: Path,
) -> None:
    """By default a final line cut off mid-JSON is an error naming the file
    and line; skipping it is an explicit choice, warned about at the
    caller's line (the caller of ``read_jsonl`` or
    ``read_jsonl_located``)."""
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(FAVOR) + "\n" + '{"format": 1, "ty')
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}:2: not valid JSON"):
        read_jsonl_located(path)
    with pytest.warns(TornLineWarning) as warned:
        assert [e.id for e in read_jsonl(path, skip_torn_tail=True)] == ["f1"]  # type: ignore[union-attr]
    assert {w.filename for w in warned} == {_CALLER}
    with pytest.warns(TornLineWarning) as warned:
        assert [n for n, _ in read_jsonl_located(path, skip_torn_tail=True)] == [1]
    assert {w.filename for w in warned} == {_CALLER}


_CALLER = (
    __file__
    if "MUTANT_UNDER_TEST" not in os.environ
    else str(
        Path(sys.modules["mutmut"].__file__ or "").parent / "mutation" / "trampoline.py"
    )
)
"""The file a warning names as its caller: this one, or under mutation testing
mutmut's trampoline, which it puts between every call of a mutated function
(``tools/mutate.py`` runs these tests there too)."""


def test_a_store_is_not_overwritten_by_a_jsonl_file_unless_forced(
    tmp_path: Path,
) -> None:
    """Writing JSONL over an SQLite database is refused and leaves it whole;
    ``force=True`` replaces it."""
    path = tmp_path / "ledger.db"
    sqlite3.connect(path).execute("create table t (x)").connection.commit()
    before = path.read_bytes()
    with pytest.raises(FavorLedgerError, match="SQLite"):
        write_jsonl([], path)
    assert path.read_bytes() == before
    assert write_jsonl([loads_entry(json.dumps(FAVOR))], path, force=True) == 1
    assert [e.id for e in read_jsonl(path)] == ["f1"]  # type: ignore[union-attr]


def test_a_field_the_entry_does_not_have_is_refused_naming_it_and_the_entry() -> None:
    """Unknown keys are refused (not dropped), named with the entry type."""
    with pytest.raises(FormatError) as caught:
        loads_entry(json.dumps({**FAVOR, "colour": "red", "size": 2}))
    assert str(caught.value) == "extra fields found (colour, size) @ Favor"


def test_a_rule_across_fields_is_passed_on_word_for_word() -> None:
    """A line whose fields are each fine but break a rule together is
    refused with the model's message."""
    with pytest.raises(FormatError) as caught:
        loads_entry(json.dumps({**FAVOR, "receiver": "a"}))
    assert (
        str(caught.value)
        == "Favor.receiver must differ from Favor.giver, got 'a' for both"
    )


def test_only_a_final_line_without_its_newline_can_be_torn(tmp_path: Path) -> None:
    """Even when asked to skip a torn tail, a final line that ends with its
    newline but is not JSON is an error naming the file and line."""
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(FAVOR) + "\n" + '{"format": 1, "ty\n')
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}:2: not valid JSON"):
        read_jsonl(path, skip_torn_tail=True)


def test_bytes_that_are_not_utf8_are_refused_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    """The message of a line that is not UTF-8 begins with ``file:line:``."""
    path = tmp_path / "log.jsonl"
    path.write_bytes(json.dumps(FAVOR).encode() + b"\n\xff\xfe\n")
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}:2: "):
        read_jsonl_located(path)


def _json_form(value: object) -> object:
    """A value as the JSONL format writes it: amounts as their exact text,
    times as ISO-8601 text, tags as a sorted list, debts as objects."""
    if attrs.has(type(value)):
        return {
            f.name: _json_form(getattr(value, f.name))
            for f in attrs.fields(type(value))
        }
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [_json_form(item) for item in value]
    return value


@st.composite
def _entries(draw: st.DrawFn) -> list[Entry]:
    """A market ledger's log, and a favor using every optional field."""
    led = draw(ledgers(market=True, max_favors=8))
    tags = draw(st.frozensets(person_ids(), max_size=4))
    favor = Favor(
        giver="ann",
        receiver="bob",
        value=draw(st.sampled_from(["1/3", "2.50", "7"])),
        via="cy",
        referral_share="1/4",
        tags=tags,
        reason="lift",
        at=AT,
        id="f-all",
    )
    return [*led.log, favor]


@settings(max_examples=40)
@given(entries=_entries())
def test_the_converter_writes_each_field_in_its_json_form_and_reads_it_back(
    entries: list[Entry],
) -> None:
    """The converter the format is built on (made afresh here, as the module
    makes it once) writes amounts as exact text, times as ISO-8601 text, tags
    as a sorted list of strings; reads every entry back equal; and refuses a
    field the entry does not have."""
    converter = _make_converter()
    for entry in entries:
        body = converter.unstructure(entry)
        assert body == _json_form(entry)
        assert json.loads(json.dumps(body)) == body
        assert converter.structure(body, type(entry)) == entry
        with pytest.raises(cattrs.ClassValidationError) as refused:
            converter.structure({**body, "colour": "red"}, type(entry))
        extra = refused.value.exceptions
        assert [e.extra_fields for e in extra] == [{"colour"}]  # type: ignore[attr-defined]


def test_each_annotation_has_the_json_type_its_fields_must_have() -> None:
    """Fields are checked by their annotation: text, a time as text, an
    amount as a number or numeric text, tags as a list of strings; ``| None``
    also allows null; any other annotation is left to the model."""
    forms = {
        "str": (_string, "text"),
        "datetime": (_string, "text (an ISO-8601 time)"),
        "Amount": (_amount, "a number or numeric text"),
        "frozenset[str]": (_strings, "a list of strings"),
    }
    for annotation, (check, wanted) in forms.items():
        assert _expected(annotation) == (check, wanted, False)
        assert _expected(f"{annotation} | None") == (check, wanted, True)
    assert _expected("tuple[Debt, ...]") is None
    assert _expected("int | None") is None
    assert _expected("None") is None
