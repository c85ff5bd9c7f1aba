"""Exact amounts: parsing, arithmetic and normal form.

An *amount* is a ``Decimal`` when its value has a finite decimal expansion and
a :class:`Ratio` (a ``Fraction`` that also adds with ``Decimal``) otherwise:
one third of a favor stays one third. Amounts are kept in one *normal form*,
so equal values look the same: a ``Decimal`` has no trailing zeros and no
exponent (``Decimal('4.5')``, ``Decimal('100')``, never ``Decimal('4.50')``,
``Decimal('0.0')`` or ``Decimal('1E+2')``), and a ``Ratio`` is never a value
a ``Decimal`` could hold.

Any two amounts, and an amount and an ``int``, can be added, subtracted,
multiplied, compared and summed with Python's ``sum``. This module is the
only place that does arithmetic on amounts inside the library, so no other
module can round by accident:

* ``Decimal`` arithmetic runs in a context with unbounded precision that
  traps ``Inexact``, so a sum that would round raises instead;
* anything involving a ``Ratio`` is computed as fractions and brought back
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
Ratio(4, 3)
>>> sum([Decimal("0.5"), normalize(Fraction(1, 3)), 1])
Ratio(11, 6)
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate, repeat
from typing import Any, Final, NoReturn, TypeAlias, cast, overload

from favorledger.errors import InvalidValueError, shown

__all__ = [
    "MAX_DENOMINATOR",
    "MAX_TEXT",
    "MAX_VALUE",
    "ZERO",
    "Amount",
    "AmountLike",
    "Ratio",
    "add",
    "fraction",
    "is_decimal_denominator",
    "mul",
    "neg",
    "normalize",
    "parse_amount",
    "parse_derived",
    "running",
    "sub",
    "total",
]


class Ratio(Fraction):
    """An exact amount with no decimal form, such as a third of a favor.

    A ``Fraction`` in every way, except that arithmetic with a ``Decimal``
    works (a plain ``Fraction`` raises ``TypeError``) and every result is an
    amount in normal form: a ``Decimal`` when it has one, else a ``Ratio``.

    Examples
    --------
    >>> third = Ratio(1, 3)
    >>> third + Decimal("0.5"), Decimal(1) - third, 3 * third
    (Ratio(5, 6), Ratio(2, 3), Decimal('1'))
    >>> sum([third, third, Decimal("0.25")]), str(third), third > Decimal("0.3")
    (Ratio(11, 12), '1/3', True)

    ``round`` rounds half to even, as for a ``Decimal``: to ``ndigits``
    places it gives the exact ``Decimal`` (in normal form, so it adds to any
    amount); without ``ndigits``, the nearest ``int``.

    >>> round(Ratio(4, 3), 2), round(Ratio(1250, 3), -2), round(Ratio(5, 2))
    (Decimal('1.33'), Decimal('400'), 2)

    A format with a precision or a presentation type (``e``, ``f``, ``g``,
    ``%``) shows it as a ``Decimal`` of that value would show, rounded half
    to even from the exact value, so a balance formats alike whichever kind
    it is:

    >>> f"{Ratio(-4, 3):.2f}", f"{Ratio(2, 3):>8.1%}", f"{Ratio(10**6, 3):,.0f}"
    ('-1.33', '   66.7%', '333,333')
    >>> f"{Ratio(1, 3):.2x}"
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: Invalid format specifier '.2x' for a \
Ratio (it takes those of a Decimal: e, f, g or %, with fill, sign, width, \
grouping and precision)
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        found = _FORMAT.fullmatch(spec)
        if found is None:
            raise InvalidValueError(
                f"Invalid format specifier {spec!r} for a Ratio (it takes those"
                " of a Decimal: e, f, g or %, with fill, sign, width, grouping"
                " and precision)"
            )
        kind, places = found["kind"], found["places"]
        if not kind and places is None:  # no number format: the text, aligned
            text = str(self)
            if self >= 0 and found["sign"] in ("+", " "):
                text = found["sign"] + text
            return format(text, (found["align"] or ">") + found["width"])
        try:
            return format(_rounded_for(self, kind, places), spec)
        except ValueError as exc:  # one a Decimal refuses ("_" with "e")
            raise InvalidValueError(
                f"Invalid format specifier {spec!r} for a Ratio: {exc}"
            ) from None

    def __add__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__add__, self, other)

    def __radd__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__radd__, self, other)

    def __sub__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__sub__, self, other)

    def __rsub__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__rsub__, self, other)

    def __mul__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__mul__, self, other)

    def __rmul__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__rmul__, self, other)

    def __truediv__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__truediv__, self, other)

    def __rtruediv__(self, other: object) -> Amount:  # type: ignore[override]
        return _apply(Fraction.__rtruediv__, self, other)

    def __neg__(self) -> Ratio:
        return _ratio(-self.numerator, self.denominator)

    def __pos__(self) -> Ratio:
        return self

    def __abs__(self) -> Ratio:
        return _ratio(abs(self.numerator), self.denominator)

    @overload  # type: ignore[override]
    def __round__(self, ndigits: None = None) -> int: ...
    @overload
    def __round__(self, ndigits: int) -> Decimal: ...
    def __round__(self, ndigits: int | None = None) -> int | Decimal:
        if ndigits is None:
            return Fraction.__round__(self)
        rounded = normalize(Fraction.__round__(self, ndigits))
        assert isinstance(rounded, Decimal)  # its denominator is a power of ten
        return rounded


