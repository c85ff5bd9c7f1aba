"""Bad input gets a clear error and changes nothing.

The promise, for every public entry point that takes user input:

* a refused call raises the specific favorledger exception for the problem,
  which is also a :class:`~favorledger.FavorLedgerError` and the builtin a
  Python programmer would expect (``ValueError`` for a bad value,
  ``LookupError`` for an unknown name);
* its message names the field (``"Favor.value"``) and shows the bad value as
  a person sees it (``favorledger.errors.shown``: text quoted, numbers as
  numbers, times in ISO 8601, never a Python repr such as ``Decimal('1')``);
* the ledger is exactly as it was: its log, as exported, byte for byte, its
  balances and who owes whom.

The table below lists every kind of bad input; the hypothesis property at the
end throws bad calls at arbitrary ledgers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    AlreadyReversedError,
    Decay,
    DuplicateFavorError,
    Favor,
    FavorLedgerError,
    InvalidFavorError,
    InvalidPersonError,
    InvalidPolicyError,
    InvalidValueError,
    Ledger,
    Person,
    Reversal,
    Transfer,
    UnknownFavorError,
    UnknownPersonError,
)
from favorledger.errors import shown
from favorledger.io.jsonl import dumps_entry
from favorledger.model import MAX_ID_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH, kept_id
from favorledger.testing.strategies import favors, ledgers, person_ids

# --------------------------------------------------------------------- fixtures

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"
T3 = "2024-03-01T09:00:00+00:00"
LATER = "2024-06-01T00:00:00+00:00"
BEFORE_T1 = "2023-12-31T09:00:00+00:00"

BUILTIN: dict[type[FavorLedgerError], type[Exception]] = {
    InvalidValueError: ValueError,
    InvalidFavorError: ValueError,
    InvalidPersonError: ValueError,
    InvalidPolicyError: ValueError,
    DuplicateFavorError: ValueError,
    AlreadyReversedError: ValueError,
    UnknownPersonError: LookupError,
    UnknownFavorError: LookupError,
}
"""The builtin exception each favorledger exception must also be."""


def populated(*, strict: bool = False) -> Ledger:
    """A ledger with people, tags, a referral, a fraction, a reversal, a restatement.

    In the non-strict ledger "dan" is added implicitly by his first favor.
    """
    led = Ledger(referral_share="1/3", strict=strict)
    led.add_person("ann", name="Ann", tags={"python", "marketing"})
    led.add_person("bob")
    led.add_person("carol", tags={"hiring"})
    if strict:
        led.add_person("dan")
    led.record("carol", "ann", 3, kind="introduction", via="bob", id="f1", at=T1)
    led.record("ann", "bob", "1/3", id="f2", at=T2, tags={"advice"})
    led.record("dan", "carol", "2.50", id="f3", at=T2, reason="moved a sofa")
    led.record("bob", "dan", 4, via="carol", referral_share="1/4", id="f4", at=T3)
    led.reverse("f3", id="r1", at=T3, reason="entered twice")
    led.add_person("bob", name="Bob", tags={"design"})
    return led


def snapshot(led: Ledger) -> str:
    """Everything observable about a ledger, as text to compare byte for byte."""
    return "\n".join(
        [
            "\n".join(dumps_entry(entry) for entry in led.log),
            repr(sorted(led.balances().items())),
            repr(led.who_owes_whom()),
            *(dumps_entry(person) for _, person in sorted(led.people.items())),
            repr(sorted(led.reversals.items())),
        ]
    )


def test_the_fixture_ledger_is_what_the_table_assumes() -> None:
    """The pre-populated ledger has the favors and reversal the cases refer to."""
    for strict in (False, True):
        led = populated(strict=strict)
        assert sorted(led.favors) == ["f1", "f2", "f3", "f4"]
        assert led.is_reversed("f3")
        assert not led.is_reversed("f1")
        assert led.favors["f1"].referral_share == Fraction(1, 3)
        assert led.people["bob"].tags == {"design"}
        assert "zed" not in led.people


# ----------------------------------------------------------------- bad values

AMOUNTS: list[tuple[str, object]] = [
    ("float", 0.5),
    ("integral-float", 2.0),
    ("bool", True),
    ("nan", float("nan")),
    ("decimal-nan", Decimal("NaN")),
    ("decimal-snan", Decimal("sNaN")),
    ("text-nan", "nan"),
    ("inf", float("inf")),
    ("-inf", float("-inf")),
    ("decimal-inf", Decimal("Infinity")),
    ("decimal--inf", Decimal("-Infinity")),
    ("text-inf", "inf"),
    ("text--inf", "-Infinity"),
    ("negative", -3),
    ("negative-decimal", Decimal("-0.5")),
    ("negative-fraction", Fraction(-1, 3)),
    ("negative-text", "-2"),
    ("too-large", 10**15),
    ("too-large-decimal", Decimal("1e15")),
    ("too-large-text", "1000000000000000"),
    ("too-large-fraction", Fraction(10**16, 3)),
    ("too-fine", Decimal("1e-13")),
    ("too-fine-text", "0.0000000000001"),
    ("too-fine-fraction", Fraction(1, 3 * 10**12)),
    ("words", "three"),
    ("empty-text", ""),
    ("whitespace", "   "),
    ("divide-by-zero", "1/0"),
    ("hex", "0x10"),
    ("none", None),
    ("list", [1]),
    ("complex", 1j),
    ("too-fine-exponent-text", "1e-99999999"),  # would build 10**99999999
    ("too-fine-1e-999999", "1e-999999"),
    ("too-fine-exponent-decimal", Decimal("1e-99999999")),
    ("too-large-exponent-text", "1e99999999"),
    ("too-fine-forty-one-places", "0." + "0" * 40 + "1"),
    ("underscore", "1_5"),
    ("arabic-indic-digit", "\u0663"),
    ("fullwidth-digits", "\uff11\uff12"),
    ("unicode-minus-fraction", "1/\u0663"),
    ("spaced-fraction", "1 / 3"),
    ("exponent-fraction", "1e3/7"),
]
"""Values no amount or share field accepts."""

HUGE: list[tuple[str, object, str]] = [
    ("5000-digit-text", "9" * 5000, "(5000 characters)"),
    ("5000-digit-int", 10**5000, "<an integer of about 5001 digits>"),
    ("5000-digit-negative-int", -(10**5000), "<an integer of about 5001 digits>"),
    ("fine-fraction", Fraction(1, 5**10000), "<a Fraction too large to show>"),
    ("long-padded-text", " " * 100 + "1", "(101 characters)"),
]
"""Values refused by their size before anything is built from them:
(label, value, how the message shows it, since its repr is too long)."""

ZEROS: list[tuple[str, object]] = [
    ("zero", 0),
    ("zero-decimal", Decimal("0.00")),
    ("negative-zero", Decimal("-0")),
    ("zero-text", "0"),
    ("zero-fraction", Fraction(0)),
]
"""Zero: refused as a value or amount (a share may be zero)."""

ABOVE_ONE: list[tuple[str, object]] = [
    ("two", 2),
    ("above-one-text", "1.5"),
    ("above-one-fraction", Fraction(4, 3)),
    ("just-above-one", "1.000000000001"),
]
"""Shares above 1: a referrer cannot owe more than the favor is worth."""

IDS: list[tuple[str, object]] = [
    ("empty", ""),
    ("whitespace", "   "),
    ("newline", "\n"),
    ("none", None),
    ("int", 7),
    ("bytes", b"ann"),
    ("list", ["ann"]),
    ("lone-surrogate", "ann\ud800"),
    ("surrogate-escaped-byte", "ann\udcff"),  # a non-UTF-8 byte in argv
    ("escape-sequence", "ann\x1b[2J"),
    ("inner-newline", "ann\nbob"),
    ("nul", "ann\x00"),
    ("bidi-override", "ann\u202egnp.exe"),
    ("zero-width-space", "ann\u200b"),
    ("line-separator", "ann\u2028bob"),
]
"""Values no id (person, favor, kind, tag) accepts: ids are printable
(``str.isprintable``), see :mod:`favorledger.model`."""

SOME_IDS = [(label, bad) for label, bad in IDS if bad is not None]
"""Bad ids for optional fields, where ``None`` means "the default"."""

TEXTS: list[tuple[str, object]] = [
    ("none", None),
    ("int", 7),
    ("bytes", b"x"),
    ("lone-surrogate", "a\ud800"),
    ("surrogate-escaped-byte", "caf\udce9"),  # latin-1 bytes in argv
]
"""Values no free-text field (reason, name) accepts."""

TIMES: list[tuple[str, object]] = [
    ("naive", datetime(2024, 6, 1)),
    ("naive-text", "2024-06-01T00:00:00"),
    ("bad-text", "yesterday"),
    ("empty-text", ""),
    ("date", date(2024, 6, 1)),
    ("int", 1717200000),
    ("float", 1717200000.0),
    ("year-one-east", "0001-01-01T00:00:00+05:00"),  # year 0 in UTC
    ("year-one", datetime(1, 1, 1, tzinfo=UTC)),
    ("year-9999-west", "9999-12-31T23:00:00-05:00"),  # year 10000 in UTC
    ("year-9999", datetime(9999, 12, 31, tzinfo=UTC)),
]
"""Values no time field accepts: times must be timezone-aware and lie
between ``favorledger.model.EARLIEST`` and ``LATEST``."""

TAG_SETS: list[tuple[str, object, object]] = [
    ("bare-string", "python", "python"),
    ("bytes", b"python", b"python"),
    ("int", 5, 5),
    ("none", None, None),
    ("empty-tag", [""], ""),
    ("whitespace-tag", ["  "], "  "),
    ("none-tag", [None], None),
    ("int-tag", [7], 7),
    ("mapping", {"a": 1}, {"a": 1}),
    ("surrogate-tag", ["py\ud800"], "py\ud800"),
    ("control-tag", ["py\x1b"], "py\x1b"),
]
"""(label, tags, the bad value the message must show)."""

HALF_LIVES: list[tuple[str, object]] = [
    ("zero", timedelta(0)),
    ("negative", timedelta(seconds=-1)),
    ("int", 5),
    ("float", 3600.0),
    ("text", "P1D"),
    ("bool", True),
]
"""Values no half-life accepts (it must be a positive timedelta or None)."""

# --------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Bad:
    """A call that must be refused with ``error`` whose message has ``fragments``."""

    call: Callable[[Ledger], object]
    error: type[FavorLedgerError]
    fragments: tuple[str, ...]
    strict: bool = False


def seen(value: object) -> str:
    """What a message must show of a bad amount: a number as a number,
    whatever type it came as (``'-2'`` typed is shown ``-2`` once parsed, or
    ``'-2'`` if refused as text: either holds ``-2``)."""
    return value if isinstance(value, str) else shown(value)


def bad(
    label: str,
    call: Callable[[Ledger], object],
    error: type[FavorLedgerError],
    *fragments: str,
    strict: bool = False,
) -> Any:
    return pytest.param(Bad(call, error, fragments, strict), id=label)


def recording(**fields: object) -> Callable[[Ledger], object]:
    """``led.record`` of a valid new favor, with ``fields`` overridden."""
    arguments: dict[str, Any] = {
        "giver": "ann",
        "receiver": "bob",
        "value": 1,
        "at": LATER,
        "id": "new",
    }
    arguments.update(fields)
    return lambda led: led.record(**arguments)


def adding(make: Callable[[], object]) -> Callable[[Ledger], object]:
    """``led.add`` of the entry ``make`` builds (building it may be what fails)."""
    return lambda led: led.add(make())


def calling(method: str, *args: object, **kwargs: object) -> Callable[[Ledger], object]:
    """``led.<method>(*args, **kwargs)``."""
    return lambda led: getattr(led, method)(*args, **kwargs)


def constructing(
    cls: Callable[..., object], *args: object, **kwargs: object
) -> Callable[[Ledger], object]:
    """``cls(*args, **kwargs)``, ignoring the ledger."""
    return lambda _led: cls(*args, **kwargs)


def batch(*bad_tail: object) -> Callable[[Ledger], object]:
    """``led.add_many`` of valid new entries followed by ``bad_tail``."""

    def call(led: Ledger) -> object:
        valid = [
            Person("eve", tags={"go"}),
            Favor(giver="ann", receiver="eve", value=2, id="f9", at=LATER),
            Reversal(favor_id="f9", id="r9", at=LATER),
            Person("ann", name="Annie"),
            Favor(giver="eve", receiver="bob", value="0.5", via="ann", at=LATER),
        ]
        return led.add_many([*valid, *bad_tail])

    return call


def _value_cases() -> Iterator[Any]:
    for label, value in AMOUNTS + ZEROS:
        why = seen(value)
        yield bad(
            f"record-value-{label}",
            recording(value=value),
            InvalidFavorError,
            "Favor.value",
            why,
        )
        if "too-large" in label or "too-fine" in label:
            continue  # a transfer's amount is derived: never refused by size
        yield bad(
            f"transfer-amount-{label}",
            constructing(Transfer, "ann", "bob", value),
            InvalidValueError,
            "Transfer.amount",
            why,
        )
        yield bad(
            f"decay-quantum-{label}",
            constructing(Decay, quantum=value),
            InvalidPolicyError,
            "Decay.quantum",
            why,
        )
    for label, value in [("fifty-hundredths", "0.05"), ("25", 25), ("third", "1/3")]:
        yield bad(
            f"decay-quantum-{label}",
            constructing(Decay, quantum=value),
            InvalidPolicyError,
            "Decay.quantum",
            seen(value),
        )
    yield bad(
        "add-favor-value",
        adding(lambda: Favor(giver="ann", receiver="bob", value=-1)),
        InvalidFavorError,
        "Favor.value",
        "-1",
    )


def _share_cases() -> Iterator[Any]:
    for label, share in AMOUNTS + ABOVE_ONE:
        why = seen(share)
        yield bad(
            f"ledger-share-{label}",
            constructing(Ledger, referral_share=share),
            InvalidPolicyError,
            "referral_share",
            why,
        )
        if share is None:  # None asks for the ledger's default share
            continue
        yield bad(
            f"record-share-{label}",
            recording(via="carol", referral_share=share),
            InvalidFavorError,
            "Favor.referral_share",
            why,
        )
    yield bad(
        "record-share-without-via",
        recording(referral_share=Decimal("0.5")),
        InvalidFavorError,
        "Favor.referral_share",
        "Favor.via",
        "0.5",
    )
    yield bad(
        "add-favor-share-without-via",
        adding(lambda: Favor(giver="a", receiver="b", value=1, referral_share=0)),
        InvalidFavorError,
        "Favor.referral_share",
        "Favor.via",
    )


def _id_cases() -> Iterator[Any]:
    for label, raw in IDS:
        why = shown(raw)
        yield bad(
            f"record-giver-{label}",
            recording(giver=raw),
            InvalidFavorError,
            "Favor.giver",
            why,
        )
        yield bad(
            f"record-receiver-{label}",
            recording(receiver=raw),
            InvalidFavorError,
            "Favor.receiver",
            why,
        )
        yield bad(
            f"record-kind-{label}",
            recording(kind=raw),
            InvalidFavorError,
            "Favor.kind",
            why,
        )
        yield bad(
            f"add-person-id-{label}",
            calling("add_person", raw),
            InvalidPersonError,
            "Person.id",
            why,
        )
        yield bad(
            f"transfer-payer-{label}",
            constructing(Transfer, raw, "bob", 1),
            InvalidValueError,
            "Transfer.payer",
            why,
        )
        yield bad(
            f"transfer-payee-{label}",
            constructing(Transfer, "ann", raw, 1),
            InvalidValueError,
            "Transfer.payee",
            why,
        )
    for label, raw in SOME_IDS:
        why = shown(raw)
        yield bad(
            f"record-via-{label}",
            recording(via=raw),
            InvalidFavorError,
            "Favor.via",
            why,
        )
        yield bad(
            f"record-id-{label}",
            recording(id=raw),
            InvalidFavorError,
            "Favor.id",
            why,
        )
        yield bad(
            f"reverse-id-{label}",
            calling("reverse", "f1", id=raw, at=LATER),
            InvalidFavorError,
            "Reversal.id",
            why,
        )
    for label, raw in TEXTS:
        why = shown(raw)
        yield bad(
            f"record-reason-{label}",
            recording(reason=raw),
            InvalidFavorError,
            "Favor.reason",
            why,
        )
        yield bad(
            f"reverse-reason-{label}",
            calling("reverse", "f1", reason=raw, at=LATER),
            InvalidFavorError,
            "Reversal.reason",
            why,
        )
        if raw is not None:  # a name of None means "the id"
            yield bad(
                f"add-person-name-{label}",
                calling("add_person", "ann", raw),
                InvalidPersonError,
                "Person.name",
                why,
            )
    for label, tags, bad_tag in TAG_SETS:
        yield bad(
            f"record-tags-{label}",
            recording(tags=tags),
            InvalidFavorError,
            "Favor.tags",
            shown(bad_tag),
        )
        yield bad(
            f"add-person-tags-{label}",
            calling("add_person", "ann", tags=tags),
            InvalidPersonError,
            "Person.tags",
            shown(bad_tag),
        )


def _time_cases() -> Iterator[Any]:
    for label, raw in TIMES:
        why = shown(raw)
        yield bad(
            f"record-at-{label}",
            recording(at=raw),
            InvalidFavorError,
            "Favor.at",
            why,
        )
        yield bad(
            f"reverse-at-{label}",
            calling("reverse", "f1", at=raw),
            InvalidFavorError,
            "Reversal.at",
            why,
        )
        yield bad(
            f"as-of-{label}",
            calling("as_of", raw),
            InvalidValueError,
            "at",
            why,
        )
        yield bad(
            f"balances-at-{label}",
            calling("balances", at=raw),
            InvalidValueError,
            "at",
            why,
        )
        yield bad(
            f"who-owes-whom-at-{label}",
            calling("who_owes_whom", at=raw),
            InvalidValueError,
            "at",
            why,
        )


def _people_cases() -> Iterator[Any]:
    yield bad(
        "record-giver-is-receiver",
        recording(giver="ann", receiver="ann"),
        InvalidFavorError,
        "Favor.receiver",
        "Favor.giver",
        "'ann'",
    )
    yield bad(
        "record-giver-is-receiver-after-stripping",
        recording(giver="ann", receiver=" ann "),
        InvalidFavorError,
        "Favor.receiver",
        "'ann'",
    )
    yield bad(
        "record-via-is-giver",
        recording(via="ann"),
        InvalidFavorError,
        "Favor.via",
        "Favor.giver",
        "'ann'",
    )
    yield bad(
        "record-via-is-receiver",
        recording(via="bob"),
        InvalidFavorError,
        "Favor.via",
        "Favor.receiver",
        "'bob'",
    )
    yield bad(
        "transfer-payer-is-payee",
        constructing(Transfer, "ann", "ann", 1),
        InvalidValueError,
        "Transfer.payee",
        "'ann'",
    )
    for role in ("giver", "receiver", "via"):
        fields = {"giver": "ann", "receiver": "bob", role: "zed"}
        yield bad(
            f"strict-record-unknown-{role}",
            recording(**fields),
            UnknownPersonError,
            "person",
            "'zed'",
            strict=True,
        )
    yield bad(
        "strict-add-favor-unknown-person",
        adding(lambda: Favor(giver="zed", receiver="ann", value=1, at=LATER)),
        UnknownPersonError,
        "'zed'",
        strict=True,
    )
    unknown: list[tuple[str, object]] = [
        ("name", "zed"),
        ("empty", ""),
        ("blank", "   "),  # " ann " is ann, as a write takes it (test_query_ids)
        ("int", 7),
        ("unhashable", ["ann"]),
    ]
    for label, who in unknown:
        why = repr(who)
        yield bad(
            f"balance-{label}",
            calling("balance", who),
            UnknownPersonError,
            "person",
            why,
        )
        yield bad(
            f"owes-debtor-{label}",
            calling("owes", who, "ann"),
            UnknownPersonError,
            "person",
            why,
        )
        yield bad(
            f"owes-creditor-{label}",
            calling("owes", "ann", who),
            UnknownPersonError,
            "person",
            why,
        )
        yield bad(
            f"history-{label}",
            calling("history", who),
            UnknownPersonError,
            "person",
            why,
        )
        yield bad(
            f"obligations-{label}",
            calling("obligations", who),
            UnknownPersonError,
            "person",
            why,
        )


def _entry_cases() -> Iterator[Any]:
    yield bad(
        "record-duplicate-id",
        recording(id="f2", giver="ann", receiver="bob", value="1/3", at=T2),
        DuplicateFavorError,
        "Favor.id",
        "'f2'",
        "tags",
    )
    yield bad(
        "add-duplicate-favor",
        adding(lambda: Favor(giver="ann", receiver="bob", value=2, id="f2", at=T2)),
        DuplicateFavorError,
        "Favor.id",
        "'f2'",
        "1/3",
        "2",
    )
    yield bad(
        "record-id-of-a-reversal",
        recording(id="r1"),
        DuplicateFavorError,
        "Favor.id",
        "'r1'",
        "a reversal",
    )
    yield bad(
        "reverse-with-id-of-a-favor",
        calling("reverse", "f2", id="f1", at=LATER),
        DuplicateFavorError,
        "Reversal.id",
        "'f1'",
        "a favor",
    )
    yield bad(
        "reverse-with-id-of-another-reversal",
        calling("reverse", "f2", id="r1", at=T3),
        DuplicateFavorError,
        "Reversal.id",
        "'r1'",
        "'f3' != 'f2'",
    )
    for label, favor_id in [("unknown", "nope"), ("int", 7), ("unhashable", ["f1"])]:
        yield bad(
            f"reverse-{label}-favor",
            calling("reverse", favor_id),
            UnknownFavorError,
            "favor",
            repr(favor_id),
        )
    yield bad(
        "is-reversed-unknown-favor",
        calling("is_reversed", "nope"),
        UnknownFavorError,
        "favor",
        "'nope'",
    )
    yield bad(
        "add-reversal-of-unknown-favor",
        adding(lambda: Reversal(favor_id="nope", at=LATER)),
        UnknownFavorError,
        "favor",
        "'nope'",
    )
    yield bad(
        "reverse-twice",
        calling("reverse", "f3"),
        AlreadyReversedError,
        "'f3'",
        "'r1'",
    )
    yield bad(
        "add-second-reversal",
        adding(lambda: Reversal(favor_id="f3", id="r2", at=LATER)),
        AlreadyReversedError,
        "'f3'",
        "'r1'",
    )
    yield bad(
        "reverse-before-the-favor",
        calling("reverse", "f1", at=BEFORE_T1),
        InvalidFavorError,
        "Reversal.at",
        f"got {shown(datetime.fromisoformat(BEFORE_T1))}",
    )
    for label, thing in [
        ("text", "f1"),
        ("none", None),
        ("transfer", Transfer("ann", "bob", 1)),
    ]:
        yield bad(
            f"add-{label}",
            calling("add", thing),
            InvalidFavorError,
            "entry",
            repr(thing),
        )


def _batch_cases() -> Iterator[Any]:
    """``add_many`` is all or nothing: a bad last entry undoes the whole batch."""
    tails: list[tuple[str, object, type[FavorLedgerError], tuple[str, ...]]] = [
        (
            "duplicate-favor",
            Favor(giver="ann", receiver="bob", value=9, id="f2", at=T2),
            DuplicateFavorError,
            ("Favor.id", "'f2'"),
        ),
        (
            "duplicate-of-batch-favor",
            Favor(giver="ann", receiver="eve", value=3, id="f9", at=LATER),
            DuplicateFavorError,
            ("Favor.id", "'f9'"),
        ),
        (
            "reversal-of-unknown-favor",
            Reversal(favor_id="nope", at=LATER),
            UnknownFavorError,
            ("'nope'",),
        ),
        (
            "second-reversal",
            Reversal(favor_id="f3", at=LATER),
            AlreadyReversedError,
            ("'f3'",),
        ),
        (
            "second-reversal-of-batch-favor",
            Reversal(favor_id="f9", at=LATER),
            AlreadyReversedError,
            ("'f9'", "'r9'"),
        ),
        (
            "reversal-before-favor",
            Reversal(favor_id="f4", at=T1),
            InvalidFavorError,
            ("Reversal.at", f"got {shown(datetime.fromisoformat(T1))}"),
        ),
        ("text", "f1", InvalidFavorError, ("entry", "'f1'")),
        ("none", None, InvalidFavorError, ("entry", "None")),
    ]
    for label, tail, error, fragments in tails:
        yield bad(f"add-many-then-{label}", batch(tail), error, *fragments)
        yield bad(
            f"strict-add-many-then-{label}",
            batch(tail),
            error,
            *fragments,
            strict=True,
        )
    yield bad(
        "strict-add-many-then-unknown-person",
        batch(Favor(giver="zed", receiver="ann", value=1, at=LATER)),
        UnknownPersonError,
        "'zed'",
        strict=True,
    )
    single = Favor(giver="ann", receiver="bob", value=1, id="lonely", at=LATER)
    for label, entries in [("int", 5), ("none", None), ("single-favor", single)]:
        yield bad(
            f"add-many-not-a-collection-{label}",
            calling("add_many", entries),
            InvalidFavorError,
            "entries",
            repr(entries),
        )


def _policy_cases() -> Iterator[Any]:
    for label, life in HALF_LIVES:
        why = repr(life)
        yield bad(
            f"decay-half-life-{label}",
            constructing(Decay, half_life=life),
            InvalidPolicyError,
            "Decay.half_life",
            why,
        )
        yield bad(
            f"decay-half-lives-value-{label}",
            constructing(Decay, half_lives={"job": life}),
            InvalidPolicyError,
            "Decay.half_lives['job']",
            why,
        )
    day = timedelta(days=1)
    kinds: list[tuple[str, object]] = [
        ("empty", ""),
        ("whitespace", "  "),
        ("int", 5),
        ("none", None),
    ]
    for label, kind in kinds:
        yield bad(
            f"decay-half-lives-key-{label}",
            constructing(Decay, half_lives={kind: day}),
            InvalidPolicyError,
            "Decay.half_lives",
            repr(kind),
        )
    shapes: list[tuple[str, object]] = [
        ("bare-string", "job"),
        ("int", 5),
        ("pair-missing-a-half-life", [("job",)]),
    ]
    for label, lives in shapes:
        yield bad(
            f"decay-half-lives-{label}",
            constructing(Decay, half_lives=lives),
            InvalidPolicyError,
            "Decay.half_lives",
            repr(lives),
        )
    for method in ("balances", "who_owes_whom"):
        yield bad(
            f"{method}-decay-not-a-decay",
            calling(method, decay="fast"),
            InvalidPolicyError,
            "decay",
            "'fast'",
        )
    for label, strict in [("text", "yes"), ("int", 1), ("none", None)]:
        yield bad(
            f"ledger-strict-{label}",
            constructing(Ledger, strict=strict),
            InvalidPolicyError,
            "strict must be True or False",
            repr(strict),
        )
    for label, explained in [("int", 5), ("not-obligations", ["f1"])]:
        yield bad(
            f"transfer-explained-by-{label}",
            constructing(Transfer, "ann", "bob", 1, explained_by=explained),
            InvalidValueError,
            "Transfer.explained_by",
            repr(explained),
        )


def _size_cases() -> Iterator[Any]:
    """Values, ids, texts, tags and times refused by their size, shown short."""
    for label, value, short in HUGE:
        yield bad(
            f"record-value-{label}",
            recording(value=value),
            InvalidFavorError,
            "Favor.value",
            short,
        )
        yield bad(
            f"record-share-{label}",
            recording(via="carol", referral_share=value),
            InvalidFavorError,
            "Favor.referral_share",
            short,
        )
    long_id = "x" * (MAX_ID_LENGTH + 1)
    for name in ("giver", "receiver", "kind", "via", "id"):
        yield bad(
            f"record-{name}-too-long",
            recording(**{name: long_id}),
            InvalidFavorError,
            f"Favor.{name}",
            f"at most {MAX_ID_LENGTH} characters",
            f"({MAX_ID_LENGTH + 1} characters)",
        )
    yield bad(
        "add-person-id-too-long",
        calling("add_person", long_id),
        InvalidPersonError,
        "Person.id",
        f"({MAX_ID_LENGTH + 1} characters)",
    )
    long_text = "y" * (MAX_TEXT_LENGTH + 1)
    yield bad(
        "record-reason-too-long",
        recording(reason=long_text),
        InvalidFavorError,
        "Favor.reason",
        f"({MAX_TEXT_LENGTH + 1} characters)",
    )
    yield bad(
        "add-person-name-too-long",
        calling("add_person", "ann", long_text),
        InvalidPersonError,
        "Person.name",
        f"({MAX_TEXT_LENGTH + 1} characters)",
    )
    too_many = [f"t{n}" for n in range(MAX_TAGS + 1)]
    yield bad(
        "record-too-many-tags",
        recording(tags=too_many),
        InvalidFavorError,
        "Favor.tags",
        f"at most {MAX_TAGS}",
    )
    yield bad(
        "record-too-many-tags-from-a-generator",
        recording(tags=(f"t{n}" for n in range(10**9))),
        InvalidFavorError,
        "Favor.tags",
        f"at most {MAX_TAGS}",
    )
    yield bad(
        "record-at-too-long",
        recording(at="2024-01-01T00:00:00+00:00" + " " * 100),
        InvalidFavorError,
        "Favor.at",
        "(125 characters)",
    )


BAD_CALLS = [
    *_value_cases(),
    *_size_cases(),
    *_share_cases(),
    *_id_cases(),
    *_time_cases(),
    *_people_cases(),
    *_entry_cases(),
    *_batch_cases(),
    *_policy_cases(),
]


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_input_is_refused_clearly_and_changes_nothing(case: Bad) -> None:
    """Each bad call raises its own error, naming field and value; nothing changes."""
    led = populated(strict=case.strict)
    before = snapshot(led)
    with pytest.raises(FavorLedgerError) as caught:
        case.call(led)
    error = caught.value
    assert type(error) is case.error
    assert isinstance(error, BUILTIN[case.error])
    for fragment in case.fragments:
        assert fragment in str(error), f"{fragment!r} missing from {str(error)!r}"
    assert snapshot(led) == before


def test_the_table_covers_every_error_class() -> None:
    """Every user-facing error class is exercised by at least one bad call."""
    raised = {param.values[0].error for param in BAD_CALLS}
    assert raised == set(BUILTIN)


# ------------------------------------------------------- the limits, inclusive

GOOD_AMOUNTS: list[tuple[str, object]] = [
    ("smallest-decimal", Decimal("1e-12")),
    ("smallest-text", "0.000000000001"),
    ("smallest-fraction", Fraction(1, 10**12)),
    ("finest-binary-fraction", Fraction(1, 2**12)),
    ("fraction-of-small-denominator", Fraction(1, 2**13)),
    ("largest-int", 10**15 - 1),
    ("largest-text", "999999999999999.999999999999"),
    ("padded-text", " 2.5 "),
    ("third", "1/3"),
]
"""Values just inside the limits: they must be accepted, not caught by them."""


@pytest.mark.parametrize(
    ("label", "value"), GOOD_AMOUNTS, ids=[g[0] for g in GOOD_AMOUNTS]
)
def test_values_at_the_limits_are_accepted(label: str, value: object) -> None:
    """A value at the edge of what is allowed is recorded, exactly.

    The resolution limit is on the value (a denominator of at most 10**12),
    so it cannot depend on whether the value happens to have a finite decimal
    expansion: 1/8192 is as acceptable as 1/3.
    """
    led = Ledger()
    favor = led.record("ann", "bob", value, id=label, at=T1)
    assert led.balance("ann") == favor.value > 0


# ---------------------------------------------------- batches: all or nothing


def test_a_batch_with_a_bad_last_entry_records_nothing() -> None:
    """``add_many`` validates as it goes and undoes every entry of a failed batch."""
    led = populated()
    before = snapshot(led)
    new = [
        Person("eve", tags={"go"}),
        Favor(giver="ann", receiver="eve", value=2, id="f9", at=LATER),
        Reversal(favor_id="f1", id="r9", at=LATER),
    ]
    with pytest.raises(UnknownFavorError):
        led.add_many([*new, Reversal(favor_id="nope", at=LATER)])
    assert snapshot(led) == before
    assert "eve" not in led.people
    assert "f9" not in led.favors
    assert not led.is_reversed("f1")
    assert led.add_many(new) == 3  # the same batch without its bad entry is fine


def test_a_batch_whose_source_fails_records_nothing() -> None:
    """If the iterable itself raises midway, the error passes through, undone."""
    led = populated()
    before = snapshot(led)

    def entries() -> Iterator[Favor]:
        yield Favor(giver="ann", receiver="eve", value=2, id="f9", at=LATER)
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        led.add_many(entries())
    assert snapshot(led) == before


# -------------------------------------------------- the property: any ledger


@dataclass(frozen=True)
class BadCall:
    """A call that must be refused; its repr is what hypothesis reports."""

    describe: str
    run: Callable[[Ledger], object] = field(repr=False)


def _one_bad_field(
    led: Ledger, fields: list[tuple[str, object]]
) -> st.SearchStrategy[BadCall]:
    """``record`` of a valid favor among the ledger's people, but one bad field."""
    people = sorted(led.people)
    pairs = st.permutations(people).map(lambda p: (p[0], p[1]))

    def build(pair: tuple[str, str], bad_field: tuple[str, object]) -> BadCall:
        arguments: dict[str, Any] = {"giver": pair[0], "receiver": pair[1], "value": 1}
        arguments[bad_field[0]] = bad_field[1]
        return BadCall(f"record(**{arguments!r})", lambda led: led.record(**arguments))

    return st.builds(build, pairs, st.sampled_from(fields))


