"""The exceptions favorledger raises.

Every error derives from :class:`FavorLedgerError`, and each one also derives
from the builtin exception a Python programmer would expect (``ValueError``
for bad values, ``LookupError`` for unknown names), so both
``except FavorLedgerError`` and ``except ValueError`` work.

A rejected call never changes the ledger: the ledger validates a whole request
before it touches its state.

Examples
--------
>>> from favorledger import Ledger, InvalidFavorError
>>> led = Ledger()
>>> try:
...     led.record("ann", "bob", -3)
... except InvalidFavorError as exc:
...     print(exc)
Favor.value must be positive, got -3
>>> isinstance(InvalidFavorError("x"), ValueError)
True
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "AlreadyReversedError",
    "DuplicateFavorError",
    "FavorLedgerError",
    "FileError",
    "FormatError",
    "InvalidEntryError",
    "InvalidFavorError",
    "InvalidPersonError",
    "InvalidPolicyError",
    "InvalidQueryError",
    "InvalidTieError",
    "InvalidValueError",
    "MarketError",
    "MissingExtraError",
    "NoPathError",
    "NoSettlementError",
    "OverwriteError",
    "SchemaError",
    "SettlementTooLargeError",
    "StalePlanError",
    "StoreError",
    "UnknownFavorError",
    "UnknownPersonError",
]


class FavorLedgerError(Exception):
    """The root of every exception favorledger raises."""


def shown(value: object, limit: int = 80) -> str:
    """A value as a message shows it: as the user typed or sees it.

    Text is quoted (``'ann'``), so a blank or a trailing space shows; an
    amount is a number (``1.5``, ``1/3``), a time is ISO 8601 as short as it can be
    without losing anything (``2026-02-01T00:00+00:00``), a duration is
    ``1 day, 0:00:00``, a set of tags is ``{'a', 'b'}`` and ``None`` is
    ``nothing``; anything else is its
    ``repr``. Every message names its bad value through here. A hostile value
    can be megabytes long (and an integer of more than 4300 digits has no
    text), so long values are shown by their start and their size.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from decimal import Decimal
    >>> from fractions import Fraction
    >>> shown("ann"), shown(Decimal("1.5")), shown(Fraction(-1, 3)), shown(None)
    ("'ann'", '1.5', '-1/3', 'nothing')
    >>> shown(datetime(2026, 11, 30, 17, 17, tzinfo=timezone.utc))
    '2026-11-30T17:17+00:00'
    >>> shown(frozenset({"b", "a"})), shown(frozenset())
    ("{'a', 'b'}", '{}')
    >>> shown("x" * 1000, limit=5)
    "'xxxxx'... (1000 characters)"
    >>> shown(10**5000)
    '<an integer of about 5001 digits>'
    """
    if type(value) is int and value.bit_length() > 13_000:  # past str()'s limit
        return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    if isinstance(value, str | bytes) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    try:
        text = _as_seen(value)
    except ValueError:  # a Fraction of huge integers, say
        return f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= 2 * limit else f"{text[: 2 * limit]}..."


_FIELD: Final = re.compile(
    r"\b(?:Favor|Pledge|Tie|Person|Reversal|Ask|Answer|Release|Assignment)\.(\w+)"
)


def in_words(message: str, words: Mapping[str, str]) -> str:
    """``message`` naming fields as the person who typed them knows them.

    Each ``Favor.value`` (any entry's field) whose field is in ``words``
    becomes ``words[field]``: a flag, an argument, a form's label. The
    command and the web app both word their errors through here.

    Examples
    --------
    >>> in_words("Favor.value must be positive, got -2", {"value": "VALUE"})
    'VALUE must be positive, got -2'
    >>> in_words("Tie.kind must be one of ...", {})
    'Tie.kind must be one of ...'
    """
    return _FIELD.sub(lambda m: words.get(m.group(1), m.group(0)), message)


def _moment(value: datetime) -> str:
    """A time as short as it can be without losing anything: to the minute
    unless it has seconds, to the second unless it has a fraction of one.

    Examples
    --------
    >>> from datetime import timezone
    >>> _moment(datetime(2026, 2, 1, tzinfo=timezone.utc))
    '2026-02-01T00:00+00:00'
    >>> _moment(datetime(2026, 2, 1, 9, 30, 5, 120, tzinfo=timezone.utc))
    '2026-02-01T09:30:05.000120+00:00'
    """
    if value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def _as_seen(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Decimal | timedelta):
        return str(value)
    if isinstance(value, Fraction):
        return str(value)  # 1/3, or 2 for a whole one
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):  # tags
        return "{" + ", ".join(shown(item) for item in sorted(value, key=str)) + "}"
    return repr(value)


class InvalidValueError(FavorLedgerError, ValueError):
    """A field was given a value it cannot hold (the message names both)."""


class InvalidFavorError(InvalidValueError):
    """A favor (or a reversal of one) has an invalid field."""


class InvalidPersonError(InvalidValueError):
    """A person has an invalid field."""


class InvalidEntryError(InvalidValueError):
    """A pledge, release, ask, answer or assignment has an invalid field."""


class MarketError(FavorLedgerError, ValueError):
    """A market operation is not allowed in the ledger's current state: a
    pledge that is expired, released or already called; an ask already
    answered or completed; an assignment of more than is owed."""


class InvalidTieError(InvalidValueError):
    """A tie between two people has an invalid field."""


class InvalidPolicyError(InvalidValueError):
    """A valuation policy (referral share, decay) has an invalid setting."""


class DuplicateFavorError(FavorLedgerError, ValueError):
    """An entry id is already recorded with a different body."""


class AlreadyReversedError(FavorLedgerError, ValueError):
    """A favor that has already been reversed was reversed again."""


class UnknownPersonError(FavorLedgerError, LookupError):
    """A person id is not in the ledger."""


def close_names(name: str, known: Iterable[str]) -> list[str]:
    """Up to three of ``known`` that ``name`` may have meant, closest first
    (a name differing only in case comes first).

    Examples
    --------
    >>> close_names("alcie", ["alice", "bob"]), close_names("Bob", ["bob"])
    (['alice'], ['bob'])

    Names are compared in Unicode NFC form, the form the ledger keeps ids in,
    so a name typed decomposed finds the composed one, and a name typed
    composed finds one a store from before ids were composed keeps
    decomposed:

    >>> close_names("Zoe\u0308", ["Zo\u00eb"]) == ["Zo\u00eb"]
    True
    >>> close_names("Zo\u00eb", ["Zoe\u0308"]) == ["Zoe\u0308"]
    True
    """
    known = list(known)
    composed = unicodedata.normalize("NFC", name)
    same = [k for k in known if k != name and _nfc(k) == composed]
    same += [k for k in known if k.casefold() == composed.casefold() and k != composed]
    close = difflib.get_close_matches(composed, known, n=3, cutoff=0.6)
    return list(dict.fromkeys(same + close))[:3]


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def slips_of(name: str, known: Iterable[str]) -> list[str]:
    """Those of :func:`close_names` that ``name`` is one slip of the
    keyboard away from (ignoring case): a letter wrong, left out, added, or
    two swapped. A new person's name that is merely like a known one
    (``alicia``, ``alice``) is no slip.

    Examples
    --------
    >>> slips_of("alcie", ["alice"]), slips_of("alicia", ["alice"])
    (['alice'], [])
    """
    return [
        k for k in close_names(name, known) if _one_slip(name.casefold(), k.casefold())
    ]


def _one_slip(a: str, b: str) -> bool:
    """At most one edit apart: a substitution, deletion, insertion or a
    swap of neighbours (the optimal string alignment distance is <= 1)."""
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differ) == 2:
            i, j = differ
            return j == i + 1 and (a[i], a[j]) == (b[j], b[i])
        return len(differ) <= 1
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    pairs = zip(short, long, strict=False)
    i = next((k for k, (x, y) in enumerate(pairs) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def unknown_person(person: object, known: Iterable[str]) -> UnknownPersonError:
    """The error for a ``person`` the ledger does not hold (``known``: who
    it does hold), with the names it may have meant.

    Examples
    --------
    >>> print(unknown_person("alcie", ["alice", "bob"]))
    person 'alcie' is not in the ledger (did you mean 'alice'?)
    """
    if not isinstance(person, str):
        return UnknownPersonError(f"person {person!r} is not in the ledger")
    close = close_names(person, known)
    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
    if close and _nfc(person.strip()) == _nfc(close[0]):
        hint = (
            f" (did you mean {close[0]!r}? it is the same text in another"
            " Unicode form, which a store written before ids were composed"
            " keeps: name it as stored)"
        )
    return UnknownPersonError(f"person {person!r} is not in the ledger{hint}")


class UnknownFavorError(FavorLedgerError, LookupError):
    """A favor id is not in the ledger."""


class FormatError(FavorLedgerError, ValueError):
    """A file could not be read; the message names the file, line and field.

    Attributes
    ----------
    path : str
        The file's name.
    line : int
        The 1-based line number of the bad line.
    """

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class SchemaError(FormatError):
    """A table (a Parquet favors table) breaks the schema; the message names
    the table and the column.

    Attributes
    ----------
    column : str
        The column at fault.
    """

    def __init__(self, message: str, *, path: str = "", column: str = "") -> None:
        super().__init__(message, path=path)
        self.column = column


class MissingExtraError(FavorLedgerError, ImportError):
    """An optional dependency is not installed; the message names the extra
    to install and how (:func:`install_hint`)."""


def install_hint(extra: str) -> str:
    """How to install an optional extra: favorledger is installed from its
    checkout or a wheel built from it, not from a package index: asking an
    index for the name would fetch whatever package owns it there.

    Examples
    --------
    >>> install_hint("plot")
    "install the plot extra: pip install -e '.[plot]' in the favorledger checkout"
    """
    return (
        f"install the {extra} extra: pip install -e '.[{extra}]'"
        " in the favorledger checkout"
    )


class OverwriteError(FavorLedgerError, FileExistsError):
    """A write would replace a file it must not: an SQLite database (a
    ledger's store, say) or a block device. Nothing was written; pass
    ``force=True`` (``--force`` on the command line) to overwrite it anyway.
    """


class FileError(FavorLedgerError, OSError):
    """A file could not be read or written: it is missing, a directory, in a
    directory that does not exist, or not permitted. The message names the
    path as given (never a temporary file); nothing was written.

    Attributes
    ----------
    path : str
        The file's name, as given.
    errno : int or None
        The operating system's error number (``errno.ENOENT``, ...).

    Examples
    --------
    >>> from favorledger.io import read_jsonl
    >>> try:
    ...     read_jsonl("no-such-file.jsonl")
    ... except FileError as exc:
    ...     print(exc)
    no-such-file.jsonl: cannot read: no such file
    """

    def __init__(self, message: str, *, path: str = "", errno: int | None = None):
        super().__init__(message)
        self.path = path
        self.errno = errno


class NoPathError(FavorLedgerError, LookupError):
    """No referral path joins two people (the message names both)."""


class InvalidQueryError(InvalidValueError):
    """A query was given a bad argument (the message names it and the value)."""


class StoreError(FavorLedgerError, OSError):
    """A store could not be opened, read or written; the message names the file.

    Also raised for a file that is not a favorledger store, or that a newer
    version of favorledger wrote.
    """


class StorePermissionError(StoreError, PermissionError):
    """The store's server refused the connecting role a privilege it needs;
    the message names the privilege and the object (``INSERT on
    favorledger.entries``). Nothing was written: grant the privilege (an app
    role's grants are in the storage docs) and try again.

    Attributes
    ----------
    needed : str
        The privilege and its object, ``INSERT on table favorledger.entries``.
    role : str
        The role refused (empty if unknown).
    """

    def __init__(self, message: str, *, needed: str = "", role: str = "") -> None:
        super().__init__(message)
        self.needed = needed
        self.role = role


class NoSettlementError(FavorLedgerError, ValueError):
    """No settlement exists under the constraints asked for.

    Raised by ``method="ties"`` when some group of people has no relationship
    with the rest and its balances do not sum to zero; the message names the
    groups.
    """


class StalePlanError(FavorLedgerError, ValueError):
    """A settle or clearing plan was applied after its ledger recorded an
    entry that moves debts (the message names it), or one of its transfers
    was applied already: settle again."""


class OverpaymentError(FavorLedgerError, ValueError):
    """Transfers given to ``Ledger.apply`` by hand would move someone's
    balance away from zero or past it: a payer paying more than they owe, a
    payee receiving more than they are owed (the same payment applied twice,
    payer and payee swapped). The message names the person, their balance and
    what the transfers would leave. A payment that settles nothing is a
    favor: record it."""


class SettlementTooLargeError(FavorLedgerError, ValueError):
    """The exact solver was asked to settle too many balances to finish."""
