"""Valuation policy: the referrer's share, and how favors lose value with time.

The article notes that a favor that lands someone a job earns "a lifetime
supply of favors", while a small favor is soon forgotten. :class:`Decay`
states that as a half-life per favor kind; kinds it does not list use its
default, and ``None`` means "never decays".

Decay is a *view*: the ledger always keeps the full recorded values, and a
decayed view values each obligation once, so the debtor loses exactly what the
creditor loses and balances still sum to exactly zero.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from decimal import Decimal
>>> decay = Decay(half_life=timedelta(days=365), half_lives={"job": None})
>>> then = datetime(2023, 1, 1, tzinfo=timezone.utc)
>>> decay.worth(Decimal(8), "coffee", since=then, at=then + timedelta(days=730))
Decimal('2.00')
>>> decay.worth(Decimal(8), "job", since=then, at=then + timedelta(days=730))
Decimal('8')
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs

from favorledger._exact import Amount, AmountLike, parse_amount
from favorledger.errors import InvalidPolicyError, shown
from favorledger.model import DEFAULT_SHARE

__all__ = ["DEFAULT_REFERRAL_SHARE", "Decay", "parse_share"]

DEFAULT_REFERRAL_SHARE: Amount = DEFAULT_SHARE
"""The referrer owes half the favor's value unless a ledger or favor says so."""

_WORKING = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN)


def parse_share(raw: object, field: str = "referral_share") -> Amount:
    """Check a referral share: an exact number from 0 to 1 inclusive.

    Examples
    --------
    >>> parse_share("1/3")
    Ratio(1, 3)
    >>> parse_share(2)
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidPolicyError: referral_share must be between 0 \
and 1, got 2
    """
    share = parse_amount(raw, field=field, error=InvalidPolicyError, allow_zero=True)
    if share > 1:
        raise InvalidPolicyError(f"{field} must be between 0 and 1, got {shown(raw)}")
    return share


def _half_life(raw: object, field: str) -> timedelta | None:
    if raw is None:
        return None
    if not isinstance(raw, timedelta) or raw <= timedelta(0):
        raise InvalidPolicyError(
            f"{field} must be a positive timedelta or None, got {raw!r}"
        )
    return raw


def _default_half_life(raw: timedelta | None) -> timedelta | None:
    return _half_life(raw, "Decay.half_life")


def _half_lives(
    raw: Mapping[str, timedelta | None] | Iterable[tuple[str, timedelta | None]],
) -> tuple[tuple[str, timedelta | None], ...]:
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, Iterable) and not isinstance(raw, str | bytes):
        pairs = list(raw)
    else:
        raise InvalidPolicyError(
            f"Decay.half_lives must map favor kinds to half-lives, got {raw!r}"
        )
    checked = {}
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidPolicyError(
                "Decay.half_lives must hold (kind, half-life) pairs,"
                f" got {pair!r} in {raw!r}"
            )
        kind, life = pair
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidPolicyError(
                f"Decay.half_lives keys must be favor kinds, got {kind!r}"
            )
        checked[kind.strip()] = _half_life(life, f"Decay.half_lives[{kind!r}]")
    return tuple(sorted(checked.items()))


def _quantum(raw: AmountLike) -> Decimal:
    quantum = parse_amount(raw, field="Decay.quantum", error=InvalidPolicyError)
    if not isinstance(quantum, Decimal) or quantum.normalize().as_tuple().digits != (
        1,
    ):
        raise InvalidPolicyError(
            f"Decay.quantum must be a power of ten such as 0.01, got {raw!r}"
        )
    return quantum.normalize()


@attrs.frozen(kw_only=True)
class Decay:
    """How obligations lose value over time, by favor kind.

    Parameters
    ----------
    half_life
        The half-life of kinds not listed in ``half_lives``; ``None`` (the
        default) means they never decay.
    half_lives
        Per-kind half-lives, e.g. ``{"coffee": timedelta(days=90),
        "job": None}`` (a job is never forgotten).
    quantum
        The precision decayed values are rounded to (half-even), a power of
        ten: ``"0.01"`` means hundredths. Values that do not decay stay
        exact.

    Raises
    ------
    InvalidPolicyError
        For a half-life that is not a positive ``timedelta`` or ``None``, a
        kind that is not a non-empty string, or a bad quantum.

    Examples
    --------
    >>> Decay(half_life=timedelta(0))
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidPolicyError: Decay.half_life must be a positive \
timedelta or None, got datetime.timedelta(0)
    """

    half_life: timedelta | None = attrs.field(
        default=None, converter=_default_half_life
    )
    half_lives: tuple[tuple[str, timedelta | None], ...] = attrs.field(
        factory=tuple, converter=_half_lives
    )
    quantum: Decimal = attrs.field(default=Decimal("0.01"), converter=_quantum)

    def half_life_of(self, kind: str) -> timedelta | None:
        """Return the half-life that applies to favors of ``kind``."""
        return dict(self.half_lives).get(kind, self.half_life)

    def worth(
        self, amount: Amount, kind: str, *, since: datetime, at: datetime
    ) -> Amount:
        """Value ``amount`` of a ``kind`` favor done at ``since``, seen at ``at``.

        Returns the exact amount when the kind does not decay (or ``at`` is
        not after ``since``); otherwise ``amount * 2 ** -(age / half_life)``
        rounded half-even to ``quantum``, but never more than ``amount``.
        """
        life = self.half_life_of(kind)
        age = at - since
        if life is None or age <= timedelta(0):
            return amount
        exponent = Decimal(_microseconds(age)) / Decimal(_microseconds(life))
        factor = _WORKING.power(Decimal(2), -exponent)
        value = _WORKING.multiply(_as_decimal(amount), factor)
        rounded = value.quantize(self.quantum, rounding=decimal.ROUND_HALF_EVEN)
        return min(rounded, amount)  # rounding never makes a favor worth more


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _as_decimal(amount: Amount) -> Decimal:
    if isinstance(amount, Fraction):
        return _WORKING.divide(Decimal(amount.numerator), Decimal(amount.denominator))
    return amount
