"""Exact amounts at every magnitude: the promise behind "never a float".

A balance is the exact sum of what was recorded, however large the values
and however they mix thirds with decimals; it is a ``Decimal`` exactly when
that sum has a finite decimal expansion, else a ``Fraction``.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import InvalidValueError, Ledger, Ratio, Transfer, _exact, total
from favorledger._exact import (
    MAX_TEXT,
    MAX_VALUE,
    add,
    is_decimal_denominator,
    running,
)

LIMIT = int(MAX_VALUE) - 1


@st.composite
def large_values(draw: st.DrawFn) -> Decimal | Fraction | str:
    """Values near the largest allowed: decimals with up to 12 places (also as
    text), and fractions with small denominators (so sums come back to eighths)."""
    places = draw(st.integers(0, 12))
    if draw(st.booleans()):
        n = draw(st.integers(1, LIMIT * 10**places))
        value = Decimal(n).scaleb(-places)
        return str(value) if draw(st.booleans()) else value
    denominator = draw(st.sampled_from([3, 6, 7, 8, 12, 24, 40, 9 * 10**6]))
    return Fraction(draw(st.integers(1, LIMIT * denominator)), denominator)


def exact(value: Decimal | Fraction | str) -> Fraction:
    return Fraction(value)


def is_normal(value: object, exact_value: Fraction) -> bool:
    """A Decimal when the value has a finite decimal expansion, else a Fraction."""
    if is_decimal_denominator(exact_value.denominator):
        return type(value) is Decimal
    return isinstance(value, Fraction)  # a Fraction (or favorledger's subclass)


@given(st.lists(large_values(), min_size=1, max_size=6))
@example([Fraction(1, 3), "99999999999999.125", Fraction(2, 3)])
@example([Fraction(10**15 - 1, 3), Fraction(2 * 10**15 - 1, 3), "0.000000000001"])
def test_balances_are_exact_at_every_magnitude(recorded: list) -> None:
    """Recording values from one person to another leaves balances that are the
    exact sums (opposite, summing to zero), in normal form."""
    led = Ledger()
    for value in recorded:
        led.record("ann", "bob", value)
    expected = sum((exact(v) for v in recorded), Fraction())
    balances = led.balances()
    assert Fraction(balances["ann"]) == -Fraction(balances["bob"])
    assert abs(Fraction(balances["ann"])) == expected
    assert is_normal(balances["ann"], expected)
    assert Fraction(total(balances.values())) == 0


@given(st.lists(large_values(), max_size=6))
@example([Fraction(1, 3), Decimal("99999999999999.125"), Fraction(2, 3)])
def test_total_is_the_exact_sum_in_normal_form(values: list) -> None:
    """``total`` adds any mix of decimals and fractions without rounding."""
    amounts = [Decimal(v) if isinstance(v, str) else v for v in values]
    expected = sum((exact(v) for v in amounts), Fraction())
    result = total(amounts)
    assert Fraction(result) == expected
    assert is_normal(result, expected)


@given(st.lists(large_values(), max_size=8), large_values())
@example([Decimal("0.5"), Decimal("0.5"), Decimal(5)], Decimal("1.5"))
@example([Fraction(1, 3), Decimal("0.25"), Fraction(2, 3)], Decimal(0))
@example([Decimal(90), Decimal(10), Decimal(LIMIT)], Decimal(900))
def test_running_sums_are_each_sum_added_one_by_one(values: list, first) -> None:
    """``running`` (the sums a run of make-ups keeps, issue 11) gives what
    adding the values one by one gives: the exact sums, in normal form
    (``Decimal('1')``, not ``Decimal('1.0')``; ``10``, not ``1E+1``), on
    the all-decimal paths in C (whole numbers, others) as on the mixed one."""
    amounts = [total([Decimal(v) if isinstance(v, str) else v]) for v in values]
    start = total([Decimal(first) if isinstance(first, str) else first])
    expected = [start]
    for amount in amounts:
        expected.append(add(expected[-1], amount))
    sums = running(amounts, start)
    assert [(type(s), str(s)) for s in sums] == [(type(e), str(e)) for e in expected]
    assert [Fraction(s) for s in sums[1:]] == [
        Fraction(start) + sum(map(Fraction, amounts[: i + 1]), Fraction())
        for i in range(len(amounts))
    ]


shares = st.sampled_from(["0", "1", "1/2", "1/3", "0.125", "0.000000000001"])


@given(recorded=st.lists(st.tuples(large_values(), shares, st.booleans()), max_size=5))
@example(recorded=[("999999999999999.999999999999", "0.125", True)])
@example(recorded=[(Fraction(1, 3), "1/2", True), (Fraction(2, 7), "1", False)])
def test_reversing_restores_every_balance_exactly(recorded: list) -> None:
    """Reversing favors (with referrals, at any magnitude and share) leaves
    exactly the balances of a ledger that never had them."""
    led, kept = Ledger(), Ledger()
    for i, (value, share, reverse) in enumerate(recorded):
        args = ("ann", "bob", value)
        favor = led.record(*args, via="cat", referral_share=share, id=f"f{i}")
        if reverse:
            led.reverse(favor.id)
        else:
            kept.record(*args, via="cat", referral_share=share, id=f"f{i}")
    expected = kept.balances()
    for person, balance in led.balances().items():
        assert balance == expected.get(person, 0)
        assert type(balance) is type(expected.get(person, balance))


@given(recorded=st.lists(st.tuples(large_values(), shares), min_size=1, max_size=5))
@example(recorded=[("999999999999999.999999999999", "0.125")])
@example(recorded=[("0.000000000001", "0.000000000001")])
def test_referral_shares_are_exact_at_every_magnitude(recorded: list) -> None:
    """The referrer owes exactly value x share, the receiver the value, and
    the giver is owed both, however many digits the product has."""
    led = Ledger()
    for value, share in recorded:
        led.record("ann", "bob", value, via="cat", referral_share=share)
    values = [exact(v) for v, _ in recorded]
    shares_owed = sum(
        (v * Fraction(s) for v, (_, s) in zip(values, recorded, strict=True)), 0
    )
    assert Fraction(led.balance("bob")) == -sum(values)
    assert Fraction(led.balance("cat")) == -shares_owed
    assert Fraction(led.balance("ann")) == sum(values) + shares_owed
    assert is_normal(led.balance("cat"), shares_owed)
    assert is_normal(led.balance("ann"), sum(values) + shares_owed)


def referral_ledger(recorded: list) -> Ledger:
    """Each value recorded with a referral, and the first of them reversed."""
    led = Ledger()
    for i, (value, share) in enumerate(recorded):
        led.record("ann", "bob", value, via="cat", referral_share=share, id=f"f{i}")
    led.reverse("f0", id="r0")
    return led


@given(
    recorded=st.lists(st.tuples(large_values(), shares), min_size=1, max_size=4),
    precision=st.integers(1, 10),
)
@example(recorded=[("123456789012.5", "1"), ("0.1", "0.125")], precision=3)
def test_the_callers_decimal_context_changes_nothing(recorded, precision) -> None:
    """A program that lowers ``decimal``'s precision for its own sums gets the
    same exact ledger: favorledger never computes in the caller's context."""
    expected = referral_ledger(recorded).balances()
    with decimal.localcontext(prec=precision):
        got = referral_ledger(recorded).balances()
    assert [(p, str(b)) for p, b in got.items()] == [
        (p, str(b)) for p, b in expected.items()
    ]


