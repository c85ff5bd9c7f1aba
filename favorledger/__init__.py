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

from favorledger._exact import Amount, total
from favorledger.agenda import AgendaItem, agenda
from favorledger.errors import (
    AlreadyReversedError,
    DuplicateFavorError,
    FavorLedgerError,
    InvalidEntryError,
    InvalidFavorError,
    InvalidPersonError,
    InvalidPolicyError,
    InvalidTieError,
    InvalidValueError,
    MarketError,
    UnknownFavorError,
    UnknownPersonError,
)
from favorledger.ledger import Ledger
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
    Tie,
    Transfer,
)
from favorledger.policy import Decay

__version__ = "0.1.0"

__all__ = [
    "AgendaItem",
    "AlreadyReversedError",
    "Amount",
    "Answer",
    "Ask",
    "Assignment",
    "Debt",
    "Decay",
    "DuplicateFavorError",
    "Entry",
    "Favor",
    "FavorLedgerError",
    "InvalidEntryError",
    "InvalidFavorError",
    "InvalidPersonError",
    "InvalidPolicyError",
    "InvalidTieError",
    "InvalidValueError",
    "Ledger",
    "MarketError",
    "Obligation",
    "Person",
    "Pledge",
    "Release",
    "Reversal",
    "Tie",
    "Transfer",
    "UnknownFavorError",
    "UnknownPersonError",
    "__version__",
    "agenda",
    "total",
]
