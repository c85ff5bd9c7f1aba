"""Every field of every record keeps a good value and refuses a bad one by name.

The promise of ``favorledger.model``, field by field: a record built
directly (as a file reader or a program does) holds exactly the values it
was given, converted to their one normal form, and a value a field cannot
hold raises that record's own error (a :class:`~favorledger.FavorLedgerError`
and a ``ValueError``) whose message names the field as ``Record.field``.
The table below gives, for each record, one value per field that is good and
not the default; the test then spoils each field in turn.
"""

from __future__ import annotations

import decimal
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from favorledger import (
    FavorLedgerError,
    InvalidFavorError,
    InvalidPersonError,
    InvalidValueError,
)
from favorledger._exact import Ratio
from favorledger.errors import InvalidEntryError, InvalidTieError
from favorledger.model import (
    EARLIEST,
    LATEST,
    MAX_ID_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
    Answer,
    Ask,
    Assignment,
    Debt,
    Favor,
    Obligation,
    Person,
    Pledge,
    Release,
    Reversal,
    Settlement,
    Tie,
    Transfer,
    _IdSource,
    as_moment,
    moment_or_now,
    new_id,
)

AT = "2024-05-01T09:30:00+02:00"
LATER = "2024-06-01T09:30:00+02:00"
MOMENT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))

GOOD: list[tuple[type, type[FavorLedgerError], dict[str, Any], dict[str, Any]]] = [
    (
        Person,
        InvalidPersonError,
        {"id": " ann ", "name": "Ann", "tags": ["python"], "at": AT},
        {"id": "ann", "tags": frozenset({"python"}), "at": MOMENT},
    ),
    (
        Favor,
        InvalidFavorError,
        {
            "id": "f1",
            "giver": "ann",
            "receiver": "bob",
            "value": "2.50",
            "kind": "advice",
            "at": AT,
            "via": "cat",
            "reason": "a lift",
            "tags": ("car",),
            "referral_share": "1/4",
            "fulfils": "p1",
        },
        {
            "value": Decimal("2.5"),
            "at": MOMENT,
            "tags": frozenset({"car"}),
            "referral_share": Decimal("0.25"),
        },
    ),
    (
        Reversal,
        InvalidFavorError,
        {"id": "r1", "favor_id": "f1", "at": AT, "reason": "twice"},
        {"at": MOMENT},
    ),
    (
        Tie,
        InvalidTieError,
        {
            "id": "t1",
            "a": "ann",
            "b": "bob",
            "strength": "0.5",
            "kind": "colleague",
            "reason": "same team",
            "at": AT,
        },
        {"strength": Decimal("0.5"), "at": MOMENT},
    ),
    (
        Pledge,
        InvalidEntryError,
        {
            "id": "p1",
            "giver": "ann",
            "receiver": "bob",
            "value": 3,
            "kind": "lift",
            "reason": "to the airport",
            "at": AT,
            "expires": LATER,
        },
        {"value": Decimal(3), "at": MOMENT, "expires": MOMENT + timedelta(days=31)},
    ),
    (
        Release,
        InvalidEntryError,
        {"id": "l1", "pledge_id": "p1", "at": AT, "reason": "not needed"},
        {"at": MOMENT},
    ),
    (
        Ask,
        InvalidEntryError,
        {
            "id": "a1",
            "asker": "ann",
            "asked": "bob",
            "value": Fraction(1, 3),
            "kind": "lift",
            "reason": "to the airport",
            "at": AT,
            "due": LATER,
        },
        {"value": Ratio(1, 3), "at": MOMENT, "due": MOMENT + timedelta(days=31)},
    ),
    (
        Answer,
        InvalidEntryError,
        {"id": "n1", "ask_id": "a1", "status": "declined", "at": AT},
        {"at": MOMENT},
    ),
    (
        Assignment,
        InvalidEntryError,
        {
            "id": "s1",
            "holder": "ann",
            "debtor": "bob",
            "new_holder": "cat",
            "amount": "1.5",
            "at": AT,
            "reason": "paid in kind",
        },
        {"amount": Decimal("1.5"), "at": MOMENT},
    ),
    (
        Settlement,
        InvalidEntryError,
        {
            "id": "x1",
            "payer": "ann",
            "payee": "cat",
            "amount": "2",
            "discharged": [Debt("ann", "bob", 2), Debt("bob", "cat", 2)],
            "passed": [],
            "kind": "cash",
            "at": AT,
            "reason": "evening up",
        },
        {
            "amount": Decimal(2),
            "discharged": (
                Debt("ann", "bob", Decimal(2)),
                Debt("bob", "cat", Decimal(2)),
            ),
            "passed": (),
            "at": MOMENT,
        },
    ),
    (
        Transfer,
        InvalidValueError,
        {
            "payer": "ann",
            "payee": "bob",
            "amount": "1/3",
            "explained_by": [Obligation("bob", "ann", Decimal(1), "f1", "recipient")],
        },
        {
            "amount": Ratio(1, 3),
            "explained_by": (Obligation("bob", "ann", Decimal(1), "f1", "recipient"),),
        },
    ),
]
"""(record, its error, good arguments, what a field holds where it differs
from the argument)."""