def _clashing_people(led: Ledger) -> st.SearchStrategy[BadCall]:
    """``record`` where giver, receiver and via are not distinct."""
    people = sorted(led.people)

    def build(giver: str, receiver: str, via: str | None) -> BadCall:
        return BadCall(
            f"record({giver!r}, {receiver!r}, 1, via={via!r})",
            lambda led: led.record(giver, receiver, 1, via=via),
        )

    person = st.sampled_from(people)
    same = person.map(lambda p: (p, p, None))
    via_clash = st.permutations(people).flatmap(
        lambda p: st.sampled_from([(p[0], p[1], p[0]), (p[0], p[1], p[1])])
    )
    return st.one_of(same, via_clash).map(lambda args: build(*args))


def _unknown_names(led: Ledger) -> st.SearchStrategy[BadCall]:
    """Queries about someone who is not in the ledger."""
    known = sorted(led.people)
    # not named once taken as a query takes an id (" ann" names ann)
    stranger = st.text(max_size=8).filter(
        lambda name: kept_id(name, led.people) is None
    )

    def build(who: str, method: str, other: str) -> BadCall:
        args: tuple[str, ...] = (who, other) if method == "owes" else (who,)
        return BadCall(f"{method}{args!r}", lambda led: getattr(led, method)(*args))

    return st.builds(
        build,
        stranger,
        st.sampled_from(["balance", "owes", "history", "obligations"]),
        st.sampled_from(known),
    )


