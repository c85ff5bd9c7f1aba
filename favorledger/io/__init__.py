"""Reading and writing ledgers: JSON Lines, the native log format.

Examples
--------
>>> import io, favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("ann", "bob", "1/3", id="f1", at="2024-01-01T00:00+00:00")
>>> print(dumps_entry(led.log[0]))
{"format": 1, "type": "favor", "id": "f1", "giver": "ann", "receiver": "bob", \
"value": "1/3", "kind": "favor", "at": "2024-01-01T00:00:00+00:00", "via": null, \
"reason": "", "tags": [], "referral_share": null, "fulfils": null}
"""

from favorledger.io.jsonl import (
    FORMAT_VERSION,
    TornLineWarning,
    dumps_entry,
    loads_entry,
    read_jsonl,
    write_jsonl,
)

__all__ = [
    "FORMAT_VERSION",
    "TornLineWarning",
    "dumps_entry",
    "loads_entry",
    "read_jsonl",
    "write_jsonl",
]