BAD = {1: 2}
"""A value no field accepts: not text, a number, a time or a list."""

CASES = [
    pytest.param(record, error, good, name, id=f"{record.__name__}.{name}")
    for record, error, good, _ in GOOD
    for name in good
]


@pytest.mark.parametrize(("record", "error", "good", "expected"), GOOD)
def test_a_record_holds_the_values_it_was_given(
    record: type, error: type[FavorLedgerError], good: dict[str, Any], expected: Any
) -> None:
    """Each field holds its argument, in normal form; none falls back to a
    default or drops the value."""
    del error
    made = record(**good)
    for name, value in good.items():
        want = expected.get(name, value)
        got = getattr(made, name)
        assert got == want, f"{record.__name__}.{name}: {got!r} != {want!r}"
        assert type(got) is type(want), f"{record.__name__}.{name}: {type(got)}"


@pytest.mark.parametrize(("record", "error", "good", "name"), CASES)
def test_each_field_refuses_a_bad_value_naming_the_field(
    record: type, error: type[FavorLedgerError], good: dict[str, Any], name: str
) -> None:
    """A value the field cannot hold raises the record's own error, which is
    a ``ValueError``, whose message begins with ``Record.field``."""
    with pytest.raises(FavorLedgerError) as caught:
        record(**{**good, name: BAD})
    assert type(caught.value) is error
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{record.__name__}.{name} ")


def test_the_table_covers_every_field_of_every_record() -> None:
    """No field of a record that can be given escapes the two tests above
    (a field no one passes, such as the plan a transfer belongs to, is set
    by the library)."""
    for record, _, good, _ in GOOD:
        fields = {f.alias for f in attrs.fields(record) if f.init}
        assert set(good) == fields, record.__name__


def _good(record: type, **changes: object) -> object:
    """The record of the table with some fields changed."""
    args = next(good for r, _, good, _ in GOOD if r is record)
    return record(**{**args, **changes})


def _settlement(**changes: object) -> object:
    return _good(Settlement, **changes)


