"""A bounded load run against the favor board: many clients, writes and reads.

``python -m examples.webapp.load --db URL`` serves the board with several
worker processes on 127.0.0.1, runs ``--clients`` concurrent clients that each
send ``--requests`` requests (half record a favor with a fresh id, half read
the balances), then checks that every favor the server acknowledged is in the
store exactly once, and prints requests per second and p50 / p99 latency.
Traffic goes to loopback only, and the run stops after ``--deadline`` seconds
whatever happens.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2 as httpx

from examples.webapp.serve import serving

MEMBERS = [f"member{i:02d}" for i in range(40)]


@dataclass
class Run:
    """What a load run saw."""

    acknowledged: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def figures(self) -> dict[str, float]:
        """Requests per second and latency percentiles (milliseconds)."""
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return {
            "requests": self.requests,
            "writes_acknowledged": len(self.acknowledged),
            "failures": len(self.failures),
            "seconds": round(self.seconds, 2),
            "requests_per_s": round(self.requests / self.seconds, 1),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
        }


def _client(url: str, count: int, seed: int, deadline: float, run: Run) -> None:
    rng = random.Random(seed)
    lock = threading.Lock()
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            write = rng.random() < 0.5
            giver, receiver, referrer = rng.sample(MEMBERS, 3)
            favor_id = f"load-{uuid.uuid4().hex}"
            start = time.perf_counter()
            try:
                if write:
                    response = client.post(
                        "/api/favors",
                        json={
                            "id": favor_id,
                            "giver": giver,
                            "receiver": receiver,
                            "value": str(rng.randint(1, 9)),
                            "via": referrer if rng.random() < 0.3 else None,
                            "at": datetime.now(UTC).isoformat(),
                        },
                    )
                else:
                    response = client.get("/api/balances")
            except httpx.HTTPError as exc:
                with lock:
                    run.failures.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - start
            with lock:
                run.latencies.append(elapsed)
                if write and response.status_code == 201:
                    run.acknowledged.append(favor_id)
                elif response.status_code >= 300:
                    run.failures.append(f"{response.status_code}: {response.text}")


def load(
    url: str, *, clients: int = 16, requests: int = 200, deadline: float = 300
) -> Run:
    """Run ``clients`` threads of ``requests`` requests each against ``url``."""
    run = Run()
    stop = time.monotonic() + deadline
    threads = [
        threading.Thread(target=_client, args=(url, requests, seed, stop, run))
        for seed in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - start
    return run


def stored_favor_ids(url: str) -> list[str]:
    """Every favor id the board's store holds, in order (may repeat if broken)."""
    response = httpx.get(f"{url}/api/favor-ids", timeout=60)
    response.raise_for_status()
    ids: list[str] = response.json()
    return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.webapp.load")
    parser.add_argument("--db", required=True, help="SQLite path or postgresql:// URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--deadline", type=float, default=300)
    args = parser.parse_args(argv)
    with serving(args.db, workers=args.workers) as url:
        run = load(
            url, clients=args.clients, requests=args.requests, deadline=args.deadline
        )
        stored = stored_favor_ids(url)
    missing = set(run.acknowledged) - set(stored)
    twice = len(stored) - len(set(stored))
    print(json.dumps({**run.figures(), "missing": len(missing), "duplicated": twice}))


if __name__ == "__main__":
    main()
