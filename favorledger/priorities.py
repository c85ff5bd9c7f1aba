"""Whom to see first, and how much you can ask of them.

"When your networking efforts gather momentum and the number of new contacts
multiplies geometrically ... some order or priority has to be imposed. Whom
should you see first?" :func:`priorities` ranks your contacts (everyone you
have a tie with, stated or implied) for a goal -- a person to reach, an
expertise to find, or none for general upkeep -- and says why, in words and
numbers.

And "it's not hard to turn off that impulse by asking for too much help":
:func:`ask_capacity` says how large a favor a relationship can bear right now,
so an app can warn before you ask for too much.

Both follow a :class:`PriorityPolicy`: documented weights you can override.

Examples
--------
>>> from datetime import datetime, timezone
>>> from favorledger import Ledger
>>> led = Ledger()
>>> t = "2024-01-01T00:00+00:00"
>>> _ = led.tie("me", "bob", "0.9", kind="friend", at=t)
>>> _ = led.tie("me", "dan", "0.5", kind="neighbor", at=t)
>>> _ = led.tie("dan", "carol", "0.9", kind="colleague", at=t)
>>> _ = led.record("me", "dan", 2, reason="helped him move", at=t)
>>> now = datetime(2024, 2, 1, tzinfo=timezone.utc)
>>> [(row.person, round(row.score, 2)) for row in priorities(led, "me", at=now)]
[('dan', 1.61), ('bob', 1.34)]
>>> rows = priorities(led, "me", goal="carol", at=now)
>>> [(row.person, round(row.score, 2)) for row in rows]
[('dan', 3.41), ('bob', 1.34)]
>>> print(rows[0].explain())
dan: score 3.41
  +0.50  tie strength 0.5 (neighbor)
  +0.67  owes you 2
  +0.00  you owe them nothing
  +1.80  reaches carol in 1 hop with trust 0.90
  -> path me -> dan -> carol
  +0.44  last in touch 2024-01-01 (31 days ago)
>>> print(rows[1].explain())
bob: score 1.34
  +0.90  tie strength 0.9 (friend)
  +0.00  owes you nothing
  +0.00  you owe them nothing
  +0.00  cannot reach carol within 3 hops
  +0.44  last in touch 2024-01-01 (31 days ago)
>>> ask_capacity(led, "me", "dan"), ask_capacity(led, "dan", "me")
(Decimal('2.5'), Decimal('0'))
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

import attrs

from favorledger import _exact
from favorledger._exact import ZERO, Amount, AmountLike, parse_amount
from favorledger.errors import InvalidPolicyError, InvalidQueryError, InvalidValueError
from favorledger.model import as_moment, has_tag, query_tag, utcnow
from favorledger.referrals import (
    Adjacency,
    ReferralPath,
    Step,
    _context,
    _favors_of,
    _layers,
    _make_path,
    _nearest,
    _net_owed,
    _optional_positive,
    _person,
    _trace,
)
from favorledger.ties import implied_strength

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = [
    "Expertise",
    "Priority",
    "PriorityPolicy",
    "Reason",
    "ask_capacity",
    "priorities",
]


# ------------------------------------------------------------------ policy
def _weight(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | Decimal | Fraction)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidPolicyError(
            f"PriorityPolicy.{attribute.name} must be a finite number >= 0,"
            f" got {value!r}"
        )


def _unit(raw: AmountLike) -> Amount:
    return parse_amount(raw, field="PriorityPolicy.unit", error=InvalidPolicyError)


def _allowance(raw: AmountLike) -> Amount:
    return parse_amount(
        raw, field="PriorityPolicy.allowance", error=InvalidPolicyError, allow_zero=True
    )


def _half_life(raw: object) -> timedelta:
    if not isinstance(raw, timedelta) or raw <= timedelta(0):
        raise InvalidPolicyError(
            f"PriorityPolicy.half_life must be a positive timedelta, got {raw!r}"
        )
    return raw


def _reach_hops(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidPolicyError(
            f"PriorityPolicy.reach_hops must be an integer >= 0, got {raw!r}"
        )
    return raw


@attrs.frozen(kw_only=True)
class PriorityPolicy:
    """How :func:`priorities` scores a contact and :func:`ask_capacity` sizes a favor.

    A contact's score is a weighted sum of factors, each between 0 and 1::

        score = strength * tie_strength
              + owed     * x / (x + unit)      x: what they owe you (net)
              - owing    * y / (y + unit)      y: what you owe them (net)
              + reach    * goal_trust          trust of their best path to the goal
              + recency  * 2 ** -(age / half_life)   age: since you were last in touch

    People you owe are asked less (the ``owing`` term subtracts); ``reach``
    counts only when there is a goal, over paths of at most ``reach_hops``
    ties that do not come back through you. All weights are non-negative, so a
    stronger tie, or more owed to you, never lowers a contact's score.

    Parameters
    ----------
    strength, owed, owing, reach, recency
        The weights (finite numbers >= 0; defaults 1, 1, 1, 2 and 0.5).
    unit
        The favor value at which the owed and owing factors reach 1/2
        (exact, positive; default 1).
    half_life
        How fast recency fades (default 180 days).
    reach_hops
        The longest path, in ties, counted from a contact to the goal
        (default 3; 0 means only the contact itself).
    allowance
        What a tie of strength 1 lets you ask with nothing owed either way
        (exact, >= 0; default 1); see :func:`ask_capacity`.

    Raises
    ------
    InvalidPolicyError
        For a negative or non-finite weight, a bad unit, half-life, hop count
        or allowance (the message names the field and value).

    Examples
    --------
    >>> PriorityPolicy(reach=5, recency=0).reach
    5
    >>> PriorityPolicy(owing=-1)
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidPolicyError: PriorityPolicy.owing must be a \
finite number >= 0, got -1
    """

    strength: float = attrs.field(default=1.0, validator=_weight)
    owed: float = attrs.field(default=1.0, validator=_weight)
    owing: float = attrs.field(default=1.0, validator=_weight)
    reach: float = attrs.field(default=2.0, validator=_weight)
    recency: float = attrs.field(default=0.5, validator=_weight)
    unit: Amount = attrs.field(default=Decimal(1), converter=_unit)
    half_life: timedelta = attrs.field(
        default=timedelta(days=180), converter=_half_life
    )
    reach_hops: int = attrs.field(default=3, converter=_reach_hops)
    allowance: Amount = attrs.field(default=Decimal(1), converter=_allowance)


DEFAULT_POLICY: Final = PriorityPolicy()


def _expertise_tag(raw: object) -> str:
    return query_tag(raw, "Expertise.tag")  # as a write keeps it


@attrs.frozen
class Expertise:
    """A goal for :func:`priorities`: reach someone with this expertise tag.

    Examples
    --------
    >>> Expertise("marketing")
    Expertise(tag='marketing')
    """

    tag: str = attrs.field(converter=_expertise_tag)


# ------------------------------------------------------------------ results
@attrs.frozen(kw_only=True)
class Reason:
    """One factor of a contact's score.

    Attributes
    ----------
    factor
        ``"strength"``, ``"owed"``, ``"owing"``, ``"reach"`` or ``"recency"``.
    value
        The factor, between 0 and 1.
    weight
        Its policy weight (negative for ``"owing"``, which subtracts).
    points
        ``value * weight``: what it adds to the score.
    text
        The factor in words.
    """

    factor: str
    value: float
    weight: float
    points: float
    text: str


@attrs.frozen(kw_only=True)
class Priority:
    """A contact's place in :func:`priorities`, with the reasons.

    Attributes
    ----------
    person
        The contact.
    score
        The sum of the reasons' points (higher comes first).
    strength
        The exact strength of your tie.
    owes_me, i_owe
        What they owe you and what you owe them, net (exact; one is 0).
    last_contact
        The latest of your tie's statement and the favors between you.
    reach
        The trust of their best path to the goal (0 if they cannot reach it
        within the policy's ``reach_hops``); None without a goal.
    path
        Your path to the goal through them (you, them, ..., goal), or None.
    reasons
        The factors, in the order strength, owed, owing, reach, recency.
    """

    person: str
    score: float
    strength: Amount
    owes_me: Amount
    i_owe: Amount
    last_contact: datetime
    reach: float | None
    path: ReferralPath | None
    reasons: tuple[Reason, ...]

    def explain(self) -> str:
        """The score and its reasons, one line each.

        Examples
        --------
        >>> from favorledger import Ledger
        >>> led = Ledger()
        >>> _ = led.tie("me", "bob", "0.9", kind="friend", reason="roommates",
        ...             at="2024-01-01T00:00+00:00")
        >>> _ = led.record("bob", "me", 1, at="2024-01-01T00:00+00:00")
        >>> (row,) = priorities(led, "me", at="2024-01-11T00:00+00:00")
        >>> print(row.explain())
        bob: score 0.88
          +0.90  tie strength 0.9 (friend: roommates)
          +0.00  owes you nothing
          -0.50  you owe them 1
          +0.48  last in touch 2024-01-01 (10 days ago)
        """
        lines = [f"{self.person}: score {self.score:.2f}"]
        for reason in self.reasons:
            lines.append(f"  {reason.points:+.2f}  {reason.text}")
            if reason.factor == "reach" and self.path is not None:
                lines.append(f"  -> path {' -> '.join(self.path.people)}")
        return "\n".join(lines)


# --------------------------------------------------------------- public API
def priorities(
    ledger: LedgerView,
    me: str,
    *,
    goal: str | Expertise | None = None,
    limit: int | None = None,
    policy: PriorityPolicy | None = None,
    at: datetime | str | None = None,
) -> list[Priority]:
    """Rank your contacts: whom to see first, and why.

    Parameters
    ----------
    ledger
        The ledger to read.
    me
        Whose contacts to rank (everyone with a tie to ``me``).
    goal
        A person to reach (their id), :class:`Expertise` to find someone with
        a tag, or None for general upkeep (no reach factor).
    limit
        Return only the first ``limit`` rows (``None``: all).
    policy
        The weights (default :class:`PriorityPolicy` ``()``).
    at
        The moment recency is measured from (default now).

    Returns
    -------
    list of Priority
        Highest score first; equal scores by person id. With a goal, each row
        carries the path through that contact (``path``).

    Raises
    ------
    UnknownPersonError
        If ``me`` or a goal person is not in the ledger.
    InvalidQueryError
        For a goal that is ``me``, a bad ``limit``, ``policy`` or ``at``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.add_person("erin", tags={"law"})
    >>> _ = led.tie("me", "bob", "0.9", at="2024-01-01T00:00+00:00")
    >>> _ = led.tie("me", "dan", "0.3", at="2024-01-01T00:00+00:00")
    >>> _ = led.tie("dan", "erin", "1", at="2024-01-01T00:00+00:00")
    >>> rows = priorities(led, "me", goal=Expertise("law"),
    ...                   at="2024-01-01T00:00+00:00")
    >>> [(r.person, r.reach, r.path and r.path.target) for r in rows]
    [('dan', 1.0, 'erin'), ('bob', 0.0, None)]
    """
    me = _person(ledger, me, "me")
    if isinstance(goal, str):  # as the ledger keeps it, as the reasons name it
        goal = _person(ledger, goal, "goal")
    cap = _optional_positive(limit, "limit")
    rules = _policy(policy)
    now = utcnow() if at is None else _moment(at)
    view, _, adj, step = _context(ledger, me)
    contacts = list(view.adj[me])
    reach = _reach(ledger, me, goal, contacts, adj, step, rules)
    latest = _last_contacts(ledger, me, view)
    scored = []
    for contact in contacts:
        reasons = _reasons(
            ledger, me, contact, view, latest[contact], (goal, reach), rules, now
        )
        score = math.fsum(reason.points for reason in reasons)
        scored.append((-score, contact, reasons))
    scored.sort(key=lambda row: (row[0], row[1]))
    rows = []
    for negative, contact, reasons in scored if cap is None else scored[:cap]:
        found = reach.get(contact) if reach is not None else None
        rows.append(
            Priority(
                person=contact,
                score=-negative,
                strength=view.adj[me][contact]["strength"],
                owes_me=ledger.owes(contact, me),
                i_owe=ledger.owes(me, contact),
                last_contact=latest[contact],
                reach=None if reach is None else (found[0] if found else 0.0),
                path=_make_path(ledger, found[1]) if found else None,
                reasons=reasons,
            )
        )
    return rows


def ask_capacity(
    ledger: LedgerView, me: str, other: str, *, policy: PriorityPolicy | None = None
) -> Amount:
    """How large a favor ``me`` can reasonably ask of ``other`` right now.

    ``strength * allowance + (what other owes me) - (what I owe other)``, or
    0 if that is negative: it grows with the tie's strength and with what
    they owe you, and shrinks with what you owe them. ``allowance`` is the
    policy's (default 1 favor unit); a stranger (no tie) can be asked only
    for what they owe you.

    Parameters
    ----------
    ledger
        The ledger to read.
    me, other
        Two different people in the ledger.
    policy
        Supplies ``allowance`` (default :class:`PriorityPolicy` ``()``).

    Returns
    -------
    Decimal or Fraction
        The exact capacity, never negative.

    Raises
    ------
    UnknownPersonError
        If either person is not in the ledger.
    InvalidQueryError
        If ``other`` is ``me``, or ``policy`` is not a PriorityPolicy.

    Examples
    --------
    "Could you lend me $50,000, put me up in your spare bedroom and make
    sense out of my life for me?"

    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.tie("me", "jack", "0.8", kind="friend")
    >>> ask_capacity(led, "me", "jack")
    Decimal('0.8')
    >>> _ = led.record("me", "jack", 3, reason="reviewed his resume")
    >>> ask_capacity(led, "me", "jack")
    Decimal('3.8')
    >>> ask_capacity(led, "me", "jack", policy=PriorityPolicy(allowance=5))
    Decimal('7')
    """
    me = _person(ledger, me, "me")
    other = _person(ledger, other, "other")
    if other == me:
        raise InvalidQueryError(f"other must differ from me, got {me!r} for both")
    rules = _policy(policy)
    capacity = _exact.add(
        _exact.mul(_tie_strength(ledger, me, other), rules.allowance),
        _net_owed(ledger, other, me),
    )
    return capacity if capacity > 0 else ZERO


# ---------------------------------------------------------------- internals
def _tie_strength(ledger: LedgerView, a: str, b: str) -> Amount:
    """The strength of the current tie between ``a`` and ``b`` (0 if none).

    Worked out from the pair alone -- the stated tie, else the strength the
    pair's live favors imply (:mod:`favorledger.ties`) -- so it costs no tie
    view rebuild after a new entry.
    """
    stated = ledger.stated_ties.get(frozenset((a, b)))
    if stated is not None:
        return stated.strength
    shared = sum(
        1
        for favor in _favors_of(ledger, a)
        if b in favor.people and not ledger.is_reversed(favor.id)
    )
    return _exact.normalize(implied_strength(shared)) if shared else ZERO


def _moment(raw: object) -> datetime:
    try:
        return as_moment(raw, "at")
    except InvalidValueError as exc:
        raise InvalidQueryError(str(exc)) from None


def _policy(raw: object) -> PriorityPolicy:
    if raw is None:
        return DEFAULT_POLICY
    if not isinstance(raw, PriorityPolicy):
        raise InvalidQueryError(f"policy must be a PriorityPolicy, got {raw!r}")
    return raw


Reach = dict[str, tuple[float, list[str]]]
"""Per contact: the trust of their best path to the goal, and that path from me."""


def _reach(
    ledger: LedgerView,
    me: str,
    goal: object,
    contacts: list[str],
    adj: Adjacency,
    step: Step,
    rules: PriorityPolicy,
) -> Reach | None:
    """Each contact's best path to the goal, not back through ``me``."""
    if goal is None:
        return None
    shut = frozenset([me])
    found: Reach = {}
    if isinstance(goal, Expertise):
        people = ledger.people

        def expert(person: str) -> bool:
            return has_tag(people[person].tags, goal.tag)

        for contact in contacts:
            best = _nearest(adj, contact, rules.reach_hops, step, expert, blocked=shut)
            if best is not None:
                found[contact] = (math.exp(-best[0]), [me, *best[1]])
        return found
    if isinstance(goal, str):
        target = _person(ledger, goal, "goal")
        if target == me:
            raise InvalidQueryError(f"goal must differ from me, got {me!r} for both")
        trail = _layers(adj, target, rules.reach_hops, step, blocked=shut)
        for contact in contacts:
            if contact in trail:
                route = [me, *reversed(_trace(trail, contact))]
                found[contact] = (math.exp(-trail[contact][-1][1]), route)
        return found
    raise InvalidQueryError(
        f"goal must be a person id, an Expertise or None, got {goal!r}"
    )


def _last_contacts(ledger: LedgerView, me: str, view: Any) -> dict[str, datetime]:
    """When ``me`` was last in touch with each contact: tie or live favor."""
    latest: dict[str, datetime] = {
        contact: data["tie"].at for contact, data in view.adj[me].items()
    }
    for favor in _favors_of(ledger, me):
        if ledger.is_reversed(favor.id):
            continue
        for person in favor.people:
            if person in latest and favor.at > latest[person]:
                latest[person] = favor.at
    return latest


def _reasons(
    ledger: LedgerView,
    me: str,
    contact: str,
    view: Any,
    last: datetime,
    aim: tuple[object, Reach | None],
    rules: PriorityPolicy,
    now: datetime,
) -> tuple[Reason, ...]:
    goal, reach = aim
    data = view.adj[me][contact]
    owes_me = ledger.owes(contact, me)
    i_owe = ledger.owes(me, contact)
    why = f": {data['reason']}" if data["reason"] else ""
    reasons = [
        _reason(
            "strength",
            float(data["strength"]),
            rules.strength,
            f"tie strength {data['strength']} ({data['kind']}{why})",
        ),
        _reason(
            "owed",
            _saturate(owes_me, rules.unit),
            rules.owed,
            f"owes you {owes_me}" if owes_me else "owes you nothing",
        ),
        _reason(
            "owing",
            _saturate(i_owe, rules.unit),
            -float(rules.owing),
            f"you owe them {i_owe}" if i_owe else "you owe them nothing",
        ),
    ]
    if reach is not None:
        reasons.append(_reach_reason(reach.get(contact), rules, goal))
    age = max(now - last, timedelta(0))
    reasons.append(
        _reason(
            "recency",
            0.5 ** (age / rules.half_life),
            rules.recency,
            f"last in touch {last.date().isoformat()} ({age.days} days ago)",
        )
    )
    return tuple(reasons)


def _reach_reason(
    found: tuple[float, list[str]] | None, rules: PriorityPolicy, goal: object
) -> Reason:
    wanted = f"someone tagged {goal.tag!r}" if isinstance(goal, Expertise) else goal
    if found is None:
        text = f"cannot reach {wanted} within {rules.reach_hops} hops"
        return _reason("reach", 0.0, rules.reach, text)
    trust, route = found
    hops = len(route) - 2
    if hops:
        text = (
            f"reaches {route[-1]} in {hops} hop{'s' if hops != 1 else ''}"
            f" with trust {trust:.2f}"
        )
    else:
        text = f"is {wanted}"
    return _reason("reach", trust, rules.reach, text)


def _reason(factor: str, value: float, weight: float, text: str) -> Reason:
    weight = float(weight)
    return Reason(
        factor=factor,
        value=value,
        weight=weight,
        points=value * weight + 0.0,  # no "-0.00" for a zero factor
        text=text,
    )


def _saturate(amount: Amount, unit: Amount) -> float:
    """``amount / (amount + unit)`` as a float: 0 at 0, 1/2 at ``unit``."""
    x = _exact.fraction(amount)
    return float(x / (x + _exact.fraction(unit)))
