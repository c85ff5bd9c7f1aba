"""The favor board under load, on each store: nothing acknowledged is lost.

16 concurrent clients send 200 requests each (half record a favor with a
fresh id, half read the balances) to the board served by several worker
processes on 127.0.0.1. Afterwards every favor the server acknowledged is in
the store exactly once, the store checks clean, and the balances the app
serves are those of the store. The figures (requests per second, p50 / p99
latency) are printed and kept in ``test-artifacts/``; nothing is timed as a
pass or fail.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx2

import favorledger as fl
from examples.webapp.load import load, stored_favor_ids
from examples.webapp.serve import serving
from favorledger.io.postgres import check_store

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CLIENTS, REQUESTS, WORKERS = 16, 200, 3


def _stored_favor_ids(db: str) -> list[str]:
    """Every favor id in the store, read back by a fresh ledger."""
    with fl.Ledger.open(db) as led:
        return [entry.id for entry in led.log if isinstance(entry, fl.Favor)]


def _run(db: str, name: str) -> None:
    with serving(db, workers=WORKERS) as url:
        run = load(url, clients=CLIENTS, requests=REQUESTS, deadline=300)
        served = stored_favor_ids(url)
        balances = httpx2.get(f"{url}/api/balances").json()["balances"]
    figures = {"store": name, "workers": WORKERS, "clients": CLIENTS, **run.figures()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"load-{name}.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    assert run.failures == []
    assert run.requests == CLIENTS * REQUESTS
    stored = _stored_favor_ids(db)
    assert Counter(stored).most_common(1)[0][1] == 1, "a favor is stored twice"
    assert set(run.acknowledged) <= set(stored), "an acknowledged favor is missing"
    assert served == stored
    with fl.Ledger.open(db) as led:
        assert balances == {p: str(b) for p, b in led.balances().items()}


def test_load_on_sqlite(tmp_path: Path) -> None:
    _run(str(tmp_path / "club.db"), "sqlite")
    assert fl.io.sqlite.check_store(str(tmp_path / "club.db")) == []


def test_load_on_postgresql(postgres_url: str) -> None:
    _run(postgres_url, "postgresql")
    assert check_store(postgres_url) == []
