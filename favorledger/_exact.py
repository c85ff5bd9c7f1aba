"""Exact amounts: parsing, arithmetic and normal form.

An *amount* is a ``Decimal`` when its value has a finite decimal expansion and
a ``Fraction`` otherwise (one third of a favor stays one third). This module
is the only place that does arithmetic on amounts, so no other module can
round by accident:

* ``Decimal`` arithmetic runs in a context with unbounded precision that
  traps ``Inexact``, so a sum that would round raises instead;
* anything involving a ``Fraction`` is computed as fractions and brought back
  to normal form with :func:`normalize`.

The fast path (two decimals) is a single C call, which keeps recording a
favor within a small multiple of a bare dictionary update.

Examples
--------
>>> from fractions import Fraction
>>> add(Decimal("0.1"), Decimal("0.2"))
Decimal('0.3')
>>> mul(Decimal(3), Fraction(1, 3))
Decimal('1')
>>> add(Fraction(1, 3), Decimal(1))
Fraction(4, 3)
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

from favorledger.errors import InvalidValueError, shown

__all__ = [
    "MAX_DENOMINATOR",
    "MAX_TEXT",
    "MAX_VALUE",
    "ZERO",
    "Amount",
    "add",
    "fraction",
    "is_decimal_denominator",
    "mul",
    "neg",
    "normalize",
    "parse_amount",
    "parse_derived",
    "sub",
    "total",
]

Amount: TypeAlias = Decimal | Fraction
"""An exact quantity of favor: a ``Decimal`` if it has one, else a ``Fraction``."""

MAX_VALUE = Decimal(10) ** 15
"""The largest magnitude a single recorded value may have."""

MAX_DENOMINATOR = 10**12
"""The finest resolution a recorded value may have (a ``1e-12`` of a favor)."""

MAX_TEXT = 64
"""The longest numeric text accepted, in characters (checked before parsing)."""

ZERO = Decimal(0)
_ONE = Decimal(1)
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[0-9]+/[0-9]+"
)
# A decimal with more than this many places (after dropping trailing zeros)
# has a denominator of at least 2**41 > MAX_DENOMINATOR.
_MAX_PLACES = 40

_EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[
        decimal.Inexact,
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
    ],
)
SMALL_INTS = {n: Decimal(n) for n in range(1025)}
"""Shared ``Decimal`` objects for the small whole values most favors have."""
_MAX_INT = int(MAX_VALUE)


def is_decimal_denominator(denominator: int) -> bool:
    """Tell whether ``1/denominator`` has a finite decimal expansion.

    Examples
    --------
    >>> is_decimal_denominator(40), is_decimal_denominator(3)
    (True, False)
    """
    odd = denominator >> ((denominator & -denominator).bit_length() - 1)
    while odd % 5 == 0:
        odd //= 5
    return odd == 1


def normalize(value: Fraction) -> Amount:
    """Return ``value`` as a ``Decimal`` when that is exact, else unchanged.

    Examples
    --------
    >>> normalize(Fraction(3, 8)), normalize(Fraction(1, 3))
    (Decimal('0.375'), Fraction(1, 3))
    """
    num, den = value.numerator, value.denominator
    if den == 1:
        return SMALL_INTS.get(num) or Decimal(num)
    if not is_decimal_denominator(den):
        return value
    places = 0
    power = 1
    while power % den:
        places += 1
        power *= 10
    return Decimal(num * (power // den)).scaleb(-places, _EXACT)


def fraction(value: Amount) -> Fraction:
    """Return ``value`` as a ``Fraction`` (exactly).

    Examples
    --------
    >>> fraction(Decimal("0.25"))
    Fraction(1, 4)
    """
    return value if type(value) is Fraction else Fraction(value)


def add(a: Amount, b: Amount) -> Amount:
    """Return ``a + b`` exactly, in normal form."""
    if type(a) is Decimal and type(b) is Decimal:
        return _EXACT.add(a, b)
    return normalize(fraction(a) + fraction(b))


def sub(a: Amount, b: Amount) -> Amount:
    """Return ``a - b`` exactly, in normal form."""
    if type(a) is Decimal and type(b) is Decimal:
        return _EXACT.subtract(a, b)
    return normalize(fraction(a) - fraction(b))


def mul(a: Amount, b: Amount) -> Amount:
    """Return ``a * b`` exactly, in normal form, without trailing zeros.

    Examples
    --------
    >>> mul(Decimal(4), Decimal("0.25")), mul(Decimal("2.5"), Decimal(4))
    (Decimal('1'), Decimal('10'))
    """
    if type(a) is Decimal and type(b) is Decimal:
        return _tidy(_EXACT.multiply(a, b))
    return normalize(fraction(a) * fraction(b))


def _tidy(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(_ONE, context=_EXACT)
    return value.normalize(_EXACT)


def neg(a: Amount) -> Amount:
    """Return ``-a`` exactly."""
    return -a if isinstance(a, Fraction) else _EXACT.minus(a)


def total(values: Iterable[Amount]) -> Amount:
    """Return the exact sum of ``values`` (``Decimal(0)`` when empty).

    Python cannot add a ``Decimal`` to a ``Fraction``, so the builtin ``sum``
    fails on a ledger that holds thirds; ``total`` adds any mix exactly.

    Examples
    --------
    >>> total([Decimal("0.5"), Fraction(1, 3), Fraction(1, 6)])
    Decimal('1')
    """
    result: Amount = ZERO
    for value in values:
        result = add(result, value)
    return result


def _coerce(raw: object, field: str, error: type[InvalidValueError]) -> Amount:
    if isinstance(raw, bool | float):
        kind = type(raw).__name__
        raise error(
            f"{field} must be an exact number (int, Decimal, Fraction or a numeric"
            f" string), not a {kind}: got {raw!r}"
        )
    if isinstance(raw, int):
        return SMALL_INTS.get(raw) or Decimal(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise error(f"{field} must be a finite number, got {raw!r}")
        return raw
    if isinstance(raw, Fraction):
        return normalize(raw)
    if isinstance(raw, str):
        return _parse_text(raw, field, error)
    raise error(
        f"{field} must be an exact number (int, Decimal, Fraction or a numeric"
        f" string), got {shown(raw)} of type {type(raw).__name__}"
    )


def _parse_text(raw: str, field: str, error: type[InvalidValueError]) -> Amount:
    """Decimal text (``2.50``, ``1e-3``) or a ratio of integers (``1/3``), in
    ASCII digits only (Python would also read ``1_5`` and other scripts'
    digits), at most :data:`MAX_TEXT` characters."""
    if len(raw) > MAX_TEXT:
        raise error(
            f"{field} must be a number of at most {MAX_TEXT} characters,"
            f" got {shown(raw)}"
        )
    text = raw.strip()
    if not _NUMBER.fullmatch(text):
        raise error(f"{field} must be a number, got {raw!r}")
    try:
        return Decimal(text) if "/" not in text else normalize(Fraction(text))
    except ZeroDivisionError:
        raise error(f"{field} must be a number, got {raw!r}") from None


def _resolution_ok(value: Amount) -> bool:
    """Whether ``value`` is a whole number of ``1/MAX_DENOMINATOR`` or coarser
    (judged by its value: ``Decimal("1.0000000000000")`` is fine).

    It never builds ``10**places`` for a decimal with absurdly many places
    (``1e-99999999``): past :data:`_MAX_PLACES` the answer is known.
    """
    if isinstance(value, Fraction):
        return value.denominator <= MAX_DENOMINATOR
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= -12:
        return True
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    places = -exponent - (len(digits) - significant)
    if significant == 0 or places <= 12:
        return True
    if places > _MAX_PLACES:
        return False
    return fraction(value).denominator <= MAX_DENOMINATOR


def _refuse_huge(raw: object, field: str, error: type[InvalidValueError]) -> None:
    """Refuse an int or Fraction too big (or too fine) to be an input before
    converting it: ``Decimal(10**5000)`` and normalising ``1/5**10000`` are
    slow, and neither could pass the checks that follow."""
    if type(raw) is int and not -_MAX_INT < raw < _MAX_INT:
        if raw < 0:
            raise error(f"{field} must be positive, got {shown(raw)}")
        raise error(f"{field} must be less than {MAX_VALUE:,}, got {shown(raw)}")
    if isinstance(raw, Fraction) and raw.denominator > MAX_DENOMINATOR:
        raise error(
            f"{field} must have a denominator of at most 10**12 (no finer than"
            f" 1e-12), got {shown(raw)}"
        )


def parse_amount(
    raw: object,
    *,
    field: str,
    error: type[InvalidValueError] = InvalidValueError,
    allow_zero: bool = False,
) -> Amount:
    """Turn user input into an exact, positive amount, or raise ``error``.

    Parameters
    ----------
    raw
        An ``int``, ``Decimal``, ``Fraction`` or numeric string (``"2.5"``,
        ``"1/3"``). Floats and booleans are refused: a float has already lost
        the exact value the user meant.
    field
        The field's name, used in the error message.
    error
        The exception class to raise.
    allow_zero
        Accept zero as well as positive values.

    Returns
    -------
    Decimal or Fraction
        The value in normal form (a ``Decimal`` whenever that is exact).

    Raises
    ------
    InvalidValueError
        (or ``error``) for floats, booleans, NaN, infinities, non-numbers,
        zero (unless allowed), negatives, magnitudes of ``MAX_VALUE`` or more
        and resolutions finer than ``1e-12``; for text longer than
        :data:`MAX_TEXT`, or with digits other than ASCII ``0-9`` or with
        underscores. Each check runs before anything large is built, so
        ``"1e-99999999"`` is refused at once.

    Examples
    --------
    >>> parse_amount("1/4", field="value"), parse_amount(3, field="value")
    (Decimal('0.25'), Decimal('3'))
    >>> parse_amount(0.1, field="Favor.value")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: Favor.value must be an exact number \
