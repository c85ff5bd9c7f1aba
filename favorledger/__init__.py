"""favorledger: the ledger of reciprocal favors.

Keep an exact, append-only tally of who did what for whom, who owes whom
(including the referrer a favor was done *via*), and query it as a graph.

Examples
--------
>>> import favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", 3, kind="introduction", via="bob")
>>> led.who_owes_whom()
[Debt(debtor='me', creditor='carol', amount=Decimal('3')), \
Debt(debtor='bob', creditor='carol', amount=Decimal('1.5'))]
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any, Final

from favorledger import (
    _lazy,
    _startup,  # noqa: F401 (first: Ctrl-C while loading)
)

if TYPE_CHECKING:  # imported on first use: see __getattr__ below
    from favorledger import trading
    from favorledger._exact import Amount, AmountLike, Ratio, total
    from favorledger.agenda import AgendaItem, agenda
    from favorledger.clearing import Clearing, clear_cycles, clear_debts
    from favorledger.errors import (
        AlreadyReversedError,
        DuplicateFavorError,
        FavorLedgerError,
        FileError,
        FormatError,
        InvalidEntryError,
        InvalidFavorError,
        InvalidPersonError,
        InvalidPolicyError,
        InvalidQueryError,
        InvalidTieError,
        InvalidValueError,
        MarketError,
        MissingExtraError,
        NoPathError,
        NoSettlementError,
        OverpaymentError,
        OverwriteError,
        SchemaError,
        SettlementTooLargeError,
        StalePlanError,
        StoreError,
        StorePermissionError,
        UnknownFavorError,
        UnknownPersonError,
    )
    from favorledger.ledger import Ledger, Plan
    from favorledger.model import (
        Answer,
        Ask,
        Assignment,
        Debt,
        Entry,
        Favor,
        Obligation,
        Person,
        Pledge,
        Release,
        Reversal,
        Settlement,
        Tie,
        Transfer,
    )
    from favorledger.policy import Decay
    from favorledger.priorities import (
        Expertise,
        Priority,
        PriorityPolicy,
        Reason,
        ask_capacity,
        priorities,
    )
    from favorledger.reciprocity import (
        FairWeather,
        fair_weather,
        overall_reciprocity,
        person_reciprocity,
        reciprocity,
    )
    from favorledger.referrals import (
        WEIGHTS,
        Hop,
        ReferralPath,
        Weight,
        experts,
        introducers,
        referral_path,
        referral_paths,
        willingness,
    )
    from favorledger.settlement import (
        assigned_favors,
        explain,
        settle,
        settle_balances,
        settled_by,
    )

__version__ = "0.1.0"

__all__ = [
    "WEIGHTS",
    "AgendaItem",
    "AlreadyReversedError",
    "Amount",
    "AmountLike",
    "Answer",
    "Ask",
    "Assignment",
    "Clearing",
    "Debt",
    "Decay",
    "DuplicateFavorError",
    "Entry",
    "Expertise",
    "FairWeather",
    "Favor",
    "FavorLedgerError",
    "FileError",
    "FormatError",
    "Hop",
    "InvalidEntryError",
    "InvalidFavorError",
    "InvalidPersonError",
    "InvalidPolicyError",
    "InvalidQueryError",
    "InvalidTieError",
    "InvalidValueError",
    "Ledger",
    "MarketError",
    "MissingExtraError",
    "NoPathError",
    "NoSettlementError",
    "Obligation",
    "OverpaymentError",
    "OverwriteError",
    "Person",
    "Plan",
    "Pledge",
    "Priority",
    "PriorityPolicy",
    "Ratio",
    "Reason",
    "ReferralPath",
    "Release",
    "Reversal",
    "SchemaError",
    "Settlement",
    "SettlementTooLargeError",
    "StalePlanError",
    "StoreError",
    "StorePermissionError",
    "Tie",
    "Transfer",
    "UnknownFavorError",
    "UnknownPersonError",
    "Weight",
    "__version__",
    "agenda",
    "ask_capacity",
    "assigned_favors",
    "clear_cycles",
    "clear_debts",
    "experts",
    "explain",
    "fair_weather",
    "introducers",
    "overall_reciprocity",
    "person_reciprocity",
    "priorities",
    "reciprocity",
    "referral_path",
    "referral_paths",
    "settle",
    "settle_balances",
    "settled_by",
    "total",
    "trading",
    "willingness",
]

_HOMES: Final = _lazy.homes(
    {
        "favorledger._exact": ("Amount", "AmountLike", "Ratio", "total"),
        "favorledger.agenda": ("AgendaItem", "agenda"),
        "favorledger.clearing": ("Clearing", "clear_cycles", "clear_debts"),
        "favorledger.errors": (
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
            "OverpaymentError",
            "OverwriteError",
            "SchemaError",
            "SettlementTooLargeError",
            "StalePlanError",
            "StoreError",
            "StorePermissionError",
            "UnknownFavorError",
            "UnknownPersonError",
        ),
        "favorledger.ledger": ("Ledger", "Plan"),
        "favorledger.model": (
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
        ),
        "favorledger.policy": ("Decay",),
        "favorledger.priorities": (
            "Expertise",
            "Priority",
            "PriorityPolicy",
            "Reason",
            "ask_capacity",
            "priorities",
        ),
        "favorledger.reciprocity": (
            "FairWeather",
            "fair_weather",
            "overall_reciprocity",
            "person_reciprocity",
            "reciprocity",
        ),
        "favorledger.referrals": (
            "WEIGHTS",
            "Hop",
            "ReferralPath",
            "Weight",
            "experts",
            "introducers",
            "referral_path",
            "referral_paths",
            "willingness",
        ),
        "favorledger.settlement": (
            "assigned_favors",
            "explain",
            "settle",
            "settle_balances",
            "settled_by",
        ),
    }
)
"""The module that defines each public name, imported when the name is first
read (PEP 562): ``import favorledger`` itself loads nothing else, so the
command starts without the algorithms, networkx or the stores it does not use."""


def __getattr__(name: str) -> Any:
    """A public name, or a submodule (``favorledger.trading``), on first use."""
    return _lazy.attribute(__name__, _HOMES, name, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``favorledger`` itself, so that ``agenda``, ``priorities`` and
    ``reciprocity`` stay the functions even once their modules (of the same
    names) are imported: Python sets a submodule as an attribute of its
    package when it first imports it, which would hide the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return  # the import system naming the submodule: keep the function
        super().__setattr__(name, value)


_SHADOWED = frozenset({"agenda", "priorities", "reciprocity"})
sys.modules[__name__].__class__ = _Package