@given(st.floats() | st.booleans())
def test_a_float_or_bool_is_refused_naming_its_type(raw: float | bool) -> None:
    """A float has already lost the value meant and a bool is not a number:
    both are refused with an error that names the field, the type and the
    value, and nothing is recorded."""
    led = Ledger()
    kind = type(raw).__name__
    with pytest.raises(InvalidValueError, match=f"^Favor.value .* not a {kind}: got "):
        led.record("ann", "bob", raw)
    assert not list(led.log)


@given(st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.binary(max_size=3)))
def test_a_non_number_is_refused_naming_its_type(raw: object) -> None:
    """Something that is no kind of number is refused with an error that names
    its type, and nothing is recorded."""
    led = Ledger()
    kind = type(raw).__name__
    with pytest.raises(InvalidValueError, match=f"of type {kind}$"):
        led.record("ann", "bob", raw)  # type: ignore[arg-type]
    assert not list(led.log)


@given(st.integers(1, 10**6), st.integers(0, 6), st.integers(2, 10**6))
@example(1, 1, 2)
def test_the_finest_resolution_is_one_trillionth_by_value(n, zeros, finer) -> None:
    """Whole multiples of 1e-12 are accepted however many trailing zeros they
    are written with; anything finer is refused as too fine, negative or not."""
    text = str(Decimal(n).scaleb(-12)) if zeros == 0 else f"{Decimal(n) / 10**12:f}"
    written = text + "0" * zeros if "." in text else text
    favor = Ledger().record("ann", "bob", written)
    assert Fraction(favor.value) == Fraction(n, 10**12)
    for sign in (1, -1):  # too fine is what is named, whatever the sign
        with pytest.raises(InvalidValueError, match="no finer than 1e-12"):
            Ledger().record("ann", "bob", Fraction(sign, 10**12 * finer))