RULES: list[tuple[str, Callable[[], object], type[FavorLedgerError], str]] = [
    ("favor-to-oneself", lambda: _good(Favor, receiver="ann"), InvalidFavorError,
     "Favor.receiver must differ from Favor.giver, got 'ann' for both"),
    ("referred-by-the-giver", lambda: _good(Favor, via="ann"), InvalidFavorError,
     "Favor.via must differ from Favor.giver, got 'ann' for both"),
    ("referred-by-the-receiver", lambda: _good(Favor, via="bob"), InvalidFavorError,
     "Favor.via must differ from Favor.receiver, got 'bob' for both"),
    ("share-without-referrer", lambda: _good(Favor, via=None), InvalidFavorError,
     "Favor.referral_share needs Favor.via (a referrer), got a share of 0.25"
     " and no Favor.via"),
    ("tie-above-one", lambda: _good(Tie, strength="1.5"), InvalidTieError,
     "Tie.strength must be in (0, 1], got 1.5"),
    ("tie-of-words", lambda: _good(Tie, strength="strong"), InvalidTieError,
     "Tie.strength must be a number, got 'strong'"),
    ("tie-too-fine-above-one", lambda: _good(Tie, strength="1.5000000000001"),
     InvalidTieError, "Tie.strength must have a denominator of at most 10**12"
     " (no finer than 1e-12), got 1.5000000000001"),
    ("tie-of-unknown-kind", lambda: _good(Tie, kind="nemesis"), InvalidTieError,
     "Tie.kind must be one of ['acquaintance', 'classmate', 'client', 'colleague',"
     " 'family', 'friend', 'implied', 'mentor', 'neighbor'], got 'nemesis'"),
    ("tie-to-oneself", lambda: _good(Tie, b="ann"), InvalidTieError,
     "Tie.b must differ from Tie.a, got 'ann' for both"),
    ("pledge-to-oneself", lambda: _good(Pledge, receiver="ann"), InvalidEntryError,
     "Pledge.receiver must differ from Pledge.giver, got 'ann' for both"),
    ("pledge-expiring-when-made", lambda: _good(Pledge, expires=AT), InvalidEntryError,
     "Pledge.expires must be after Pledge.at (2024-05-01T09:30+02:00),"
     " got 2024-05-01T09:30+02:00"),
    ("ask-of-oneself", lambda: _good(Ask, asked="ann"), InvalidEntryError,
     "Ask.asked must differ from Ask.asker, got 'ann' for both"),
    ("answer-neither", lambda: _good(Answer, status="maybe"), InvalidEntryError,
     "Answer.status must be one of ('accepted', 'declined'), got 'maybe'"),
    ("assignment-to-the-debtor", lambda: _good(Assignment, new_holder="bob"),
     InvalidEntryError, "Assignment.holder, debtor and new_holder must be three"
     " different people, got ('ann', 'bob', 'bob')"),
    ("assignment-from-oneself", lambda: _good(Assignment, debtor="ann"),
     InvalidEntryError, "Assignment.holder, debtor and new_holder must be three"
     " different people, got ('ann', 'ann', 'cat')"),
    ("transfer-to-oneself", lambda: _good(Transfer, payee="ann"), InvalidValueError,
     "Transfer.payee must differ from Transfer.payer, got 'ann' for both"),
    ("settlement-payer-alone", lambda: _settlement(payee=None, amount=None),
     InvalidEntryError, "Settlement.payer, payee and amount must be given together"
     " (or none of them, for a set-off), got ('ann', None, None)"),
    ("settlement-without-amount", lambda: _settlement(amount=None),
     InvalidEntryError, "Settlement.payer, payee and amount must be given together"
     " (or none of them, for a set-off), got ('ann', 'cat', None)"),
    ("settlement-payer-in-no-debt", lambda: _settlement(payer="dan"),
     InvalidEntryError, "Settlement.discharged and passed must move the payer's"
     " balance up and the payee's down by Settlement.amount and no other balance,"
     " got {'ann': Fraction(2, 1), 'dan': Fraction(-2, 1)} off"),
    ("settlement-payee-in-no-debt", lambda: _settlement(payee="dan"),
     InvalidEntryError, "Settlement.discharged and passed must move the payer's"
     " balance up and the payee's down by Settlement.amount and no other balance,"
     " got {'cat': Fraction(-2, 1), 'dan': Fraction(2, 1)} off"),
    ("settlement-to-oneself", lambda: _settlement(payee="ann"), InvalidEntryError,
     "Settlement.payee must differ from Settlement.payer, got 'ann' for both"),
    ("settlement-of-nothing", lambda: _settlement(discharged=[]), InvalidEntryError,
     "Settlement.discharged or Settlement.passed must name a debt, got ()"),
    ("settlement-off-balance", lambda: _settlement(amount=3), InvalidEntryError,
     "Settlement.discharged and passed must move the payer's balance up and the"
     " payee's down by Settlement.amount and no other balance, got"
     " {'ann': Fraction(-1, 1), 'cat': Fraction(1, 1)} off"),
    ("set-off-moving-balances",
     lambda: _settlement(payer=None, payee=None, amount=None), InvalidEntryError,
     "Settlement.discharged and passed must move the payer's balance up and the"
     " payee's down by Settlement.amount and no other balance, got"
     " {'ann': Fraction(2, 1), 'cat': Fraction(-2, 1)} off"),
    ("debt-to-oneself", lambda: _settlement(passed=[Debt("bob", "bob", 1)]),
     InvalidEntryError,
     "Settlement.passed: a debt is between two people, got 'bob' for both"),
    ("debts-not-a-list", lambda: _settlement(passed="ann owes bob"),
     InvalidEntryError,
     "Settlement.passed must be a list of debts, got 'ann owes bob'"),
    ("debt-of-three-parts", lambda: _settlement(passed=[("ann", "bob", 1)]),
     InvalidEntryError, "Settlement.passed must hold debts (debtor, creditor,"
     " amount), got ('ann', 'bob', 1)"),
    ("debt-with-a-bad-debtor", lambda: _settlement(passed=[Debt(7, "bob", 1)]),  # type: ignore[arg-type]
     InvalidEntryError, "Settlement.passed.debtor must be a string, got 7"),
    ("debt-with-a-bad-creditor", lambda: _settlement(passed=[Debt("ann", 7, 1)]),  # type: ignore[arg-type]
     InvalidEntryError, "Settlement.passed.creditor must be a string, got 7"),
    ("debt-with-a-bad-amount",
     lambda: _settlement(passed=[{"debtor": "a", "creditor": "b", "amount": "x"}]),
     InvalidEntryError, "Settlement.passed.amount must be"),
]  # fmt: skip
"""Rules across fields: (label, a record breaking one, its error, the message
or, where the message goes on to explain the number format, its start)."""


