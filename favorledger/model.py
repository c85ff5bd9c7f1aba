"""The value objects of a favor ledger.

Every class here is a frozen ``attrs`` class whose fields are checked (and
normalised) when it is made, so an object a user holds is always valid and can
never change behind the ledger's back. All classes take keyword arguments
(``Person`` also takes its id positionally).

Examples
--------
>>> from datetime import datetime, timezone
>>> f = Favor(id="f1", giver="carol", receiver="me", value="2.5",
...           kind="introduction", via="bob",
...           at=datetime(2024, 5, 1, tzinfo=timezone.utc))
>>> f.value, f.via
(Decimal('2.5'), 'bob')
>>> Person("carol", tags={"marketing"}).name
'carol'

What text a field may hold
--------------------------
* **Identifiers** (every ``id``, the people a field names, ``kind``, each
  tag): a non-empty string of at most :data:`MAX_ID_LENGTH` characters once
  surrounding whitespace is stripped, kept in Unicode NFC form (``"Zoe\\u0308"``
  and ``"Zo\\u00eb"`` are one id), made of printable characters only
  (``str.isprintable``): no control characters (so an id cannot carry a
  terminal escape sequence), no line breaks, no format characters such as
  bidirectional overrides or zero-width joiners, no separators other than
  the plain space, no lone surrogates, no private-use or unassigned code
  points. Letters and marks of any script, digits, punctuation, symbols and
  emoji made of one code point are all fine.
* **Free text** (``name``, ``reason``): any Unicode text that can be written
  as UTF-8 (no lone surrogates), at most :data:`MAX_TEXT_LENGTH` characters;
  line breaks and other control characters are kept as given (the command
  line escapes them when it prints a table).
* **Tags**: at most :data:`MAX_TAGS` per entry.
* **Times**: timezone-aware, between :data:`EARLIEST` and :data:`LATEST`.

Sizes are checked before anything is built from a value, so a hostile input
is refused at once.

>>> Person("ann\\x1b[2J")
Traceback (most recent call last):
...
favorledger.errors.InvalidPersonError: Person.id must hold printable characters \
only, but holds the character '\\x1b' (U+001B), got 'ann\\x1b[2J'
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import linecache
import math
import operator
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sized
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Any, Final, Literal, NamedTuple, TypeVar

import attrs

from favorledger._choices import ANSWERS, TIE_KINDS
from favorledger._collector import untrack
from favorledger._exact import (
    SMALL_INTS,
    Amount,
    AmountLike,
    mul,
    parse_amount,
    parse_derived,
)
from favorledger.errors import (
    FavorLedgerError,
    InvalidEntryError,
    InvalidFavorError,
    InvalidPersonError,
    InvalidQueryError,
    InvalidTieError,
    InvalidValueError,
    shown,
)

__all__ = [
    "ANSWERS",
    "TIE_KINDS",
    "Answer",
    "Ask",
    "Assignment",
    "Debt",
    "Entry",
    "Favor",
    "Obligation",
    "Person",
    "Pledge",
    "Release",
    "Reversal",
    "Settlement",
    "Tie",
    "Transfer",
    "as_id",
    "has_tag",
    "kept_id",
    "moment_or_now",
    "named_people",
    "new_id",
    "not_after_now",
    "not_before",
    "query_tag",
    "utcnow",
]

_C = TypeVar("_C", bound=attrs.AttrsInstance)
Role = Literal["recipient", "referrer", "assignment", "settlement"]
ROLES: Final[tuple[Role, Role]] = ("recipient", "referrer")
"""The roles of the obligations a favor creates (an explanation may also
cite an assignment or a settlement: see :class:`Obligation`)."""
_CITED_ROLES: Final = (*ROLES, "assignment", "settlement")
DEFAULT_SHARE: Final[Amount] = Decimal("0.5")


class _IdSource:
    """Fresh ids: a random 80-bit prefix per process plus a counter.

    ``uuid4()`` costs about 4 µs here, as much as recording a whole favor; a
    counter under a random per-process prefix is just as unique, and drawn
    by C code alone (``next(new_id.ids)``: the counter mapped through the
    prefix's ``%x`` formatting, a third faster than ``str.format``) it
    costs ~0.09 µs. The prefix is redrawn in a
    forked child so parent and child never collide.
    """

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = secrets.token_hex(10)
        self.ids: Iterator[str] = map(f"{self.prefix}-%x".__mod__, itertools.count(1))

    def __call__(self) -> str:
        return next(self.ids)


new_id: Final = _IdSource()
"""Return a fresh, globally unique entry id (``new_id()``)."""


_now: Final = datetime.now  # one attribute lookup fewer a favor (~25 ns)
_time_ns: Final = time.time_ns  # the clock datetime.now reads


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return _now(UTC)


NO_TAGS: Final[frozenset[str]] = frozenset()
"""The empty tag set, shared by every entry without tags."""


MAX_ID_LENGTH: Final = 200
"""The longest id, kind or tag, in characters (before stripping)."""

MAX_TEXT_LENGTH: Final = 10_000
"""The longest free text (a name or a reason), in characters."""

MAX_TAGS: Final = 100
"""The most tags one entry or person may carry."""

EARLIEST: Final = datetime(2, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
"""Times must lie in [EARLIEST, LATEST] (UTC): a year's margin inside what
``datetime`` can hold, so converting between offsets never overflows."""

_MAX_ID: Final = MAX_ID_LENGTH
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_is_nfc: Final = unicodedata.is_normalized
_MAX_TIME_TEXT: Final = 64


def _character(text: str, allowed: Callable[[str], bool]) -> str:
    """The first character of ``text`` that ``allowed`` refuses, named."""
    bad = next(char for char in text if not allowed(char))
    return f"the character {bad!r} (U+{ord(bad):04X})"


def _text(raw: object, field: str, error: type[InvalidValueError]) -> str:
    """Free text (a name, a reason): any Unicode that can be written as UTF-8
    (no lone surrogates), at most :data:`MAX_TEXT_LENGTH` characters."""
    if (
        type(raw) is str
        and len(raw) <= MAX_TEXT_LENGTH
        and (raw.isascii() or not _SURROGATE.search(raw))
    ):
        return raw
    if not isinstance(raw, str):
        raise error(f"{field} must be a string, got {shown(raw)}")
    if len(raw) > MAX_TEXT_LENGTH:
        raise error(
            f"{field} must be at most {MAX_TEXT_LENGTH:,} characters, got {shown(raw)}"
        )
    if _SURROGATE.search(raw):
        bad = _character(raw, lambda char: not _SURROGATE.match(char))
        raise error(
            f"{field} must be valid Unicode text, but holds {bad} (a lone"
            f" surrogate, which cannot be written as UTF-8), got {shown(raw)}"
        )
    return raw


def _name(raw: object, field: str, error: type[InvalidValueError]) -> str:
    """An identifier (an id, a kind, a tag) in Unicode NFC form: non-empty
    after stripping surrounding whitespace, at most :data:`MAX_ID_LENGTH`
    characters (as given, and once composed), and printable
    (``str.isprintable``: no control, format, separator other than the
    space, surrogate, private-use or unassigned characters)."""
    if type(raw) is str and len(raw) <= MAX_ID_LENGTH:
        text = raw.strip()  # CPython returns ``raw`` itself when nothing is stripped
        if text and text.isprintable() and (text.isascii() or _is_nfc("NFC", text)):
            return text
    if not isinstance(raw, str):
        raise error(f"{field} must be a string, got {shown(raw)}")
    if len(raw) > MAX_ID_LENGTH:
        raise error(
            f"{field} must be at most {MAX_ID_LENGTH} characters, got {shown(raw)}"
        )
    text = raw.strip()
    if not text:
        raise error(f"{field} must be a non-empty string, got {raw!r}")
    if not text.isprintable():
        bad = _character(text, str.isprintable)
        raise error(
            f"{field} must hold printable characters only, but holds {bad},"
            f" got {shown(raw)}"
        )
    composed = unicodedata.normalize("NFC", text)
    if len(composed) > MAX_ID_LENGTH:
        raise error(
            f"{field} must be at most {MAX_ID_LENGTH} characters in Unicode NFC"
            f" form, got {shown(raw)}"
        )
    return str(composed)


def _tag_set(raw: object, field: str, error: type[InvalidValueError]) -> frozenset[str]:
    if raw is NO_TAGS or (not raw and isinstance(raw, frozenset | tuple | list | set)):
        return NO_TAGS  # shared: most entries have no tags
    if (
        isinstance(raw, str | bytes | bytearray | Mapping)
        or not isinstance(raw, Iterable)
        or (isinstance(raw, Sized) and len(raw) > MAX_TAGS)
    ):
        raise error(
            f"{field} must be a collection of at most {MAX_TAGS} strings,"
            f" got {shown(raw)}"
        )
    tags = list(itertools.islice(raw, MAX_TAGS + 1))
    if len(tags) > MAX_TAGS:
        raise error(f"{field} must hold at most {MAX_TAGS} tags, got more")
    return frozenset(_name(tag, field, error) for tag in tags)


def _aware(raw: object, field: str, error: type[InvalidValueError]) -> datetime:
    """A timezone-aware datetime with a fixed offset (named zones are pinned
    to the offset in force then, so the time round-trips through text),
    between :data:`EARLIEST` and :data:`LATEST`."""
    if type(raw) is datetime and raw.tzinfo is UTC and EARLIEST <= raw <= LATEST:
        return raw
    moment = raw
    if isinstance(raw, str):
        if len(raw) > _MAX_TIME_TEXT:
            raise error(f"{field} must be an ISO-8601 time, got {shown(raw)}")
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError as exc:  # say why a well-formed one does not exist
            why = "" if str(exc).startswith("Invalid isoformat") else f": {exc}"
            raise error(
                f"{field} must be an ISO-8601 time, got {shown(raw)}{why}"
            ) from None
    if not isinstance(moment, datetime):
        raise error(f"{field} must be a datetime, got {shown(raw)}")
    offset = moment.utcoffset()
    if offset is None:
        raise error(f"{field} must be timezone-aware, got naive {shown(raw)}")
    if not isinstance(moment.tzinfo, timezone):
        moment = moment.replace(tzinfo=timezone(offset))
    try:
        inside = EARLIEST <= moment.astimezone(UTC) <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise error(
            f"{field} must be between {EARLIEST.isoformat()} and"
            f" {LATEST.isoformat()}, got {shown(raw)}"
        )
    return moment


def as_moment(raw: object, field: str = "at") -> datetime:
    """Check a moment given to a query: a timezone-aware datetime or ISO text.

    Examples
    --------
    >>> as_moment("2024-05-01T09:30+02:00").isoformat()
    '2024-05-01T09:30:00+02:00'
    """
    return _aware(raw, field, InvalidValueError)


def moment_or_now(raw: datetime | str | None, field: str = "at") -> datetime:
    """:func:`as_moment`, or the current UTC time when ``raw`` is None.

    Examples
    --------
    >>> moment_or_now(None).tzinfo
    datetime.timezone.utc
    """
    return utcnow() if raw is None else as_moment(raw, field)


def not_before(
    field: str,
    moment: datetime,
    earliest: datetime,
    what: str,
    error: type[FavorLedgerError],
) -> None:
    """Refuse an entry dated before the entry it refers to.

    Examples
    --------
    >>> from favorledger.errors import MarketError
    >>> not_before("Release.at", as_moment("2024-01-01T00:00Z"),
    ...            as_moment("2024-02-01T00:00Z"), "the pledge's time", MarketError)
    Traceback (most recent call last):
    ...
    favorledger.errors.MarketError: Release.at must not be before the pledge's \
time 2024-02-01T00:00+00:00, got 2024-01-01T00:00+00:00
    """
    if moment < earliest:
        raise error(
            f"{field} must not be before {what} {shown(earliest)}, got {shown(moment)}"
        )


def not_after_now(
    field: str, moment: datetime, error: type[FavorLedgerError] = InvalidValueError
) -> datetime:
    """Refuse a time after now for an entry being recorded by hand.

    A favor is recorded once it is done; one promised for later is a
    pledge. The command and the example web app check this where a person
    types a time; the library itself keeps any time, since a replica whose
    clock runs behind must still take another's log.

    Examples
    --------
    >>> not_after_now("--at", as_moment("2099-01-01T00:00Z"))
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: --at must not be in the future (now \
is ...), got 2099-01-01T00:00+00:00: a favor is recorded once it is done, \
and a promise of one is a pledge
    """
    now = utcnow()
    if moment > now:
        raise error(
            f"{field} must not be in the future (now is"
            f" {shown(now.replace(microsecond=0))}), got {shown(moment)}: a favor"
            " is recorded once it is done, and a promise of one is a pledge"
        )
    return moment


# Converters are named functions so that mypy's attrs plugin can type them.
def _person_id(raw: object) -> str:
    return _name(raw, "Person.id", InvalidPersonError)


def _person_name(raw: object) -> str:
    return _text(raw, "Person.name", InvalidPersonError)


def _person_tags(raw: Iterable[str]) -> frozenset[str]:
    return _tag_set(raw, "Person.tags", InvalidPersonError)


def _person_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Person.at", InvalidPersonError)


@attrs.frozen(weakref_slot=False)
class Person:
    """Someone in the ledger.

    Parameters
    ----------
    id
        A non-empty string (surrounding whitespace is stripped).
    name
        A display name; defaults to the id.
    tags
        What the person is expert at (``{"marketing", "python"}``).
    at
        When this was stated (timezone-aware; default now). A ledger keeps
        every statement of a person; the latest by ``at`` is current, and
        restating the same person at the same moment is idempotent.

    Examples
    --------
    >>> Person(" carol ", name="Carol", tags=["marketing"])
    Person(id='carol', name='Carol', tags=frozenset({'marketing'}))
    """

    id: str = attrs.field(converter=_person_id)
    name: str = attrs.field(converter=_person_name)
    tags: frozenset[str] = attrs.field(
        factory=frozenset, converter=_person_tags, kw_only=True
    )
    at: datetime = attrs.field(
        factory=utcnow, converter=_person_at, kw_only=True, repr=False
    )

    @name.default
    def _default_name(self) -> str:
        return self.id

    @classmethod
    def implicit(cls, id: str, at: datetime) -> Person:
        """The person a favor or tie names before anyone stated them.

        ``id`` must already be a valid person id (it was checked as part of
        the entry naming it), so no check is repeated: this runs once per new
        person while recording, on the hot path.
        """
        if cls is not Person:
            return cls(id, tags=NO_TAGS, at=at)
        person = _person(id, id, NO_TAGS, at)
        untrack(person)  # it holds only atoms, like a recorded favor
        return person


# Favor's converters run for every favor recorded, so each starts with the
# common valid case inline and leaves the checks and messages to the helpers.
def _favor_id(raw: object) -> str:
    if (
        type(raw) is str
        and len(raw) <= _MAX_ID
        and (text := raw.strip())
        and text.isprintable()
        and (text.isascii() or _is_nfc("NFC", text))
    ):
        return text
    return _name(raw, "Favor.id", InvalidFavorError)


def _giver(raw: object) -> str:
    if (
        type(raw) is str
        and len(raw) <= _MAX_ID
        and (text := raw.strip())
        and text.isprintable()
        and (text.isascii() or _is_nfc("NFC", text))
    ):
        return text
    return _name(raw, "Favor.giver", InvalidFavorError)


def _receiver(raw: object) -> str:
    if (
        type(raw) is str
        and len(raw) <= _MAX_ID
        and (text := raw.strip())
        and text.isprintable()
        and (text.isascii() or _is_nfc("NFC", text))
    ):
        return text
    return _name(raw, "Favor.receiver", InvalidFavorError)


def _value(raw: AmountLike) -> Amount:
    if type(raw) is int and 0 < raw <= 1024:
        return SMALL_INTS[raw]
    return parse_amount(raw, field="Favor.value", error=InvalidFavorError)


def _kind(raw: object) -> str:
    if (
        type(raw) is str
        and len(raw) <= _MAX_ID
        and (text := raw.strip())
        and text.isprintable()
        and (text.isascii() or _is_nfc("NFC", text))
    ):
        return text
    return _name(raw, "Favor.kind", InvalidFavorError)


def _favor_at(raw: datetime | str) -> datetime:
    if type(raw) is datetime and raw.tzinfo is UTC and EARLIEST <= raw <= LATEST:
        return raw
    return _aware(raw, "Favor.at", InvalidFavorError)


def _via(raw: object) -> str | None:
    return None if raw is None else _name(raw, "Favor.via", InvalidFavorError)


def _reason(raw: object) -> str:
    if type(raw) is str and raw.isascii() and len(raw) <= MAX_TEXT_LENGTH:
        return raw
    return _text(raw, "Favor.reason", InvalidFavorError)


def _favor_tags(raw: Iterable[str]) -> frozenset[str]:
    return NO_TAGS if raw is NO_TAGS else _tag_set(raw, "Favor.tags", InvalidFavorError)


def _fulfils(raw: object) -> str | None:
    return None if raw is None else _name(raw, "Favor.fulfils", InvalidFavorError)


def _share(raw: AmountLike | None) -> Amount | None:
    if raw is None:
        return None
    share = parse_amount(
        raw, field="Favor.referral_share", error=InvalidFavorError, allow_zero=True
    )
    if share > 1:
        raise InvalidFavorError(
            f"Favor.referral_share must be between 0 and 1, got {shown(share)}"
        )
    return share


class _More(NamedTuple):
    """A favor's fields that are almost always their defaults, held in one
    slot (``Favor._more``): every favor of a kind without a referrer, reason,
    tags or pledge shares one (:func:`_more`), so a plain favor carries one
    reference where it carried six."""

    kind: str
    via: str | None
    reason: str
    tags: frozenset[str]
    referral_share: Amount | None
    fulfils: str | None


_MORE_FIELDS: Final = _More._fields
_PLAIN_MORE: Final[dict[str, _More]] = {}
_MAX_SHARED_KINDS: Final = 1024  # kinds beyond these get a _More each


def _more(
    kind: str,
    via: str | None,
    reason: str,
    tags: frozenset[str],
    referral_share: Amount | None,
    fulfils: str | None,
) -> _More:
    """The ``_More`` of these (already checked) fields: the one shared by
    every plain favor of ``kind`` when the others are their defaults."""
    if (
        via is None
        and not reason
        and not tags
        and referral_share is None
        and fulfils is None
    ):
        more = _PLAIN_MORE.get(kind)
        if more is None:
            more = _More(kind, None, "", NO_TAGS, None, None)
            if len(_PLAIN_MORE) < _MAX_SHARED_KINDS:
                _PLAIN_MORE[kind] = more
        return more
    return _More(kind, via, reason, tags, referral_share, fulfils)


def _packed_field(index: int, name: str) -> property:
    """The field ``name`` of a lean class, read from its ``_more`` slot by C
    code alone (``operator.attrgetter``); set (by an attrs subclass's
    ``__init__`` or ``__setstate__``) by replacing the ``_more``."""

    def put(entry: Any, value: object) -> None:
        try:
            fields = list(object.__getattribute__(entry, "_more"))
        except AttributeError:  # the first packed field set
            fields = ["favor", None, "", NO_TAGS, None, None]
        fields[index] = value
        object.__setattr__(entry, "_more", _more(*fields))

    return property(operator.attrgetter(f"_more.{name}"), put, doc=f"``{name}``")


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_delta: Final = timedelta


def _time_of(held: Any) -> Callable[[Any], datetime]:
    """The reader of a lean class's ``at`` (``held``: its ``_at`` slot): the
    time the slot holds, or, where it holds the microseconds since the epoch
    (UTC) of a favor dated now (32 bytes, where a ``datetime`` takes 48),
    the same UTC ``datetime`` made from them on the first read and kept in
    the slot from then on, so a time is made once, not at every read. Row
    makers and JSON lines read the slot itself (``io.stored``), so writing
    a favor makes no ``datetime``."""
    keep, epoch, delta = held.__set__, _EPOCH, timedelta

    def at(entry: Any) -> datetime:
        moment = entry._at
        if type(moment) is int:
            moment = epoch + delta(0, 0, moment)
            keep(entry, moment)
        return moment  # type: ignore[no-any-return]

    return at


_SIXTY: Final = tuple(f"{n:02d}" for n in range(60))
_EPOCH_DAY: Final = _EPOCH.toordinal()


@functools.lru_cache(maxsize=1024)
def _count_day(days: int) -> str:
    """``YYYY-MM-DD`` of the day ``days`` after 1970-01-01 (favors dated
    now share a few days)."""
    return date.fromordinal(_EPOCH_DAY + days).isoformat()


def count_text(count: int) -> str:
    """The time ``count`` microseconds after 1970-01-01 UTC as
    ``datetime.isoformat`` writes it (the bytes of a favor's time dated
    now, in its JSON line), without making the ``datetime``. The text of the
    last second written is kept: favors written one after another share it.

    Examples
    --------
    >>> count_text(86_400_000_001), count_text(0)
    ('1970-01-02T00:00:00.000001+00:00', '1970-01-01T00:00:00+00:00')
    """
    second = count // 1_000_000
    last = _LAST_SECOND[0]
    if last[0] == second:
        text = last[1]
    else:
        days, rest = divmod(second, 86_400)
        hour, minute = _SIXTY[rest // 3600], _SIXTY[rest // 60 % 60]
        text = f"{_count_day(days)}T{hour}:{minute}:{_SIXTY[rest % 60]}"
        _LAST_SECOND[0] = second, text  # one tuple, replaced whole
    us = count - second * 1_000_000
    return f"{text}.{us:06d}+00:00" if us else f"{text}+00:00"


_LAST_SECOND: Final[list[tuple[int | None, str]]] = [(None, "")]


def _set_time(favor: object, at: object) -> None:
    object.__setattr__(favor, "_at", at)


FULL: Final[dict[type, type]] = {}
"""Each lean class's template: the attrs class with a slot for each field,
as the class was before :func:`_lean` remade it (the tests compare them)."""


def _lean(template: type[_C]) -> type[_C]:
    """``template`` (a slotted attrs class) remade with fewer slots: one,
    ``_more``, in place of its fields of :data:`_MORE_FIELDS`, which become
    properties reading it (40 bytes less an instance), and its ``at`` kept
    in a slot ``_at`` that may hold the time as an integer (16 bytes less a
    favor dated now; :func:`_time_of` makes it a ``datetime`` on its first
    read). Measured in ``benchmarks/README.md`` ("A lean favor"). What users see does
    not change: the same fields, in the same order (``attrs.fields``), the
    same values and types, equality, hash, repr, pickling and errors;
    ``__init__`` builds and checks the ``template`` instance as before, then
    keeps its fields."""
    names = [field.name for field in attrs.fields(template)]
    slots = {name: name for name in names if name not in _MORE_FIELDS}
    slots["at"] = "_at"  # field: the slot that holds it
    space = {
        key: value
        for key, value in template.__dict__.items()
        if key not in (*names, "__slots__", "__dict__", "__weakref__")
    }
    space["__slots__"] = (*slots.values(), "_more")
    for index, name in enumerate(_MORE_FIELDS):
        space[name] = _packed_field(index, name)
    checked = template.__init__
    lean = type(template.__name__, template.__bases__, space)
    lean.__qualname__ = template.__qualname__
    reader = _time_of(lean.__dict__["_at"])
    setattr(lean, "at", property(reader, _set_time, doc="``at``"))  # noqa: B010
    init = _direct_init(template, lean, slots) or _wrapped_init(template, lean, slots)
    init = functools.wraps(checked)(init)
    lean.__init__ = init  # type: ignore[misc]
    FULL[lean] = template
    return lean


def _wrapped_init(
    template: type, lean: type, slots: dict[str, str]
) -> Callable[..., None]:
    """A ``lean`` ``__init__`` that builds and checks a ``template`` instance
    with ``template.__init__``, then keeps its fields (the slower way, if
    :func:`_direct_init` cannot read attrs's source)."""
    lines = [
        "def __init__(self, **fields):",
        "    full = new(template)",
        "    checked(full, **fields)",
        *[f"    set_{slot}(self, full.{name})" for name, slot in slots.items()],
        f"    set_more(self, more({', '.join(f'full.{n}' for n in _MORE_FIELDS)}))",
    ]
    scope: dict[str, Any] = {
        "new": object.__new__,
        "template": template,
        "checked": template.__init__,  # type: ignore[misc]
        "more": _more,
        "set_more": lean.__dict__["_more"].__set__,
    }
    for slot in slots.values():
        scope[f"set_{slot}"] = lean.__dict__[slot].__set__
    _run_source("\n".join(lines), template, scope)  # built from the attrs fields
    init: Callable[..., None] = scope["__init__"]
    return init


def _run_source(source: str, template: type, scope: dict[str, Any]) -> None:
    """Run ``source`` (a lean ``__init__`` for ``template``) in ``scope``,
    with its text kept in :mod:`linecache` under a name of its own, as
    attrs keeps the source it generates: a traceback through the
    ``__init__`` shows its lines."""
    name = (
        f"<favorledger lean {template.__module__}.{template.__qualname__}"
        f".__init__ {next(_SOURCES)}>"  # one name a source: none is replaced
    )
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), scope)