@given(
    whole=st.integers(0, 10**6),
    gap=st.integers(0, 14),
    last=st.integers(1, 9),
    zeros=st.integers(0, 40),
)
@example(whole=1, gap=12, last=1, zeros=0)  # 1.0000000000001: 13 places
@example(whole=1, gap=12, last=1, zeros=1)  # the same with a trailing zero
@example(whole=1, gap=11, last=1, zeros=0)  # 1.000000000001: 12 places
@example(whole=0, gap=0, last=1, zeros=40)  # 0.1 and forty zeros
def test_a_decimal_is_taken_exactly_when_it_is_a_whole_number_of_trillionths(
    whole: int, gap: int, last: int, zeros: int
) -> None:
    """A decimal written with zeros inside it and after it is judged by its
    value: ``whole.000…0d000…`` is accepted exactly when its last non-zero
    digit is within 12 places, and refused as finer than 1e-12 otherwise."""
    text = f"{whole}." + "0" * gap + str(last) + "0" * zeros
    expected = whole + Fraction(last, 10 ** (gap + 1))
    if gap + 1 <= 12:
        assert Fraction(Ledger().record("ann", "bob", text).value) == expected
        assert Fraction(Ledger().record("ann", "bob", Decimal(text)).value) == expected
    else:
        for written in (text, Decimal(text)):
            with pytest.raises(InvalidValueError, match="no finer than 1e-12"):
                Ledger().record("ann", "bob", written)


@given(st.integers(0, 60))
@example(42)
def test_a_zero_share_is_zero_however_many_zeros_it_is_written_with(zeros) -> None:
    """A referral share of zero is accepted written as ``0.000…``, with any
    number of zeros, or as a ``Decimal`` with any exponent."""
    led = Ledger()
    for share in ("0." + "0" * zeros, Decimal(f"0E-{zeros}")):
        favor = led.record("ann", "bob", 1, via="cat", referral_share=share)
        assert favor.referral_share == 0
    assert led.balance("cat") == 0


@given(st.integers(1, MAX_TEXT))
@example(MAX_TEXT)
def test_numeric_text_is_read_up_to_its_longest_length(length: int) -> None:
    """Numeric text of up to 64 characters (spaces around it count) is read;
    one character more is refused naming the limit, whatever the number."""
    for text in (("1." + "0" * MAX_TEXT)[:length], "1/3".rjust(max(length, 3))):
        assert Ledger().record("ann", "bob", text).value == Fraction(text.strip())
        longer = " " + text.ljust(MAX_TEXT)
        with pytest.raises(InvalidValueError, match="at most 64 characters"):
            Ledger().record("ann", "bob", longer)


@given(
    value=st.integers(-(10**6), 0)
    | st.integers(-(10**20), -(10**6))
    | st.builds(Fraction, st.integers(-(10**6), 0), st.integers(1, 12)),
    share=st.booleans(),
)
@example(value=0, share=False)
@example(value=-1, share=True)
@example(value=-(10**15) + 1, share=True)  # a share of -1e15: as large as refused
def test_a_value_must_be_positive_and_a_share_may_be_zero(value, share) -> None:
    """A favor's value must be positive and its referral share zero or more,
    however large the negative number: the error says which rule was broken,
    and a zero share is accepted."""
    led = Ledger()
    if share:
        led.record("ann", "bob", 1, via="cat", referral_share=0)
        with pytest.raises(InvalidValueError, match="share must be zero or positive"):
            led.record("ann", "bob", 1, via="cat", referral_share=value - 1)
    else:
        with pytest.raises(InvalidValueError, match="value must be positive, got"):
            led.record("ann", "bob", value)
    assert len(led.log) == (1 if share else 0)