def _naive_moments() -> st.SearchStrategy[BadCall]:
    """Dated queries given a naive time."""

    def build(moment: datetime, method: str) -> BadCall:
        if method == "as_of":
            return BadCall(f"as_of({moment!r})", lambda led: led.as_of(moment))
        return BadCall(
            f"{method}(at={moment!r})",
            lambda led: getattr(led, method)(at=moment),
        )

    return st.builds(
        build,
        st.datetimes(),
        st.sampled_from(["as_of", "balances", "who_owes_whom"]),
    )


def _bad_entries(led: Ledger) -> st.SearchStrategy[object]:
    """Entries ``add`` must refuse given this ledger's state."""
    options: list[st.SearchStrategy[object]] = [
        st.sampled_from(["f1", None, 3, Transfer("x", "y", 1)]),
        st.builds(
            Reversal,
            favor_id=person_ids(pool=None).filter(lambda i: i not in led.favors),
        ),
    ]
    existing = list(led.favors.values())
    if existing:
        options.append(
            st.sampled_from(existing).map(
                lambda f: Favor(
                    id=f.id,
                    giver=f.giver,
                    receiver=f.receiver,
                    value=f.value + 1,
                    at=f.at,
                )
            )
        )
    reversed_ids = list(led.reversals)
    if reversed_ids:
        options.append(
            st.sampled_from(reversed_ids).map(
                lambda i: Reversal(favor_id=i, at=datetime(2031, 1, 1, tzinfo=UTC))
            )
        )
    if existing:
        options.append(
            st.sampled_from(existing).map(
                lambda f: Reversal(favor_id=f.id, at=f.at - timedelta(seconds=1))
            )
        )
    return st.one_of(options)