_FORMAT: Final = re.compile(
    r"(?P<align>(?:.?[<>=^])?)(?P<sign>[-+ ]?)z?#?0?(?P<width>[0-9]*)[,_]?"
    r"(?:\.(?P<places>[0-9]+))?(?P<kind>[eEfFgG%]?)",
    re.DOTALL,
)
"""A format specification of the float presentation types (what
:meth:`Ratio.__format__` takes: the ``Decimal`` formatter's own)."""


def _rounded_for(value: Fraction, kind: str, places: str | None) -> Decimal:
    """``value`` rounded half to even, exactly, to the digits the format
    ``kind`` shows at ``places`` (default 6): a ``Decimal`` the formatter
    then shows as it is, with no second rounding."""
    digits = 6 if places is None else int(places)
    sign = "-" if value < 0 else ""
    size = abs(value)
    if kind in ("f", "F", "%"):  # digits after the point (of the percentage)
        shift = digits + 2 if kind == "%" else digits
        return Decimal(f"{sign}{round(size * 10**shift)}E-{shift}")
    if kind in ("g", "G", ""):  # significant digits: at least one
        digits = max(digits, 1) - 1
    if not size:
        return Decimal(f"{sign}0")
    top = len(str(size.numerator)) - len(str(size.denominator))
    if size < Fraction(10) ** top:  # now 10**top <= size < 10**(top + 1)
        top -= 1
    kept = round(size / Fraction(10) ** (top - digits))  # may round up to 10**n:
    return Decimal(f"{sign}{kept}E{top - digits}")  # its extra digit is a 0


Amount: TypeAlias = Decimal | Ratio
"""An exact quantity of favor: a ``Decimal`` if it has one, else a ``Ratio``."""

AmountLike: TypeAlias = int | str | Decimal | Fraction
"""What a value parameter accepts (``record``'s value, a tie's strength, a
share...): an ``int``, ``Decimal``, ``Fraction`` (an :data:`Amount` is one of
these) or numeric text; it is checked and made an :data:`Amount`."""


def _ratio(numerator: int, denominator: int) -> Ratio:
    """A ``Ratio`` from coprime parts, without recomputing their gcd."""
    value = object.__new__(Ratio)
    value._numerator = numerator  # type: ignore[attr-defined]
    value._denominator = denominator  # type: ignore[attr-defined]
    return value