derived = st.one_of(
    st.integers(1, 10**30),
    st.builds(Fraction, st.integers(1, 10**30), st.integers(1, 10**20)),
    st.builds(
        lambda n, p: Decimal(n).scaleb(-p), st.integers(1, 10**30), st.integers(0, 40)
    ),
)


@given(derived, st.booleans())
@example(Fraction(2, 10**13 + 1), False)
@example(Decimal("1E-40"), True)
@example(10**16, True)
def test_a_derived_amount_is_kept_exactly_at_any_size_or_fineness(raw, as_text) -> None:
    """An amount the library derives (a transfer's sum, a share of one) is held
    to no input limit: any positive exact value is kept at exactly its value,
    also written as text, while zero, a negative or a non-number is refused
    naming the field."""
    typed = str(raw) if as_text else raw
    amount = Transfer("ann", "bob", typed).amount
    assert Fraction(amount) == Fraction(raw)
    assert type(amount) is (
        Decimal if is_decimal_denominator(Fraction(raw).denominator) else Ratio
    )
    for wrong in (0, -raw, Decimal(0), Decimal("-0"), Decimal("NaN"), "0/5"):
        with pytest.raises(InvalidValueError, match=r"^Transfer\.amount must be"):
            Transfer("ann", "bob", wrong)


# ------------------------------------------------------------- formatting
_SPECS = st.builds(
    lambda fill_align, sign, z, zero, width, group, places, kind: (
        f"{fill_align}{sign}{z}{zero}{width}{group}{places}{kind}"
    ),
    st.sampled_from(["", "<", ">", "^", "*>", "="]),
    st.sampled_from(["", "+", "-", " "]),
    st.sampled_from(["", "z"]),
    st.sampled_from(["", "0"]),
    st.sampled_from(["", "1", "12"]),
    st.sampled_from(["", ",", "_"]),
    st.sampled_from(["", ".0", ".1", ".2", ".7", ".15"]),
    st.sampled_from(["e", "E", "f", "F", "g", "G", "%", ""]),
).filter(lambda spec: spec[-1:] in tuple("eEfFgG%") or "." in spec)


@given(
    st.fractions(max_denominator=10**15).filter(
        lambda f: not _exact.is_decimal_denominator(f.denominator)
    ),
    _SPECS,
)
@example(Fraction(-1, 3000), ".2f")  # rounds to a negative zero, kept
@example(Fraction(999999, 1000001), ".2g")  # rounds up to the next power of ten
@example(Fraction(2, 3), ".0e")
def test_a_ratio_formats_as_the_decimal_of_its_value(
    value: Fraction, spec: str
) -> None:
    """``f"{balance:.2f}"`` works for every balance (newcomer trial 8: on
    Python 3.11 a ``Ratio`` raised ``TypeError``): a ``Ratio`` formats as
    the ``Decimal`` of its exact value, to 60 more digits than shown, does
    (rounded half to even: no tie can fall there for these denominators)."""
    ratio = _exact.normalize(value)
    assert isinstance(ratio, Ratio)
    with decimal.localcontext() as context:
        context.prec = 100
        near = Decimal(value.numerator) / Decimal(value.denominator)
    shown = spec
    if "." not in spec:  # as a float: 6 digits by default
        shown = f"{spec[:-1]}.6{spec[-1]}"
    if shown.endswith("F"):  # the same for a finite value; 3.11's Decimal
        shown = shown[:-1] + "f"  # keeps "-0.0" with "zF" (not with "zf")
    try:
        expected = format(near, shown)
    except ValueError:  # a Decimal takes no "_" with this kind: nor does it
        with pytest.raises(InvalidValueError, match="format"):
            format(ratio, spec)
        return
    assert format(ratio, spec) == expected


def test_a_ratio_without_a_number_format_shows_its_fraction() -> None:
    third = Ratio(1, 3)
    assert [f"{third}", f"{third:>6}", f"{third:*<6}", f"{-third:+}"] == [
        "1/3",
        "   1/3",
        "1/3***",
        "-1/3",
    ]
    with pytest.raises(InvalidValueError, match="format specifier 'x'"):
        format(third, "x")
