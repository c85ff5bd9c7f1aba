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

from favorledger import _startup, trading  # noqa: F401 (_startup first: Ctrl-C)
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