(int, Decimal, Fraction or a numeric string), not a float: got 0.1
    """
    if type(raw) is int and 0 < raw < _MAX_INT:
        return SMALL_INTS.get(raw) or Decimal(raw)  # the common case
    _refuse_huge(raw, field, error)
    value = _coerce(raw, field, error)
    if value < 0 or (value == 0 and not allow_zero):
        wanted = "zero or positive" if allow_zero else "positive"
        raise error(f"{field} must be {wanted}, got {shown(raw)}")
    if value >= _MAX_INT:  # an int: cheap to compare with a huge Fraction
        raise error(f"{field} must be less than {MAX_VALUE:,}, got {shown(raw)}")
    if not _resolution_ok(value):
        raise error(
            f"{field} must have a denominator of at most 10**12 (no finer than"
            f" 1e-12), got {shown(raw)}"
        )
    return value


def parse_derived(
    raw: object, *, field: str, error: type[InvalidValueError] = InvalidValueError
) -> Amount:
    """Check an amount the library derived (a sum, a share): exact and positive.

    Unlike :func:`parse_amount` it sets no bound on magnitude or resolution:
    the input limits are for what people type, and a sum of valid values
    (or a share of one) must never be refused.

    Examples
    --------
    >>> parse_derived(Fraction(2, 10**13 + 1), field="Transfer.amount")
    Fraction(2, 10000000000001)
    >>> parse_derived(-1, field="Transfer.amount")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: Transfer.amount must be positive, got -1
    """
    if type(raw) is Decimal and raw.is_finite() and raw > 0:
        return raw  # the common case
    value = _coerce(raw, field, error)
    if not value > 0:
        raise error(f"{field} must be positive, got {raw!r}")
    return value
