"""Amounts add and print alike: arithmetic against ``Fraction``, normal form.

Issue 12: with a 1/3 referral share ``led.balance("a") + led.balance("b")``
raised ``TypeError`` (``Fraction + Decimal``), and ``balances()`` returned
``Decimal('0')`` beside ``Decimal('0.0')``.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import Ledger, Ratio, total
from favorledger._exact import canonical, is_decimal_denominator, neg, normalize


def in_normal_form(value: object) -> bool:
    """A ``Decimal`` without trailing zeros or exponent, or a ``Ratio`` that no
    ``Decimal`` could hold."""
    if type(value) is Decimal:
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        digits = value.as_tuple().digits
        whole = exponent == 0 and not (value.is_zero() and value.is_signed())
        return whole or (exponent < 0 and digits[-1] != 0)
    return type(value) is Ratio and not is_decimal_denominator(value.denominator)


fractions = st.fractions(max_denominator=60).filter(lambda f: abs(f) < 10**6)
amounts = fractions.map(normalize)
# Decimals as users type them, trailing zeros and all
typed_decimals = st.decimals(
    min_value=-(10**6), max_value=10**6, places=3, allow_nan=False
)
OPERATIONS = [operator.add, operator.sub, operator.mul]


@given(amounts, amounts, st.sampled_from(OPERATIONS))
def test_amounts_compute_like_fractions_and_stay_in_normal_form(
    a: Decimal | Ratio, b: Decimal | Ratio, op: object
) -> None:
    assert callable(op)
    result = op(a, b)
    assert result == op(Fraction(a), Fraction(b))
    if isinstance(a, Ratio) or isinstance(b, Ratio):  # our arithmetic, not Decimal's
        assert in_normal_form(result)


@given(amounts, st.integers(-1000, 1000), st.sampled_from(OPERATIONS))
def test_amounts_compute_with_int_both_ways(
    a: Decimal | Ratio, n: int, op: object
) -> None:
    assert callable(op)
    assert op(a, n) == op(Fraction(a), n)
    assert op(n, a) == op(n, Fraction(a))


@given(amounts, amounts)
def test_amounts_compare_like_fractions(a: Decimal | Ratio, b: Decimal | Ratio) -> None:
    x, y = Fraction(a), Fraction(b)
    assert (a < b, a <= b, a == b, a > b, a != b) == (
        x < y,
        x <= y,
        x == y,
        x > y,
        x != y,
    )
    assert (a == b) <= (hash(a) == hash(b))


ratios = amounts.filter(lambda a: type(a) is Ratio)
# what a Ratio meets: amounts, ints and plain fractions (zero included)
operands = amounts | st.integers(-1000, 1000) | fractions
RATIO_OPERATIONS = [operator.add, operator.sub, operator.mul, operator.truediv]


@given(ratios, operands, st.sampled_from(RATIO_OPERATIONS))
@example(Ratio(1, 3), Decimal("0.5"), operator.truediv)
@example(Ratio(1, 3), Decimal(0), operator.truediv)
@example(Ratio(-2, 3), 3, operator.mul)
def test_a_ratio_computes_like_a_fraction_with_anything_both_ways(
    r: Ratio, x: Decimal | Ratio | Fraction | int, op: object
) -> None:
    """A ``Ratio`` adds, subtracts, multiplies and divides with a decimal, a
    ratio, an ``int`` or a ``Fraction``, on either side, as fractions would,
    and the result is an amount in normal form; dividing by zero raises as it
    does for fractions."""
    assert callable(op)
    for left, right in ((r, x), (x, r)):
        try:
            expected = op(Fraction(left), Fraction(right))
        except ZeroDivisionError:
            with pytest.raises(ZeroDivisionError):
                op(left, right)
            continue
        result = op(left, right)
        assert result == expected
        assert in_normal_form(result), (left, right, result)


@given(ratios)
@example(Ratio(-1, 3))
def test_a_ratios_sign_and_size_are_a_fractions(r: Ratio) -> None:
    """Negating a ``Ratio``, its ``+`` and its ``abs`` give the fraction's
    values, still ratios in normal form that hash as the fractions do."""
    x = Fraction(r)
    for got, expected in ((-r, -x), (+r, +x), (abs(r), abs(x)), (neg(r), -x)):
        assert got == expected
        assert in_normal_form(got)
        assert hash(got) == hash(expected)
        assert repr(got) == f"Ratio({expected.numerator}, {expected.denominator})"


@given(ratios, st.floats(-(10**6), 10**6), st.sampled_from(RATIO_OPERATIONS))
def test_a_ratio_with_a_float_gives_the_float_a_fraction_gives(
    r: Ratio, f: float, op: object
) -> None:
    """A float has already left exact arithmetic: with a ``Ratio`` it gives the
    very float a ``Fraction`` gives, on either side."""
    assert callable(op)
    for left, right, plain in ((r, f, (Fraction(r), f)), (f, r, (f, Fraction(r)))):
        try:
            expected = op(*plain)
        except ZeroDivisionError:
            continue
        result = op(left, right)
        assert type(result) is float
        assert result == expected


@pytest.mark.parametrize("special", ["NaN", "Infinity", "-Infinity", "sNaN"])
@pytest.mark.parametrize("op", RATIO_OPERATIONS)
def test_a_ratio_refuses_a_decimal_that_is_no_number(special: str, op: object) -> None:
    """A NaN or infinite ``Decimal`` is no amount: arithmetic with a ``Ratio``
    raises ``TypeError``, as ``Fraction`` does with any ``Decimal``."""
    assert callable(op)
    with pytest.raises(TypeError):
        op(Ratio(1, 3), Decimal(special))
    with pytest.raises(TypeError):
        op(Decimal(special), Ratio(1, 3))


@given(st.lists(amounts | st.integers(-100, 100), max_size=20))
def test_sum_adds_any_mix(values: list[Decimal | Ratio | int]) -> None:
    expected = sum((Fraction(v) for v in values), Fraction(0))
    assert sum(values) == expected
    assert total(values) == expected
    assert in_normal_form(total(values))


@given(typed_decimals)
def test_equal_decimals_look_the_same(value: Decimal) -> None:
    tidy = canonical(value)
    assert tidy == value
    assert in_normal_form(tidy)
    padded = value.quantize(Decimal("0.000001"))  # the same value, typed longer
    assert repr(canonical(padded)) == repr(tidy)


@given(
    st.lists(
        st.tuples(typed_decimals.filter(lambda d: d > 0), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_balances_are_in_normal_form(favors: list[tuple[Decimal, bool]]) -> None:
    led = Ledger(referral_share="1/3")
    for value, referred in favors:
        led.record("ann", "bob", value, via="cy" if referred else None)
    for index, (value, _) in enumerate(favors):
        if index % 2:
            led.record("bob", "ann", value)
    for amount in [*led.balances().values(), *(d.amount for d in led.who_owes_whom())]:
        assert in_normal_form(amount), repr(amount)
    assert sum(led.balances().values()) == 0


def test_thirds_add_to_decimals() -> None:
    """What was seen: Fraction + Decimal raised TypeError."""
    led = Ledger(referral_share="1/3")
    led.record("carol", "me", 1, via="bob")
    led.record("me", "carol", "1.5")
    carol, bob, me = (led.balance(p) for p in ("carol", "bob", "me"))
    assert (type(carol), type(bob), type(me)) == (Ratio, Ratio, Decimal)
    assert carol + bob == Fraction(-1, 2)
    assert me + bob - carol == Fraction(1, 3)
    assert sum(led.balances().values()) == 0


def test_zero_looks_like_zero() -> None:
    """What was seen: Decimal('0') beside Decimal('0.0')."""
    led = Ledger()
    led.record("ann", "bob", "2.50")
    led.record("bob", "ann", "2.5")
    led.record("cy", "dee", 1)
    led.record("dee", "cy", 1)
    assert {repr(v) for p, v in led.balances().items()} == {"Decimal('0')"}
    assert repr(led.history("ann")[0].value) == "Decimal('2.5')"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("4.50", "4.5"), ("0.0", "0"), ("1E+2", "100"), ("-0", "0"), ("7", "7")],
)
def test_canonical_examples(typed: str, shown: str) -> None:
    assert str(canonical(Decimal(typed))) == shown


@given(st.lists(amounts | st.none(), max_size=12))
def test_a_column_has_one_number_of_decimals_and_keeps_every_value(
    column: list[Decimal | Ratio | None],
) -> None:
    """The command's amount columns (hledger style): every decimal cell has
    the same number of decimals, and each cell reads back as its value."""
    from favorledger._display import amount_column

    cells = amount_column(column)
    decimals = {
        len(cell.partition(".")[2])
        for cell, value in zip(cells, column, strict=True)
        if isinstance(value, Decimal)
    }
    assert len(decimals) <= 1
    for cell, value in zip(cells, column, strict=True):
        if value is None:
            assert cell == ""
        else:
            assert Fraction(cell) == value
            assert ("/" in cell) == isinstance(value, Ratio)


@given(
    amounts | st.integers(-2000, 2000).map(Decimal),
    amounts,
    st.sampled_from(["add", "sub", "mul"]),
)
def test_the_library_arithmetic_keeps_normal_form(
    a: Decimal | Ratio, b: Decimal | Ratio, name: str
) -> None:
    """``_exact``'s sums, differences and products of amounts in normal form
    are in normal form (what the ledger's index holds), whole shortcuts too."""
    from favorledger import _exact

    a = _exact.canonical(a) if isinstance(a, Decimal) else a
    result = getattr(_exact, name)(a, b)
    assert result == getattr(operator, name)(Fraction(a), Fraction(b))
    assert in_normal_form(result), (a, b, result)


@pytest.mark.parametrize("whole", ["10.00", "3.0", "1E+2"])
def test_a_whole_amount_not_in_normal_form_is_brought_to_it(whole: str) -> None:
    """A decayed value can be ``Decimal('10.00')``: equal to a small whole, so
    the shortcut for small wholes must go by identity, not equality."""
    from favorledger import _exact

    assert str(_exact.add(Decimal(0), Decimal(whole))) == str(int(Decimal(whole)))
    assert str(_exact.sub(Decimal(0), Decimal(whole))) == str(-int(Decimal(whole)))