@pytest.mark.parametrize(
    ("make", "error", "message"), [pytest.param(*r[1:], id=r[0]) for r in RULES]
)
def test_a_record_breaking_a_rule_across_fields_is_refused_by_name(
    make: Callable[[], object], error: type[FavorLedgerError], message: str
) -> None:
    """The whole message names the fields and shows the values."""
    with pytest.raises(FavorLedgerError) as caught:
        make()
    assert type(caught.value) is error
    assert str(caught.value).startswith(message)
    if not message.endswith(" be"):
        assert str(caught.value) == message


def test_a_settlement_may_read_its_debts_from_a_file() -> None:
    """Debts given as mappings (as a file holds them) are read as debts, and
    a set-off that moves no balance needs no payer."""
    cycle = [
        {"debtor": "a", "creditor": "b", "amount": "1"},
        {"debtor": "b", "creditor": "a", "amount": 1},
    ]
    made = Settlement(discharged=cycle)
    assert made.discharged == (Debt("a", "b", Decimal(1)), Debt("b", "a", Decimal(1)))
    assert (made.payer, made.payee, made.amount) == (None, None, None)


def test_ids_stay_unique_in_a_forked_process() -> None:
    """A process forked from this one draws its own id prefix, so ids made
    on both sides never collide; each source counts from 1."""
    source = _IdSource()
    assert re.fullmatch(r"[0-9a-f]{20}-1", source())
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, (source() + " " + new_id()).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        theirs, their_new = pipe.read().split(" ")
    assert re.fullmatch(r"[0-9a-f]{20}-1", theirs), theirs
    assert theirs.split("-")[0] != source().split("-")[0]
    assert their_new.split("-")[0] != new_id().split("-")[0]


