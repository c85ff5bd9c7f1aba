"""Keeping and exchanging ledgers: JSON Lines (the native log), an SQLite
store, CSV tables, a Parquet favors table, and graph formats (GraphML, GEXF,
DOT).

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

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from favorledger import _lazy
from favorledger.io.jsonl import (  # every store reads and writes JSON lines
    FORMAT_VERSION,
    TornLineWarning,
    dumps_entry,
    import_jsonl,
    loads_entry,
    read_jsonl,
    write_jsonl,
)

if TYPE_CHECKING:  # imported on first use (favorledger._lazy)
    from favorledger.io.graphs import (
        favor_graph,
        read_gexf,
        read_graphml,
        to_dot,
        write_dot,
        write_gexf,
        write_graphml,
    )
    from favorledger.io.parquet import PARQUET_COLUMNS, read_parquet, write_parquet
    from favorledger.io.sqlite import (
        SCHEMA_VERSION,
        StoredLedger,
        check_store,
        open_ledger,
        store_head,
    )
    from favorledger.io.tables import (
        EDGE_COLUMNS,
        FAVOR_COLUMNS,
        Edge,
        derived_id,
        import_csv,
        read_csv,
        read_edges,
        write_csv,
        write_edges,
    )

_HOMES: Final = _lazy.homes(
    {
        "favorledger.io.graphs": (
            "favor_graph",
            "read_gexf",
            "read_graphml",
            "to_dot",
            "write_dot",
            "write_gexf",
            "write_graphml",
        ),
        "favorledger.io.parquet": ("PARQUET_COLUMNS", "read_parquet", "write_parquet"),
        "favorledger.io.sqlite": (
            "SCHEMA_VERSION",
            "StoredLedger",
            "check_store",
            "open_ledger",
            "store_head",
        ),
        "favorledger.io.tables": (
            "EDGE_COLUMNS",
            "FAVOR_COLUMNS",
            "Edge",
            "derived_id",
            "import_csv",
            "read_csv",
            "read_edges",
            "write_csv",
            "write_edges",
        ),
    }
)
"""Where the names not imported above live: the graph formats need networkx,
and a command that uses none of them does not load them."""


def __getattr__(name: str) -> Any:
    return _lazy.attribute(__name__, _HOMES, name, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "EDGE_COLUMNS",
    "FAVOR_COLUMNS",
    "FORMAT_VERSION",
    "PARQUET_COLUMNS",
    "SCHEMA_VERSION",
    "Edge",
    "StoredLedger",
    "TornLineWarning",
    "check_store",
    "derived_id",
    "dumps_entry",
    "favor_graph",
    "import_csv",
    "import_jsonl",
    "loads_entry",
    "open_ledger",
    "read_csv",
    "read_edges",
    "read_gexf",
    "read_graphml",
    "read_jsonl",
    "read_parquet",
    "store_head",
    "to_dot",
    "write_csv",
    "write_dot",
    "write_edges",
    "write_gexf",
    "write_graphml",
    "write_jsonl",
    "write_parquet",
]