def _bad_adds(led: Ledger) -> st.SearchStrategy[BadCall]:
    """``add`` of a bad entry, and ``add_many`` of valid entries then a bad one."""
    people = st.sampled_from(sorted(led.people))

    def single(entry: object) -> BadCall:
        return BadCall(f"add({entry!r})", lambda led: led.add(entry))

    def many(valid: list[Favor], entry: object) -> BadCall:
        entries = [*valid, entry]
        return BadCall(f"add_many({entries!r})", lambda led: led.add_many(entries))

    valid = st.lists(favors(people=people, referrals=len(led.people) >= 3), max_size=4)
    return st.one_of(
        _bad_entries(led).map(single),
        st.builds(many, valid, _bad_entries(led)),
    )


def _bad_person_calls() -> st.SearchStrategy[BadCall]:
    """``add_person`` with a bad id, name or tags."""

    def build(kwargs: dict[str, Any]) -> BadCall:
        return BadCall(
            f"add_person(**{kwargs!r})", lambda led: led.add_person(**kwargs)
        )

    bad_id = st.sampled_from([v for _, v in IDS]).map(lambda v: {"id": v})
    bad_name = st.sampled_from([v for _, v in TEXTS if v is not None]).map(
        lambda v: {"id": "ann", "name": v}
    )
    bad_tags = st.sampled_from([t for _, t, _ in TAG_SETS]).map(
        lambda t: {"id": "ann", "tags": t}
    )
    return st.one_of(bad_id, bad_name, bad_tags).map(build)