@pytest.mark.parametrize("rounding", [decimal.ROUND_UP, decimal.ROUND_DOWN, None])
@pytest.mark.parametrize("precision", [5, 28])
def test_a_tie_strength_keeps_twelve_places_whatever_the_decimal_context(
    rounding: str | None, precision: int
) -> None:
    """A strength with more than 12 places, as text, float or ``Decimal``,
    is rounded half to even to 12, whatever the caller's ``decimal``
    context (a short precision once made it raise ``InvalidOperation``);
    one that rounds to nothing is refused as too small, and zero as zero,
    however many places it is written with."""
    with decimal.localcontext(prec=precision, rounding=rounding):
        for raw, kept in [
            ("0.1234567890125", "0.123456789012"),
            (" 0.1234567890135 ", "0.123456789014"),
            (Decimal("0.99999999999951"), "1"),
            (0.1234567890125001, "0.123456789013"),
            ("1/3", Fraction(1, 3)),
        ]:
            strength = _good(Tie, strength=raw).strength  # type: ignore[attr-defined]
            assert strength == (Decimal(kept) if isinstance(kept, str) else kept)
        small = "Tie.strength must be at least 1e-12, got '0.0000000000004'"
        with pytest.raises(InvalidTieError, match=f"^{re.escape(small)}$"):
            _good(Tie, strength="0.0000000000004")
        with pytest.raises(InvalidTieError, match=r"^Tie\.strength must be positive"):
            _good(Tie, strength="0.00000000000000")


def test_values_at_the_limits_are_kept_and_one_past_them_refused() -> None:
    """Free text of exactly 10,000 characters, 100 tags, and the earliest
    and latest moments (given as text or in another zone) are kept; one
    character or tag more, or a microsecond outside, is refused."""
    _good(Favor, reason="x" * MAX_TEXT_LENGTH)
    with pytest.raises(InvalidFavorError, match=r"^Favor\.reason must be at most"):
        _good(Favor, reason="x" * (MAX_TEXT_LENGTH + 1))
    at_most = "x" * (MAX_TEXT_LENGTH - 1) + "\ud800"  # 10,000 characters
    with pytest.raises(
        InvalidFavorError, match=r"^Favor\.reason must be valid Unicode"
    ):
        _good(Favor, reason=at_most)
    unprintable = " " + "x" * (MAX_ID_LENGTH - 2) + "\x07"  # 200 characters
    with pytest.raises(InvalidFavorError, match=r"^Favor\.id must hold printable"):
        _good(Favor, id=unprintable)
    many = [f"t{i}" for i in range(MAX_TAGS)]
    assert len(_good(Favor, tags=many).tags) == MAX_TAGS  # type: ignore[attr-defined]
    assert len(_good(Favor, tags=iter(many)).tags) == MAX_TAGS  # type: ignore[attr-defined]
    for too_many in ([*many, "one more"], iter([*many, "one more"])):
        with pytest.raises(InvalidFavorError, match=r"^Favor\.tags must"):
            _good(Favor, tags=too_many)
    east = timezone(timedelta(hours=5))
    for moment in (EARLIEST, LATEST):
        for given in (moment.isoformat(), moment.astimezone(east)):
            assert _good(Favor, at=given).at == moment  # type: ignore[attr-defined]
    tick = timedelta(microseconds=1)
    for outside in (EARLIEST - tick, LATEST + tick):
        with pytest.raises(InvalidFavorError, match=r"^Favor\.at must be between"):
            _good(Favor, at=outside.isoformat())