_SOURCES: Final = itertools.count(1)


_SET_FIELD: Final = re.compile(r"_setattr\('(\w+)', ")


def _direct_init(
    template: type, lean: type, slots: dict[str, str]
) -> Callable[..., None] | None:
    """The ``__init__`` attrs generated for ``template``, rewritten to fill
    ``lean``'s slots directly: each converted field goes to its slot (or,
    for those of :data:`_MORE_FIELDS`, to a local), and the shared
    ``_more`` is set before ``__attrs_post_init__`` checks the whole. The
    same signature, defaults, converters and errors as ``template``'s, at
    its speed (no instance of ``template`` made and copied). ``None`` if
    attrs's source is not the shape this expects (another attrs version):
    the caller then wraps ``template.__init__``."""
    checked = template.__init__  # type: ignore[misc]
    code = checked.__code__
    source = "".join(linecache.getlines(code.co_filename))
    start = source.find("def __init__(")
    if start < 0:
        return None
    lines = source[start:].splitlines()
    body = [lines[0], *itertools.takewhile(lambda x: x.startswith(" "), lines[1:])]
    setter = "    _setattr = _cached_setattr_get(self)"
    post = "    self.__attrs_post_init__()"
    names = set(_SET_FIELD.findall("\n".join(body)))
    if setter not in body or post not in body or names != {*slots, *_MORE_FIELDS}:
        return None

    def rewritten(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _MORE_FIELDS:
            return f"packed_{name} = ("
        return f"set_{slots[name]}(self, "

    packed = ", ".join(f"packed_{name}" for name in _MORE_FIELDS)
    out = []
    for line in body:
        if line == setter:
            continue
        if line == post:
            out.append(f"    set_more(self, more({packed}))")
        out.append(_SET_FIELD.sub(rewritten, line))
    scope = dict(checked.__globals__)
    scope.update(more=_more, set_more=lean.__dict__["_more"].__set__)
    for slot in slots.values():
        scope[f"set_{slot}"] = lean.__dict__[slot].__set__
    _run_source("\n".join(out), template, scope)  # attrs's, its setters renamed
    init: Callable[..., None] = scope["__init__"]
    init.__code__ = init.__code__.replace(co_qualname=code.co_qualname)
    return init


@_lean
@attrs.frozen(kw_only=True, weakref_slot=False)
class Favor:
    """A favor done: ``receiver`` now owes ``giver`` a favor worth ``value``.

    Parameters
    ----------
    giver, receiver
        Person ids; they must differ.
    value
        An exact positive amount (``int``, ``Decimal``, ``Fraction`` or a
        numeric string). Floats are refused.
    kind
        What sort of favor it was (``"introduction"``, ``"job"``...); the
        valuation policy may treat kinds differently.
    at
        When it happened; timezone-aware (an ISO-8601 string is accepted).
        Defaults to now, in UTC.
    via
        The person who referred the receiver to the giver, if any. The
        referrer then owes the giver too: ``value * referral_share``.
    reason
        Why it was done, in words.
    tags
        Free-form labels.
    referral_share
        The referrer's share for this favor, between 0 and 1. ``None`` means
        "the ledger's default", which the ledger fills in when it records the
        favor, so the stored favor always states its own terms.
    fulfils
        The id of the pledge called or the ask completed by this favor, if
        any (see :mod:`favorledger.market`).
    id
        The idempotency key; a fresh unique id by default.

    Raises
    ------
    InvalidFavorError
        If any field is invalid, or giver, receiver and via are not distinct.

    Examples
    --------
    >>> Favor(giver="ann", receiver="ann", value=1)
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidFavorError: Favor.receiver must differ from \
Favor.giver, got 'ann' for both
    """

    id: str = attrs.field(factory=new_id, converter=_favor_id)
    giver: str = attrs.field(converter=_giver)
    receiver: str = attrs.field(converter=_receiver)
    value: Amount = attrs.field(converter=_value)
    kind: str = attrs.field(default="favor", converter=_kind)
    at: datetime = attrs.field(factory=utcnow, converter=_favor_at)
    via: str | None = attrs.field(default=None, converter=_via)
    reason: str = attrs.field(default="", converter=_reason)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_favor_tags)
    referral_share: Amount | None = attrs.field(default=None, converter=_share)
    fulfils: str | None = attrs.field(default=None, converter=_fulfils)

    def __attrs_post_init__(self) -> None:
        if self.giver == self.receiver:
            raise InvalidFavorError(
                "Favor.receiver must differ from Favor.giver,"
                f" got {self.giver!r} for both"
            )
        if self.via is not None and self.via in (self.giver, self.receiver):
            role = "giver" if self.via == self.giver else "receiver"
            raise InvalidFavorError(
                f"Favor.via must differ from Favor.{role}, got {self.via!r} for both"
            )
        if self.via is None and self.referral_share is not None:
            raise InvalidFavorError(
                "Favor.referral_share needs Favor.via (a referrer), got a share"
                f" of {shown(self.referral_share)} and no Favor.via"
            )

    def obligations(self) -> list[Obligation]:
        """The obligations this favor creates: the receiver's and the referrer's.

        A referrer owes ``value * referral_share``; a zero share creates no
        obligation. (A favor whose share is ``None`` has not been recorded
        yet; its referrer obligation is shown at the ledger's default 1/2.)

        Examples
        --------
        >>> f = Favor(giver="carol", receiver="me", value=4, via="bob",
        ...           referral_share="1/4", id="f1")
        >>> [(o.debtor, o.amount, o.role) for o in f.obligations()]
        [('me', Decimal('4'), 'recipient'), ('bob', Decimal('1'), 'referrer')]
        """
        return [
            Obligation(debtor, creditor, amount, self.id, role)
            for (debtor, creditor, amount), role in zip(
                favor_effects(self), ROLES, strict=False
            )
        ]

    @property
    def people(self) -> tuple[str, ...]:
        """The people the favor involves: giver, receiver and referrer if any."""
        if self.via is None:
            return (self.giver, self.receiver)
        return (self.giver, self.receiver, self.via)