def _bad_reversals(led: Ledger) -> st.SearchStrategy[BadCall]:
    """``reverse`` of an unknown favor, or with a bad time, reason or id."""
    unknown = (
        st.text(max_size=8)
        .filter(lambda i: kept_id(i, led.favors) is None)  # " f1" names f1
        .map(lambda i: BadCall(f"reverse({i!r})", lambda led: led.reverse(i)))
    )
    live = [f for f in led.favors if f not in led.reversals]
    if not live:
        return unknown
    bad_fields = (
        [("at", v) for _, v in TIMES]
        + [("reason", v) for _, v in TEXTS]
        + [("id", v) for _, v in SOME_IDS]
    )

    def build(favor_id: str, bad_field: tuple[str, object]) -> BadCall:
        kwargs = {bad_field[0]: bad_field[1]}
        return BadCall(
            f"reverse({favor_id!r}, **{kwargs!r})",
            lambda led: led.reverse(favor_id, **kwargs),
        )

    return st.one_of(
        unknown, st.builds(build, st.sampled_from(live), st.sampled_from(bad_fields))
    )


RECORD_FIELDS = (
    [("value", v) for _, v in AMOUNTS + ZEROS]
    + [(name, v) for name in ("giver", "receiver", "kind") for _, v in IDS]
    + [(name, v) for name in ("via", "id") for _, v in SOME_IDS]
    + [("at", v) for _, v in TIMES]
    + [("reason", v) for _, v in TEXTS]
    + [("tags", t) for _, t, _ in TAG_SETS]
    + [("referral_share", Decimal("0.5"))]  # without via
)


