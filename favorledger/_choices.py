"""The fixed words some fields of an entry take: a tie's kind, an answer's status.

They live apart from :mod:`favorledger.model`, which checks entries against
them and re-exports them, so that the command's parser can list them as
choices without loading the model (attrs and every entry class): ``favorledger
--version`` and ``--help`` need nothing else of the library.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ANSWERS", "TIE_KINDS"]

TIE_KINDS: Final = frozenset(
    {
        "acquaintance",
        "classmate",
        "client",
        "colleague",
        "family",
        "friend",
        "implied",
        "mentor",
        "neighbor",
    }
)
"""The kinds of tie the ledger knows (``"implied"`` marks ties inferred from
favors)."""

ANSWERS: Final = ("accepted", "declined")
"""What an ask can be answered: accepted or declined."""