def test_a_moment_keeps_its_offset_and_a_named_zone_is_pinned() -> None:
    """An aware time in any zone is kept as that moment with its offset; a
    named zone becomes the fixed offset in force then (so it round-trips
    through text)."""
    east = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=5)))
    assert _good(Favor, at=east).at.utcoffset() == timedelta(hours=5)  # type: ignore[attr-defined]
    paris = datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    kept = _good(Favor, at=paris).at  # type: ignore[attr-defined]
    assert kept == paris
    assert kept.tzinfo == timezone(timedelta(hours=2))
    assert datetime.fromisoformat(kept.isoformat()) == kept


def test_a_bad_moment_names_the_field_it_was_given_for() -> None:
    """A query's moment is checked as ``at`` unless another field is named."""
    with pytest.raises(InvalidValueError, match=r"^at must be an ISO-8601 time"):
        as_moment("yesterday")
    with pytest.raises(InvalidValueError, match=r"^at must be an ISO-8601 time"):
        moment_or_now("yesterday")
    with pytest.raises(InvalidValueError, match=r"^until must be an ISO-8601 time"):
        moment_or_now("yesterday", "until")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-11-31", ": day is out of range for month"),
        ("2026-13-01T10:00+00:00", ": month must be in 1..12"),
        ("2026-01-01T25:00+00:00", ": hour must be in 0..23"),
        ("soon", ""),
    ],
)
def test_a_well_formed_time_that_does_not_exist_says_why(text: str, why: str) -> None:
    """Newcomer trial 5, U8: 2026-11-31 was called "not ISO-8601"; a time
    written as ISO 8601 but out of range now says which part is wrong."""
    with pytest.raises(InvalidValueError) as refused:
        as_moment(text)
    assert str(refused.value) == f"at must be an ISO-8601 time, got {text!r}{why}"


def test_free_text_with_a_lone_surrogate_is_refused_naming_the_character() -> None:
    """Text that cannot be written as UTF-8 is refused, naming the first
    character that cannot, and its code point."""
    with pytest.raises(InvalidFavorError) as caught:
        _good(Favor, reason="ok \udc80 \ud800")
    assert str(caught.value).startswith(
        "Favor.reason must be valid Unicode text, but holds the character"
        " '\\udc80' (U+DC80) (a lone surrogate"
    )
    with pytest.raises(
        InvalidFavorError, match=r"holds the character '\\xa0' \(U\+00A0\)"
    ):
        _good(Favor, id="a\u00a0 b\n")


def test_transfers_are_equal_when_their_parts_are() -> None:
    """Two transfers with the same payer, payee, amount and explanation are
    equal and hash alike; any difference, or another type, is unequal."""
    one, same = _good(Transfer), _good(Transfer)
    other = _good(Transfer, amount=2)
    assert one == same
    assert not one != same  # noqa: SIM202 - checks __ne__ itself
    assert hash(one) == hash(same)
    assert one != other
    assert not one == other  # noqa: SIM201 - checks __eq__ itself
    assert one != ("ann", "bob", Ratio(1, 3))
    assert len({one, same, other}) == 2


@pytest.mark.parametrize("value", [1, 1024, 1025, 10**6])
def test_a_whole_value_is_kept_exactly_on_either_side_of_the_small_cache(
    value: int,
) -> None:
    """Whole values up to 1024 share cached ``Decimal`` objects; every whole
    value, cached or not, is kept as exactly that ``Decimal``."""
    kept = _good(Favor, value=value).value  # type: ignore[attr-defined]
    assert kept == value
    assert type(kept) is Decimal


def test_a_referral_without_a_share_owes_the_default_half() -> None:
    """A favor built with a referrer but no share: the receiver owes its
    value and the referrer half of it (the default share)."""
    favor = Favor(giver="ann", receiver="bob", value=3, via="cat", id="f1", at=AT)
    assert [(o.debtor, o.creditor, o.amount) for o in favor.obligations()] == [
        ("bob", "ann", Decimal(3)),
        ("cat", "ann", Decimal("1.5")),
    ]