def _apply(operation: Any, a: Ratio, b: object) -> Amount:
    """``operation(a, b)`` with a ``Decimal`` taken as a fraction; a rational
    result comes back in normal form, anything else (a float) as it is."""
    if isinstance(b, Decimal):
        if not b.is_finite():
            return NotImplemented  # type: ignore[no-any-return]
        b = Fraction(b)
    result = operation(a, b)
    if isinstance(result, Fraction):
        return normalize(result)
    return result  # type: ignore[no-any-return]  # a float or NotImplemented


MAX_VALUE = Decimal(10) ** 15
"""The largest magnitude a single recorded value may have."""

MAX_DENOMINATOR = 10**12
"""The finest resolution a recorded value may have (a ``1e-12`` of a favor)."""

MAX_TEXT = 64
"""The longest numeric text accepted, in characters (checked before parsing)."""

ZERO = Decimal(0)
_ONE = Decimal(1)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
"""A decimal comma (``1,5``), refused with a hint to type a point."""
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+")
"""Thousands separators (``1,000``, ``12,500,000``): the hint says to leave
them out (and, for one, that a decimal comma would be a point)."""
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
_NEGATIVE_SMALL = tuple(-value for value in SMALL_INTS.values())
_WHOLE = frozenset(map(id, (*SMALL_INTS.values(), *_NEGATIVE_SMALL)))
"""The ids of the shared small whole amounts (``SMALL_INTS`` and their
negatives): adding one to an amount in normal form gives one in normal form
(a trailing zero needs two non-whole operands), so the check after a sum is
skipped. Identity, not equality: ``Decimal("10.00")`` equals 10 but is not
in normal form. Most favors are worth such an amount (``parse_amount``,
``canonical`` and the store hand out these very objects)."""
WHOLE_IDS: Final = _WHOLE
"""The ids of the shared small whole amounts (see :func:`add`)."""
plus: Final = _EXACT.add
"""Exact ``Decimal`` addition in C. The sum is in normal form when one operand
is a shared small whole amount (its id in :data:`WHOLE_IDS`) and the other a
``Decimal`` in normal form: the case :func:`add` takes first, for a caller on
a hot path that cannot afford the call."""
minus: Final = _EXACT.subtract
"""Exact ``Decimal`` subtraction in C, in normal form as for :data:`plus`."""


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
    """Return ``value`` as a ``Decimal`` when that is exact, else a ``Ratio``.

    Examples
    --------
    >>> normalize(Fraction(3, 8)), normalize(Fraction(1, 3))
    (Decimal('0.375'), Ratio(1, 3))
    """
    num, den = value.numerator, value.denominator
    if den == 1:
        return SMALL_INTS.get(num) or Decimal(num)
    if not is_decimal_denominator(den):
        return value if type(value) is Ratio else _ratio(num, den)
    places = 0
    power = 1
    while power % den:
        places += 1
        power *= 10
    return Decimal(num * (power // den)).scaleb(-places, _EXACT)


def fraction(value: Amount | Fraction) -> Fraction:
    """Return ``value`` as a plain ``Fraction`` (exactly).

    Examples
    --------
    >>> fraction(Decimal("0.25")), fraction(Ratio(1, 3))
    (Fraction(1, 4), Fraction(1, 3))
    """
    if type(value) is Fraction:
        return value
    if isinstance(value, Fraction):
        return Fraction(value.numerator, value.denominator)
    return Fraction(value)


def canonical(value: Decimal) -> Decimal:
    """Return a ``Decimal`` in normal form: no trailing zeros, no exponent.

    Examples
    --------
    >>> canonical(Decimal("4.50")), canonical(Decimal("0.0"))
    (Decimal('4.5'), Decimal('0'))
    >>> canonical(Decimal("1E+2")), canonical(Decimal("-0"))
    (Decimal('100'), Decimal('0'))
    """
    whole = value.to_integral_value()
    if whole == value:  # the common case: a whole number, made exponent 0
        if not whole:
            return ZERO  # also for Decimal("-0")
        return SMALL_INTS.get(int(whole)) or whole.quantize(_ONE, context=_EXACT)
    return value.normalize(_EXACT)


def add(a: Amount, b: Amount) -> Amount:
    """Return ``a + b`` exactly, in normal form.

    Examples
    --------
    >>> add(Decimal("1.5"), Decimal("1.5")), add(Decimal("0.25"), Decimal("-0.25"))
    (Decimal('3'), Decimal('0'))
    """
    if id(b) in _WHOLE and type(a) is Decimal:  # the common case: a small whole b
        return _EXACT.add(a, b)  # type: ignore[arg-type]
    if type(a) is Decimal and type(b) is Decimal:
        # strip trailing zeros; adding 0 turns an exponent normalize made
        # positive (1E+1) back into 0 (10): two C calls in all
        return _EXACT.add(_EXACT.add(a, b).normalize(_EXACT), ZERO)
    return normalize(fraction(a) + fraction(b))


def sub(a: Amount, b: Amount) -> Amount:
    """Return ``a - b`` exactly, in normal form."""
    if id(b) in _WHOLE and type(a) is Decimal:
        return _EXACT.subtract(a, b)  # type: ignore[arg-type]
    if type(a) is Decimal and type(b) is Decimal:
        return _EXACT.add(_EXACT.subtract(a, b).normalize(_EXACT), ZERO)
    return normalize(fraction(a) - fraction(b))


def mul(a: Amount, b: Amount) -> Amount:
    """Return ``a * b`` exactly, in normal form, without trailing zeros.

    Examples
    --------
    >>> mul(Decimal(4), Decimal("0.25")), mul(Decimal("2.5"), Decimal(4))
    (Decimal('1'), Decimal('10'))
    """
    if type(a) is Decimal and type(b) is Decimal:
        return canonical(_EXACT.multiply(a, b))
    return normalize(fraction(a) * fraction(b))


def neg(a: Amount) -> Amount:
    """Return ``-a`` exactly."""
    return -a if isinstance(a, Ratio) else _EXACT.minus(a)


def total(values: Iterable[Amount | Fraction | int]) -> Amount:
    """Return the exact sum of ``values`` (``Decimal(0)`` when empty), in
    normal form.

    The builtin ``sum`` works too on amounts the library returns; ``total``
    also takes plain ``Fraction`` values and always returns an amount.

    Examples
    --------
    >>> total([Decimal("0.5"), Fraction(1, 3), Fraction(1, 6)])
    Decimal('1')
    """
    result: Amount = ZERO
    for value in values:
        if type(value) is int:
            value = SMALL_INTS.get(value) or Decimal(value)
        elif type(value) is Fraction:
            value = normalize(value)
        result = add(result, value)  # type: ignore[arg-type]
    return result


def running(values: Iterable[Amount], first: Amount = ZERO) -> list[Amount]:
    """Return ``first``, then ``first`` plus each of ``values`` in turn
    (running sums), exactly, each in normal form: what adding them one by
    one with :func:`add` gives, in C when every one is a ``Decimal``.

    Examples
    --------
    >>> running([Decimal("1.5"), Decimal("0.5"), Decimal(1)], Decimal(2))
    [Decimal('2'), Decimal('3.5'), Decimal('4'), Decimal('5')]
    >>> running([Decimal("0.5"), normalize(Fraction(1, 3))])
    [Decimal('0'), Decimal('0.5'), Ratio(5, 6)]
    """
    values = list(values)
    if type(first) is Decimal:
        try:  # refused in C at the first ratio: then added one by one below
            decimals = cast("list[Decimal]", values)  # checked by Context.add
            sums = list(accumulate(decimals, _EXACT.add, initial=first))
        except TypeError:
            pass
        else:
            # an exact sum's exponent is the least of its terms': when the
            # last sum's is 0, as ``first``'s, no term's is below 0, and
            # amounts in normal form have none above, so every sum is whole
            # in normal form (one test, not one a term)
            if sums[-1].same_quantum(ZERO) and first.same_quantum(ZERO):
                return cast("list[Amount]", sums)
            # as add does: strip trailing zeros, then turn 1E+1 back into 10
            return list(map(_EXACT.add, map(_EXACT.normalize, sums), repeat(ZERO)))
    found = [first]
    for value in values:
        found.append(add(found[-1], value))
    return found


def _coerce(raw: object, field: str, error: type[InvalidValueError]) -> Amount:
    if isinstance(raw, bool | float):
        kind = type(raw).__name__
        raise error(
            f"{field} must be an exact number (int, Decimal, Fraction or a numeric"
            f" string), not a {kind}: got {shown(raw)}"
        )
    if isinstance(raw, int):
        return SMALL_INTS.get(raw) or Decimal(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise error(f"{field} must be a finite number, got {shown(raw)}")
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
        hint = _comma_hint(text)
        raise error(f"{field} must be a number, got {shown(raw)}{hint}")
    try:
        return Decimal(text) if "/" not in text else normalize(Fraction(text))
    except ZeroDivisionError:
        raise error(f"{field} must be a number, got {shown(raw)}") from None


def _comma_hint(text: str) -> str:
    """What to type instead of a number written with a comma, if it has one.

    Examples
    --------
    >>> _comma_hint("3,5"), _comma_hint("1,000,000")
    (' (use a point: 3.5)', ' (write 1000000 without the separators)')
    >>> _comma_hint("1,000")
    ' (write 1000 without the separator, or 1.000 if a decimal comma was meant)'
    """
    if _THOUSANDS.fullmatch(text):
        plain = text.replace(",", "")
        if text.count(",") > 1:
            return f" (write {plain} without the separators)"
        return (
            f" (write {plain} without the separator, or {text.replace(',', '.')}"
            " if a decimal comma was meant)"
        )
    if _DECIMAL_COMMA.fullmatch(text):
        return f" (use a point: {text.replace(',', '.')})"
    return ""


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


def _refuse_sign(
    raw: object, field: str, error: type[InvalidValueError], allow_zero: bool
) -> NoReturn:
    wanted = "zero or positive" if allow_zero else "positive"
    typed = raw.strip() if isinstance(raw, str) else shown(raw)  # a number, as typed
    raise error(f"{field} must be {wanted}, got {typed}")


def _refuse_huge(
    raw: object, field: str, error: type[InvalidValueError], allow_zero: bool
) -> None:
    """Refuse an int or Fraction too big (or too fine) to be an input before
    converting it: ``Decimal(10**5000)`` and normalising ``1/5**10000`` are
    slow, and neither could pass the checks that follow."""
    if type(raw) is int and not -_MAX_INT < raw < _MAX_INT:
        if raw < 0:
            _refuse_sign(raw, field, error, allow_zero)
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
    Decimal or Ratio
        The value in normal form (a ``Decimal`` without trailing zeros
        whenever that is exact).

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
    >>> parse_amount("2.50", field="value"), parse_amount("6/3", field="value")
    (Decimal('2.5'), Decimal('2'))
    >>> parse_amount(0.1, field="Favor.value")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: Favor.value must be an exact number \
(int, Decimal, Fraction or a numeric string), not a float: got 0.1
    """
    if type(raw) is int and 0 < raw < _MAX_INT:
        return SMALL_INTS.get(raw) or Decimal(raw)  # the common case
    _refuse_huge(raw, field, error, allow_zero)
    value = _coerce(raw, field, error)
    if value < 0 or (value == 0 and not allow_zero):
        _refuse_sign(raw, field, error, allow_zero)
    if value >= _MAX_INT:  # an int: cheap to compare with a huge Fraction
        raise error(f"{field} must be less than {MAX_VALUE:,}, got {shown(raw)}")
    if not _resolution_ok(value):
        raise error(
            f"{field} must have a denominator of at most 10**12 (no finer than"
            f" 1e-12), got {shown(raw)}"
        )
    return canonical(value) if type(value) is Decimal else value


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
    Ratio(2, 10000000000001)
    >>> parse_derived(-1, field="Transfer.amount")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: Transfer.amount must be positive, got -1
    """
    if type(raw) is Decimal and raw.is_finite() and raw > 0:
        return raw  # the common case
    value = _coerce(raw, field, error)
    if not value > 0:
        raise error(f"{field} must be positive, got {shown(value)}")
    return value