def bad_calls(led: Ledger) -> st.SearchStrategy[BadCall]:
    """Any call that ``led`` must refuse."""
    return st.one_of(
        _one_bad_field(led, RECORD_FIELDS),
        _clashing_people(led),
        _unknown_names(led),
        _naive_moments(),
        _bad_adds(led),
        _bad_person_calls(),
        _bad_reversals(led),
    )


@st.composite
def ledgers_with_reversals(draw: st.DrawFn) -> Ledger:
    """Ledgers from the public strategy, with some of their favors reversed."""
    led = draw(ledgers(max_favors=12))
    ids = sorted(led.favors)
    if ids:
        for favor_id in draw(st.sets(st.sampled_from(ids), max_size=3)):
            favor = led.favors[favor_id]
            led.reverse(favor_id, at=favor.at + timedelta(days=1), id=f"r-{favor_id}")
    return led


@settings(max_examples=150)
@given(led=ledgers_with_reversals(), data=st.data())
def test_any_bad_call_on_any_ledger_is_refused_and_changes_nothing(
    led: Ledger, data: st.DataObject
) -> None:
    """Whatever the ledger holds, a bad call raises a FavorLedgerError, no more."""
    call = data.draw(bad_calls(led), label="call")
    before = snapshot(led)
    with pytest.raises(FavorLedgerError):
        call.run(led)
    assert snapshot(led) == before