def unchecked(cls: type[_C], *, by_slot: bool = False) -> Callable[..., _C]:
    """A builder that makes a ``cls`` from its field values, in field order,
    checking and converting none of them (``by_slot``: from the values of
    its slots, in slot order, which for a lean class such as :class:`Favor`
    end with its ``_more``).

    It is for values that already passed every check (a favor the ledger
    validated at its boundary, a row its own store wrote). The fields are
    stored in a new instance of a twin class with the same slots
    (:func:`_twin`), by the interpreter's own slot stores inlined in the
    builder (no class call, no ``__init__`` frame), and the object is then
    relabelled a ``cls``: many times faster than the checked ``__init__``,
    and faster than setting each slot through its descriptor, which is the
    way taken for a class that has no twin. The source is generated from
    the attrs fields, as attrs generates ``__init__``.

    Examples
    --------
    >>> build = unchecked(Reversal)
    >>> undo = build("r1", "f1", utcnow(), "typo")
    >>> type(undo) is Reversal, undo.favor_id
    (True, 'f1')
    """
    names = [field.name for field in attrs.fields(cls)]
    arguments = ", ".join(names)
    stored = {name: name for name in names}  # slot: the expression it holds
    if "_more" in cls.__dict__.get("__slots__", ()):  # a lean class (_lean)
        stored = {name: name for name in names if name not in _MORE_FIELDS}
        stored["_at"] = stored.pop("at")
        stored = {slot: stored[slot] for slot in cls.__dict__["__slots__"][:-1]}
        stored["_more"] = f"more({', '.join(_MORE_FIELDS)})"
    if by_slot:
        stored = {slot: slot for slot in stored}
        arguments = ", ".join(stored)
    twin = _twin(cls, list(stored))
    scope: dict[str, object] = {
        "new": object.__new__,
        "cls": cls,
        "twin": twin,
        "more": _more,
    }
    lines = [f"def build({arguments}):"]
    if not by_slot and "_more" in stored:  # a plain favor's shared one, inline
        scope["plain"] = _PLAIN_MORE.get
        lines += [
            "    if via is None and fulfils is None and referral_share is None"
            " and not reason and not tags:",
            f"        made = plain(kind) or {stored['_more']}",
            "    else:",
            f"        made = {stored['_more']}",
        ]
        stored["_more"] = "made"
    if twin is not None:  # plain slot stores on a new twin, then relabelled
        lines.append("    entry = new(twin)")
        lines += [f"    entry.{slot} = {value}" for slot, value in stored.items()]
        lines.append("    entry.__class__ = cls")
    else:
        lines.append("    entry = new(cls)")
        for slot, value in stored.items():
            scope[f"set_{slot}"] = getattr(cls, slot).__set__
            lines.append(f"    set_{slot}(entry, {value})")
    lines.append("    return entry")
    exec("\n".join(lines), scope)  # the source is built from the attrs fields
    build: Callable[..., _C] = scope["build"]  # type: ignore[assignment]
    return build


