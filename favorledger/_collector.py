"""Keeping Python's cyclic garbage collector off the ledger's own objects.

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

A favor the ledger builds from values it has checked holds only immutable
atoms (strings, amounts, a UTC time, ``None``, the shared empty tag set), so
it can never be part of a reference cycle: ``untrack`` takes it off the
collector's lists. A ledger keeps every favor for good, and each full
collection would otherwise rescan all of them (measured in ``benchmarks/``:
0.75 to 1.0 µs a favor at 2*10^5 favors, "Issue 13, third round").

>>> from fractions import Fraction
>>> atom = Fraction(1, 3)  # a slotted object that holds two ints
>>> untrack(atom)
>>> gc.is_tracked(atom) is not UNTRACKS, atom + 1
(True, Fraction(4, 3))
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Final

__all__ = ["UNTRACKS", "collector_paused", "untrack"]


def _untracker() -> Callable[[object], None] | None:
    """CPython's ``PyObject_GC_UnTrack``, if this interpreter has it."""
    if sys.implementation.name != "cpython":
        return None  # other interpreters' collectors work differently
    try:
        import ctypes

        function = ctypes.pythonapi.PyObject_GC_UnTrack
    except (ImportError, AttributeError):  # built without ctypes: nothing to do
        return None
    function.argtypes = [ctypes.py_object]
    function.restype = None
    return function


def _leave(atom: object) -> None:
    """Where the interpreter cannot untrack an object: leave it tracked."""


_UNTRACK: Final = _untracker()
UNTRACKS: Final = _UNTRACK is not None
"""Whether :func:`untrack` takes objects off the collector here (CPython)."""

untrack: Final[Callable[[object], None]] = _leave if _UNTRACK is None else _UNTRACK
"""Take an object off the cyclic collector's lists (``untrack(atom)``).

Only for an object that can never be part of a reference cycle: one that
refers to nothing but immutable values that cannot refer back to it. Its
memory is still freed when its last reference goes (reference counting does
not need the collector). One C call (0.13 µs), not wrapped in a Python
function, since the ledger calls it once a favor."""


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
