"""Pausing Python's cyclic garbage collector around bulk work.

Replaying a store and settling a large ledger allocate a few objects per row
or per person, none of them in a reference cycle, so the collector has
nothing to free; but every full collection those allocations trigger rescans
every object of the ledger, again and again (measured in ``benchmarks/``:
settling a million people took 29 s instead of 17 s, and reopening ran
markedly slower, "Issue 13, speed").

Examples
--------
>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, if it is running;
    a caller who turned it off finds it off afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