def _twin(cls: type, names: list[str]) -> type | None:
    """A plain class with ``cls``'s slots (``names``: its fields, or for a
    lean class its core fields and ``_more``), whose
    instances take plain slot stores and can then be relabelled a ``cls``
    (``entry.__class__ = cls``); ``None`` if ``cls`` has other slots or the
    interpreter refuses the relabelling."""
    slots = cls.__dict__.get("__slots__")
    if not isinstance(slots, tuple) or set(slots) - {"__weakref__"} != set(names):
        return None
    twin = type(f"{cls.__name__}Fields", (), {"__slots__": slots})
    trial: Any = object.__new__(twin)
    try:
        trial.__class__ = cls  # the same layout, or TypeError
    except TypeError:
        return None
    return twin


_favor: Final = unchecked(Favor)
_plain_favor: Final = unchecked(Favor, by_slot=True)
_person: Final = unchecked(Person)


def quick_favor(
    giver: object,
    receiver: object,
    value: object,
    kind: object,
    at: object,
    via: object,
    reason: object,
    tags: object,
    referral_share: object,
    entry_id: object,
    fulfils: object,
    known: Container[object] = NO_TAGS,
) -> Favor | None:
    """The :class:`Favor` these fields make, when each is already in the
    common valid form (no referrer, tags, reason or pledge; plain ids), built
    without the converters; else ``None``: build it with ``Favor(...)``,
    which checks every field and names what is wrong.

    ``entry_id`` (the favor's id) and ``at`` may be ``None`` (a fresh id,
    now). ``known`` holds person ids that are already valid (a ledger's
    people): a giver or receiver equal to one is not checked again, unless
    it is not ASCII (a store from before ids were composed may hold one that
    is not in NFC form, which a new entry must not name as typed). The
    favor holds only atoms, so it is taken off the cyclic collector
    (``favorledger._collector.untrack``): a ledger keeps every favor,
    and full collections need not rescan them.

    Examples
    --------
    >>> f = quick_favor("ann", "bob", 2, "favor", None, None, "", NO_TAGS,
    ...                 None, "f1", None)
    >>> f == Favor(giver="ann", receiver="bob", value=2, id="f1", at=f.at)
    True
    >>> quick_favor(" ann", "bob", 2, "favor", None, None, "", NO_TAGS,
    ...             None, "f1", None) is None  # stripped: the checked way
    True
    """
    if (
        via is not None
        or fulfils is not None
        or referral_share is not None
        or tags is not NO_TAGS
        or type(reason) is not str
        or reason
        or type(giver) is not str
        or type(receiver) is not str
        or giver == receiver
        or ((giver not in known or not giver.isascii()) and _plain_name(giver) is None)
        or (
            (receiver not in known or not receiver.isascii())
            and _plain_name(receiver) is None
        )
    ):
        return None
    if type(value) is int and 0 < value <= 1024:  # a key of SMALL_INTS
        value = SMALL_INTS[value]
    elif id(value) not in _POSITIVE_WHOLE:
        return None
    if at is None:
        # now, in microseconds since the epoch, as a Favor keeps it (see
        # _time_of); negated twice, as the floor division leaves room for
        # a digit more (36 bytes) and a negation copies at its size (32)
        at = -(-(_time_ns() // 1000))  # noqa: B002 (not a decrement)
    elif (
        type(at) is not datetime or at.tzinfo is not UTC or not EARLIEST <= at <= LATEST
    ):
        return None
    if type(kind) is not str or (kind != "favor" and _plain_name(kind) is None):
        return None
    if entry_id is None:
        entry_id = next(new_id.ids)
    elif _plain_name(entry_id) is None:
        return None
    more = _PLAIN_MORE.get(kind)
    if more is None:
        more = _more(kind, None, "", NO_TAGS, None, None)
    favor = _plain_favor(entry_id, giver, receiver, value, at, more)
    untrack(favor)  # it holds only atoms: no cycle can pass through it
    return favor


_POSITIVE_WHOLE: Final = frozenset(id(value) for value in SMALL_INTS.values() if value)


def as_id(text: str) -> str:
    """``text`` as the ledger keeps an identifier: stripped of surrounding
    whitespace and in Unicode NFC form. Nothing is checked: a text that is
    no valid id stays one (the entry naming it is refused).

    Examples
    --------
    >>> as_id(" Zoe\u0308 ") == "Zo\u00eb"
    True
    """
    text = text.strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def kept_id(raw: object, known: Container[str]) -> str | None:
    """The id of ``known`` (a ledger's people, favors...) that ``raw`` names,
    spelled as ``known`` keeps it; ``None`` if it names none.

    A query takes an id spelled any way a write takes it: ``raw`` itself if
    ``known`` holds it (an id a store from before keeps decomposed is found
    as stored), else ``raw`` as a write keeps it (:func:`as_id`: stripped,
    in Unicode NFC form). So an id typed decomposed or with spaces around it
    names the same person as it does when recorded. The common case, an id
    typed as kept, costs one lookup; ASCII is only stripped. Like a write,
    it takes no text longer than :data:`MAX_ID_LENGTH` characters, and
    anything not a string names nobody.

    Examples
    --------
    >>> people = {"Zo\u00eb", "bob"}
    >>> kept_id("bob", people), kept_id(" bob ", people), kept_id("al", people)
    ('bob', 'bob', None)
    >>> kept_id("Zoe\u0308", people) == "Zo\u00eb"
    True
    """
    if not isinstance(raw, str):
        return None  # nothing else is an id (and may not even be hashable)
    if raw in known:
        return raw
    if len(raw) <= MAX_ID_LENGTH:
        kept = as_id(raw)
        if kept != raw and kept in known:
            return kept
    return None


def query_tag(raw: object, field: str = "tag") -> str:
    """The tag a query names, as a write keeps it: ``raw`` stripped and in
    Unicode NFC form (:func:`as_id`), so a tag typed decomposed or with
    spaces around it finds the people a write tagged with it
    (:func:`has_tag`). Like a write, it takes no text longer than
    :data:`MAX_ID_LENGTH` characters: such a text is kept as typed and
    finds nobody.

    Raises
    ------
    InvalidQueryError
        If ``raw`` is not a string, or is blank.

    Examples
    --------
    >>> query_tag(" law "), query_tag("cafe\u0301") == "caf\u00e9"
    ('law', True)
    >>> query_tag("  ")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidQueryError: tag must be a non-empty string, got '  '
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidQueryError(f"{field} must be a non-empty string, got {raw!r}")
    return raw if len(raw) > MAX_ID_LENGTH else as_id(raw)


def has_tag(tags: Iterable[str], tag: str) -> bool:
    """Whether ``tags`` (a person's, as kept) hold ``tag`` (as
    :func:`query_tag` gives it): the same tag once both are stripped and in
    Unicode NFC form, so a tag a store from before keeps decomposed is found
    too. A hit in a set is one lookup; otherwise only the tags not in ASCII
    are composed.

    Examples
    --------
    >>> has_tag(frozenset({"law"}), "law"), has_tag({"cafe\u0301"}, "caf\u00e9")
    (True, True)
    """
    if isinstance(tags, frozenset | set):
        return tag in tags or any(not t.isascii() and as_id(t) == tag for t in tags)
    return any(t == tag or (not t.isascii() and as_id(t) == tag) for t in tags)


def _plain_name(raw: object) -> str | None:
    """``raw`` if it is an identifier as given (nothing to strip), else None."""
    if (
        type(raw) is str
        and 0 < len(raw) <= _MAX_ID
        and raw.isprintable()
        and raw.strip() is raw
        and (raw.isascii() or _is_nfc("NFC", raw))
    ):
        return raw
    return None


def favor_effects(favor: Favor) -> tuple[tuple[str, str, Amount], ...]:
    """``(debtor, creditor, amount)`` for each obligation ``favor`` creates."""
    owed = (favor.receiver, favor.giver, favor.value)
    if favor.via is None or favor.referral_share == 0:
        return (owed,)
    share = DEFAULT_SHARE if favor.referral_share is None else favor.referral_share
    return owed, (favor.via, favor.giver, mul(favor.value, share))


def _reversal_id(raw: object) -> str:
    return _name(raw, "Reversal.id", InvalidFavorError)


def _reversed_id(raw: object) -> str:
    return _name(raw, "Reversal.favor_id", InvalidFavorError)


def _reversal_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Reversal.at", InvalidFavorError)


def _reversal_reason(raw: object) -> str:
    return _text(raw, "Reversal.reason", InvalidFavorError)


@attrs.frozen(kw_only=True)
class Reversal:
    """A correcting entry that cancels every obligation of one favor.

    The ledger is append-only: a mistaken favor is never edited or deleted,
    it is reversed, and its history shows both entries.

    Examples
    --------
    >>> Reversal(favor_id="f1", reason="recorded twice", id="r1").favor_id
    'f1'
    """

    id: str = attrs.field(factory=new_id, converter=_reversal_id)
    favor_id: str = attrs.field(converter=_reversed_id)
    at: datetime = attrs.field(factory=utcnow, converter=_reversal_at)
    reason: str = attrs.field(default="", converter=_reversal_reason)


def _tie_id(raw: object) -> str:
    return _name(raw, "Tie.id", InvalidTieError)


def _tie_a(raw: object) -> str:
    return _name(raw, "Tie.a", InvalidTieError)


def _tie_b(raw: object) -> str:
    return _name(raw, "Tie.b", InvalidTieError)


STRENGTH_PLACES: Final = 12
"""Tie strengths are kept to this many decimal places at most (a weight)."""
_STRENGTH_QUANTUM: Final = Decimal(1).scaleb(-STRENGTH_PLACES)
_STRENGTH_ROUNDING: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""Rounds a strength to its places whatever the caller's ``decimal`` context."""


def _strength(raw: float | AmountLike) -> Amount:
    typed = raw
    if isinstance(raw, float):  # a weight: a float is fine, if it is a number
        if not math.isfinite(raw):
            raise InvalidTieError(
                f"Tie.strength must be a number in (0, 1], got {shown(raw)}"
            )
        raw = Decimal(repr(raw))  # the decimal the user typed, e.g. 0.8
    elif isinstance(raw, str) and "/" not in raw:
        with contextlib.suppress(ArithmeticError, ValueError):
            raw = Decimal(raw.strip())
    if isinstance(raw, Decimal) and raw.is_finite() and 0 < raw <= 1:
        exponent = raw.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -STRENGTH_PLACES:
            raw = raw.quantize(_STRENGTH_QUANTUM, context=_STRENGTH_ROUNDING)
            if not raw:
                raise InvalidTieError(
                    f"Tie.strength must be at least 1e-{STRENGTH_PLACES},"
                    f" got {shown(typed)}"
                )
    strength = parse_amount(raw, field="Tie.strength", error=InvalidTieError)
    if strength > 1:
        raise InvalidTieError(f"Tie.strength must be in (0, 1], got {shown(raw)}")
    return strength


def _tie_kind(raw: object) -> str:
    kind = _name(raw, "Tie.kind", InvalidTieError)
    if kind not in TIE_KINDS:
        raise InvalidTieError(
            f"Tie.kind must be one of {sorted(TIE_KINDS)}, got {raw!r}"
        )
    return kind


def _tie_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Tie.at", InvalidTieError)


def _tie_reason(raw: object) -> str:
    return _text(raw, "Tie.reason", InvalidTieError)


@attrs.frozen(kw_only=True)
class Tie:
    """A known relationship between two people: the roads referrals travel.

    Ties are undirected. Stating a tie again records a new entry and the
    latest statement wins; the log keeps every statement.

    Parameters
    ----------
    a, b
        The two people (distinct).
    strength
        How strong the relationship is, a weight in (0, 1]. A float such as
        ``0.8`` or ``1/31`` is taken as the decimal it spells (its shortest
        ``repr``); any strength finer than :data:`STRENGTH_PLACES` (12)
        decimal places is rounded to 12 places (half to even); fractions
        such as ``Fraction(1, 3)`` are kept exactly.
    kind
        One of :data:`TIE_KINDS` (``"friend"``, ``"colleague"``...).
    reason
        How they know each other, in words.
    at
        When it was stated (timezone-aware; default now).
    id
        The idempotency key; fresh by default.

    Examples
    --------
    >>> Tie(a="me", b="bob", strength=0.8, kind="friend").strength
    Decimal('0.8')
    >>> Tie(a="me", b="bob", strength=0.1 + 0.2).strength
    Decimal('0.3')
    >>> Tie(a="me", b="bob", strength=1 / 31).strength
    Decimal('0.032258064516')
    >>> Tie(a="me", b="bob", strength=0)
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidTieError: Tie.strength must be positive, got 0
    """

    id: str = attrs.field(factory=new_id, converter=_tie_id)
    a: str = attrs.field(converter=_tie_a)
    b: str = attrs.field(converter=_tie_b)
    strength: Amount = attrs.field(converter=_strength)
    kind: str = attrs.field(default="acquaintance", converter=_tie_kind)
    reason: str = attrs.field(default="", converter=_tie_reason)
    at: datetime = attrs.field(factory=utcnow, converter=_tie_at)

    def __attrs_post_init__(self) -> None:
        if self.a == self.b:
            raise InvalidTieError(
                f"Tie.b must differ from Tie.a, got {self.a!r} for both"
            )

    @property
    def pair(self) -> frozenset[str]:
        """The two people, unordered."""
        return frozenset((self.a, self.b))


# The market's entries are not on the hot path: one checked helper per field.
def _pledge_id(raw: object) -> str:
    return _name(raw, "Pledge.id", InvalidEntryError)


def _pledge_giver(raw: object) -> str:
    return _name(raw, "Pledge.giver", InvalidEntryError)


def _pledge_receiver(raw: object) -> str:
    return _name(raw, "Pledge.receiver", InvalidEntryError)


def _pledge_value(raw: AmountLike) -> Amount:
    return parse_amount(raw, field="Pledge.value", error=InvalidEntryError)


def _pledge_kind(raw: object) -> str:
    return _name(raw, "Pledge.kind", InvalidEntryError)


def _pledge_reason(raw: object) -> str:
    return _text(raw, "Pledge.reason", InvalidEntryError)


def _pledge_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Pledge.at", InvalidEntryError)


def _pledge_expires(raw: datetime | str | None) -> datetime | None:
    return None if raw is None else _aware(raw, "Pledge.expires", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Pledge:
    """A promise: ``giver`` will do ``receiver`` a favor worth ``value`` when
    called (the article's option). Until called it moves no balance.

    Examples
    --------
    >>> Pledge(giver="carol", receiver="me", value=2, id="p1").value
    Decimal('2')
    """

    id: str = attrs.field(factory=new_id, converter=_pledge_id)
    giver: str = attrs.field(converter=_pledge_giver)
    receiver: str = attrs.field(converter=_pledge_receiver)
    value: Amount = attrs.field(converter=_pledge_value)
    kind: str = attrs.field(default="favor", converter=_pledge_kind)
    reason: str = attrs.field(default="", converter=_pledge_reason)
    at: datetime = attrs.field(factory=utcnow, converter=_pledge_at)
    expires: datetime | None = attrs.field(default=None, converter=_pledge_expires)

    def __attrs_post_init__(self) -> None:
        if self.giver == self.receiver:
            raise InvalidEntryError(
                f"Pledge.receiver must differ from Pledge.giver, got {self.giver!r}"
                " for both"
            )
        if self.expires is not None and self.expires <= self.at:
            raise InvalidEntryError(
                f"Pledge.expires must be after Pledge.at ({shown(self.at)}),"
                f" got {shown(self.expires)}"
            )


def _release_id(raw: object) -> str:
    return _name(raw, "Release.id", InvalidEntryError)


def _release_pledge(raw: object) -> str:
    return _name(raw, "Release.pledge_id", InvalidEntryError)


def _release_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Release.at", InvalidEntryError)


def _release_reason(raw: object) -> str:
    return _text(raw, "Release.reason", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Release:
    """The receiver gives up a pledge; it can no longer be called."""

    id: str = attrs.field(factory=new_id, converter=_release_id)
    pledge_id: str = attrs.field(converter=_release_pledge)
    at: datetime = attrs.field(factory=utcnow, converter=_release_at)
    reason: str = attrs.field(default="", converter=_release_reason)


def _ask_id(raw: object) -> str:
    return _name(raw, "Ask.id", InvalidEntryError)


def _asker(raw: object) -> str:
    return _name(raw, "Ask.asker", InvalidEntryError)


def _asked(raw: object) -> str:
    return _name(raw, "Ask.asked", InvalidEntryError)


def _ask_value(raw: AmountLike) -> Amount:
    return parse_amount(raw, field="Ask.value", error=InvalidEntryError)


def _ask_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Ask.at", InvalidEntryError)


def _ask_due(raw: datetime | str | None) -> datetime | None:
    return None if raw is None else _aware(raw, "Ask.due", InvalidEntryError)


def _ask_reason(raw: object) -> str:
    return _text(raw, "Ask.reason", InvalidEntryError)


def _ask_kind(raw: object) -> str:
    return _name(raw, "Ask.kind", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Ask:
    """A request: ``asker`` asks ``asked`` for a favor worth ``value``.

    It is answered (accepted or declined) by an :class:`Answer` and completed
    by the favor that fulfils it.
    """

    id: str = attrs.field(factory=new_id, converter=_ask_id)
    asker: str = attrs.field(converter=_asker)
    asked: str = attrs.field(converter=_asked)
    value: Amount = attrs.field(converter=_ask_value)
    kind: str = attrs.field(default="favor", converter=_ask_kind)
    reason: str = attrs.field(default="", converter=_ask_reason)
    at: datetime = attrs.field(factory=utcnow, converter=_ask_at)
    due: datetime | None = attrs.field(default=None, converter=_ask_due)

    def __attrs_post_init__(self) -> None:
        if self.asker == self.asked:
            raise InvalidEntryError(
                f"Ask.asked must differ from Ask.asker, got {self.asker!r} for both"
            )


def _answer_id(raw: object) -> str:
    return _name(raw, "Answer.id", InvalidEntryError)


def _answer_ask(raw: object) -> str:
    return _name(raw, "Answer.ask_id", InvalidEntryError)


def _answer_status(raw: object) -> str:
    status = _name(raw, "Answer.status", InvalidEntryError)
    if status not in ANSWERS:
        raise InvalidEntryError(f"Answer.status must be one of {ANSWERS}, got {raw!r}")
    return status


def _answer_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Answer.at", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Answer:
    """The asked person's answer to an :class:`Ask`: accepted or declined."""

    id: str = attrs.field(factory=new_id, converter=_answer_id)
    ask_id: str = attrs.field(converter=_answer_ask)
    status: str = attrs.field(converter=_answer_status)
    at: datetime = attrs.field(factory=utcnow, converter=_answer_at)


def _assignment_id(raw: object) -> str:
    return _name(raw, "Assignment.id", InvalidEntryError)


def _holder(raw: object) -> str:
    return _name(raw, "Assignment.holder", InvalidEntryError)


def _debtor(raw: object) -> str:
    return _name(raw, "Assignment.debtor", InvalidEntryError)


def _new_holder(raw: object) -> str:
    return _name(raw, "Assignment.new_holder", InvalidEntryError)


def _assigned(raw: AmountLike) -> Amount:
    return parse_amount(raw, field="Assignment.amount", error=InvalidEntryError)


def _assignment_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Assignment.at", InvalidEntryError)


def _assignment_reason(raw: object) -> str:
    return _text(raw, "Assignment.reason", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Assignment:
    """``holder`` passes ``amount`` of what ``debtor`` owes them to
    ``new_holder``, discharging that much of what ``holder`` owes
    ``new_holder`` (the article's warrant: a friend of a friend returns the
    favor on your behalf). Nobody's balance changes.
    """

    id: str = attrs.field(factory=new_id, converter=_assignment_id)
    holder: str = attrs.field(converter=_holder)
    debtor: str = attrs.field(converter=_debtor)
    new_holder: str = attrs.field(converter=_new_holder)
    amount: Amount = attrs.field(converter=_assigned)
    at: datetime = attrs.field(factory=utcnow, converter=_assignment_at)
    reason: str = attrs.field(default="", converter=_assignment_reason)

    def __attrs_post_init__(self) -> None:
        people = (self.holder, self.debtor, self.new_holder)
        if len(set(people)) != 3:
            raise InvalidEntryError(
                "Assignment.holder, debtor and new_holder must be three different"
                f" people, got {people!r}"
            )

    @property
    def people(self) -> tuple[str, str, str]:
        """Holder, debtor and new holder."""
        return (self.holder, self.debtor, self.new_holder)

    def effects(self) -> tuple[tuple[str, str, Amount], ...]:
        """``(debtor, creditor, amount)`` moves: a cycle, so balances stay put.

        The debtor owes the holder ``amount`` less and the new holder
        ``amount`` more; the holder owes the new holder ``amount`` less.
        """
        amount = self.amount
        return (
            (self.holder, self.debtor, amount),
            (self.debtor, self.new_holder, amount),
            (self.new_holder, self.holder, amount),
        )


@attrs.frozen
class Obligation:
    """What one favor makes ``debtor`` owe ``creditor`` (derived, not stored).

    ``role`` is ``"recipient"`` for the favor's receiver and ``"referrer"``
    for the person who referred them. An explanation (``Transfer.explained_by``)
    cites the part of an obligation a transfer discharges (its ``amount``),
    and may cite a debt that no favor created: ``role`` ``"assignment"`` or
    ``"settlement"``, with ``favor_id`` the id of that entry (an assignment
    made ``debtor`` owe ``creditor``; a settlement paid more than is owed now,
    because a favor it paid was reversed since).

    Examples
    --------
    >>> from decimal import Decimal
    >>> Obligation("bob", "carol", Decimal("1.5"), "f1", "referrer").role
    'referrer'
    """

    debtor: str
    creditor: str
    amount: Amount
    favor_id: str
    role: Role = attrs.field(validator=attrs.validators.in_(_CITED_ROLES))


@attrs.frozen(order=True)
class Debt:
    """A net amount ``debtor`` owes ``creditor`` after netting both directions.

    Examples
    --------
    >>> from decimal import Decimal
    >>> Debt("me", "carol", Decimal(3))
    Debt(debtor='me', creditor='carol', amount=Decimal('3'))
    """

    debtor: str
    creditor: str
    amount: Amount


def _transfer_payer(raw: object) -> str:
    return _name(raw, "Transfer.payer", InvalidValueError)


def _transfer_payee(raw: object) -> str:
    return _name(raw, "Transfer.payee", InvalidValueError)


def _transfer_amount(raw: AmountLike) -> Amount:
    return parse_derived(raw, field="Transfer.amount", error=InvalidValueError)


class LazyExplanation:
    """An explanation computed on first use (settlement makes these).

    Called with the transfer, it returns the obligations; the
    :class:`Transfer` holding it keeps the answer, so it is computed at most
    once. One may be shared by every transfer of a settlement.
    """

    __slots__ = ()

    def __call__(
        self, transfer: Transfer
    ) -> tuple[Obligation, ...]:  # pragma: no cover - abstract
        raise NotImplementedError


def _explanation(
    raw: Iterable[Obligation] | LazyExplanation,
) -> tuple[Obligation, ...] | LazyExplanation:
    if isinstance(raw, LazyExplanation):
        return raw
    items = tuple(raw) if isinstance(raw, Iterable) else None
    if items is None or not all(isinstance(o, Obligation) for o in items):
        raise InvalidValueError(
            f"Transfer.explained_by must be a collection of Obligations, got {raw!r}"
        )
    return items


@attrs.frozen(repr=False, eq=False, weakref_slot=False)
class Transfer:
    """A suggested favor-return: ``payer`` does ``payee`` a favor worth ``amount``.

    Settlement suggests transfers; :meth:`Ledger.apply` records them as
    :class:`Settlement` entries that discharge the debts they pay.
    ``explained_by`` holds the obligations the transfer discharges, so a user
    can see why it is owed; settlement computes it when first asked for (from
    the ledger as it stood when it settled), and equality compares it.

    ``amount`` is derived (a sum of favors, a share), so it is exact and
    positive but not held to the input limits of a favor's value.

    Its ``repr`` leaves ``explained_by`` out: the explanation of a large
    plan can cite hundreds of obligations, and printing a plan should not
    work them out. Ask for ``explained_by`` to see it.

    Examples
    --------
    >>> Transfer("me", "carol", 3)
    Transfer(payer='me', payee='carol', amount=Decimal('3'))
    """

    payer: str = attrs.field(converter=_transfer_payer)
    payee: str = attrs.field(converter=_transfer_payee)
    amount: Amount = attrs.field(converter=_transfer_amount)
    _why: tuple[Obligation, ...] | LazyExplanation = attrs.field(
        default=(),
        converter=_explanation,
        kw_only=True,
        alias="explained_by",
        eq=False,
    )
    _plan: object = attrs.field(default=None, init=False, eq=False, repr=False)
    """The plan it belongs to, set by the one that made it (which
    ``Ledger.apply`` asks whether it still fits the ledger)."""

    def __attrs_post_init__(self) -> None:
        if self.payer == self.payee:
            raise InvalidValueError(
                f"Transfer.payee must differ from Transfer.payer, got {self.payer!r}"
                " for both"
            )

    @property
    def explained_by(self) -> tuple[Obligation, ...]:
        """The obligations this transfer discharges (computed once, if lazy)."""
        why = self._why
        if isinstance(why, LazyExplanation):
            why = why(self)
            object.__setattr__(self, "_why", why)
        return why

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Transfer)
        return (self.payer, self.payee, self.amount, self.explained_by) == (
            other.payer,
            other.payee,
            other.amount,
            other.explained_by,
        )

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self.payer, self.payee, self.amount, self.explained_by))

    def __repr__(self) -> str:
        return (
            f"Transfer(payer={self.payer!r}, payee={self.payee!r},"
            f" amount={self.amount!r})"
        )


def _settlement_id(raw: object) -> str:
    return _name(raw, "Settlement.id", InvalidEntryError)


def _settlement_payer(raw: object) -> str | None:
    return None if raw is None else _name(raw, "Settlement.payer", InvalidEntryError)


def _settlement_payee(raw: object) -> str | None:
    return None if raw is None else _name(raw, "Settlement.payee", InvalidEntryError)


def _settlement_amount(raw: AmountLike | None) -> Amount | None:
    if raw is None:
        return None
    return parse_derived(raw, field="Settlement.amount", error=InvalidEntryError)


def _debts(raw: object, field: str) -> tuple[Debt, ...]:
    """A list of debts: ``Debt``s, or mappings read from a file."""
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        raise InvalidEntryError(f"{field} must be a list of debts, got {raw!r}")
    found = []
    for item in raw:
        if isinstance(item, Debt):
            parts: tuple[object, ...] = (item.debtor, item.creditor, item.amount)
        elif isinstance(item, dict) and set(item) == {
            "debtor",
            "creditor",
            "amount",
        }:
            parts = (item["debtor"], item["creditor"], item["amount"])
        else:
            raise InvalidEntryError(
                f"{field} must hold debts (debtor, creditor, amount), got {item!r}"
            )
        debtor = _name(parts[0], f"{field}.debtor", InvalidEntryError)
        creditor = _name(parts[1], f"{field}.creditor", InvalidEntryError)
        amount = parse_derived(
            parts[2], field=f"{field}.amount", error=InvalidEntryError
        )
        if debtor == creditor:
            raise InvalidEntryError(
                f"{field}: a debt is between two people, got {debtor!r} for both"
            )
        found.append(Debt(debtor, creditor, amount))
    return tuple(found)


def _discharged(raw: object) -> tuple[Debt, ...]:
    return _debts(raw, "Settlement.discharged")


def _passed(raw: object) -> tuple[Debt, ...]:
    return _debts(raw, "Settlement.passed")


def _settlement_kind(raw: object) -> str:
    return _name(raw, "Settlement.kind", InvalidEntryError)


def _settlement_at(raw: datetime | str) -> datetime:
    return _aware(raw, "Settlement.at", InvalidEntryError)


def _settlement_reason(raw: object) -> str:
    return _text(raw, "Settlement.reason", InvalidEntryError)


@attrs.frozen(kw_only=True)
class Settlement:
    """Debts discharged: ``payer`` returned a favor worth ``amount`` to
    ``payee``, or, with no payer, debts set off around cycles.

    A transfer X -> Y explained by the chain X -> H -> Y is "X pays Y on H's
    behalf": it lowers X's debt to H and H's debt to Y by the amount. Each of
    ``discharged`` lowers what its debtor owes its creditor (net) by its
    amount; each of ``passed`` makes its debtor owe its creditor that much
    more (when X pays Y with no chain of debts between them, whoever owed Y
    now owes whoever X owed). Together they move the payer's balance up and
    the payee's down by ``amount`` and nobody else's (a set-off moves no
    balance). :meth:`Ledger.reverse` undoes one exactly.

    Raises
    ------
    InvalidEntryError
        If a field is invalid, nothing is discharged, or the debts do not move
        exactly the payer's and payee's balances by ``amount``.

    Examples
    --------
    >>> s = Settlement(payer="me", payee="sara", amount=4, id="s1",
    ...                discharged=[Debt("me", "bob", 4), Debt("bob", "sara", 4)])
    >>> s.effects()
    (('bob', 'me', Decimal('4')), ('sara', 'bob', Decimal('4')))
    >>> Settlement(payer="me", payee="sara", amount=4,
    ...            discharged=[Debt("me", "bob", 4)])
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidEntryError: Settlement.discharged and passed must \
move the payer's balance up and the payee's down by Settlement.amount and no \
other balance, got {'bob': Fraction(-4, 1), 'sara': Fraction(4, 1)} off
    """

    id: str = attrs.field(factory=new_id, converter=_settlement_id)
    payer: str | None = attrs.field(default=None, converter=_settlement_payer)
    payee: str | None = attrs.field(default=None, converter=_settlement_payee)
    amount: Amount | None = attrs.field(default=None, converter=_settlement_amount)
    discharged: tuple[Debt, ...] = attrs.field(default=(), converter=_discharged)
    passed: tuple[Debt, ...] = attrs.field(default=(), converter=_passed)
    kind: str = attrs.field(default="settlement", converter=_settlement_kind)
    at: datetime = attrs.field(factory=utcnow, converter=_settlement_at)
    reason: str = attrs.field(default="", converter=_settlement_reason)

    def __attrs_post_init__(self) -> None:
        named = (self.payer, self.payee, self.amount)
        if any(x is None for x in named) and not all(x is None for x in named):
            raise InvalidEntryError(
                "Settlement.payer, payee and amount must be given together (or"
                f" none of them, for a set-off), got {named!r}"
            )
        if self.payer is not None and self.payer == self.payee:
            raise InvalidEntryError(
                "Settlement.payee must differ from Settlement.payer, got"
                f" {self.payer!r} for both"
            )
        if not self.discharged and not self.passed:
            raise InvalidEntryError(
                "Settlement.discharged or Settlement.passed must name a debt, got ()"
            )
        moved: dict[str, Fraction] = {}
        for debtor, creditor, amount in self.effects():
            moved[creditor] = moved.get(creditor, Fraction()) + Fraction(amount)
            moved[debtor] = moved.get(debtor, Fraction()) - Fraction(amount)
        if self.payer is not None and self.payee is not None:
            paid = Fraction(self.amount or 0)
            moved[self.payer] = moved.get(self.payer, Fraction()) - paid
            moved[self.payee] = moved.get(self.payee, Fraction()) + paid
        off = {person: x for person, x in sorted(moved.items()) if x}
        if off:
            raise InvalidEntryError(
                "Settlement.discharged and passed must move the payer's balance up"
                " and the payee's down by Settlement.amount and no other balance,"
                f" got {off!r} off"
            )

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone it concerns: payer, payee, then the people of its debts."""
        found = [p for p in (self.payer, self.payee) if p is not None]
        for debt in (*self.discharged, *self.passed):
            found += (debt.debtor, debt.creditor)
        return tuple(dict.fromkeys(found))

    def effects(self) -> tuple[tuple[str, str, Amount], ...]:
        """``(debtor, creditor, amount)`` moves, as for :meth:`Assignment.effects`.

        Lowering what X owes H is H owing X that much more.
        """
        return tuple((d.creditor, d.debtor, d.amount) for d in self.discharged) + tuple(
            (d.debtor, d.creditor, d.amount) for d in self.passed
        )


Entry = (
    Person
    | Favor
    | Reversal
    | Tie
    | Pledge
    | Release
    | Ask
    | Answer
    | Assignment
    | Settlement
)
"""Anything the ledger's log holds."""


def named_people(entry: Entry) -> tuple[str, ...]:
    """The people an entry names itself (a reversal, release or answer names
    none: they refer to another entry).

    Examples
    --------
    >>> named_people(Tie(a="me", b="bob", strength=1))
    ('me', 'bob')
    """
    if isinstance(entry, Person):
        return (entry.id,)
    if isinstance(entry, Tie):
        return (entry.a, entry.b)
    if isinstance(entry, Favor | Assignment | Settlement):
        return entry.people
    if isinstance(entry, Pledge):
        return (entry.giver, entry.receiver)
    if isinstance(entry, Ask):
        return (entry.asker, entry.asked)
    return ()
