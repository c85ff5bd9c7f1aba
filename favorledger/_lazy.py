"""A package's public names, each imported from its module on first use.

``favorledger``, ``favorledger.io`` and ``favorledger.io.postgres`` gather
names from many modules. Importing them all up front would make every
``favorledger`` command load networkx, cattrs and every store before doing
anything (a third of a second; ``benchmarks/README.md``, "Starting the
command"). Instead each package keeps a table of where its names live and
answers a name it does not hold yet with :func:`attribute`, from its
module ``__getattr__`` (PEP 562).

Examples
--------
>>> homes = {"Fraction": "fractions"}
>>> namespace: dict[str, object] = {}
>>> attribute("json", homes, "Fraction", namespace)
<class 'fractions.Fraction'>
>>> "Fraction" in namespace  # kept: the next read does not come here
True
>>> attribute("json", homes, "decoder", namespace)  # a submodule
<module 'json.decoder' from ...>
>>> attribute("json", homes, "nothing", namespace)
Traceback (most recent call last):
...
AttributeError: module 'json' has no attribute 'nothing'
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["attribute", "homes"]


def homes(modules: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each name's module, from each module's names.

    Examples
    --------
    >>> homes({"a.b": ("x", "y"), "a.c": ("z",)})
    {'x': 'a.b', 'y': 'a.b', 'z': 'a.c'}
    """
    return {name: module for module, names in modules.items() for name in names}


def attribute(
    package: str,
    homes: Mapping[str, str],
    name: str,
    namespace: MutableMapping[str, Any],
) -> Any:
    """``package``'s attribute ``name``: imported from its module in ``homes``
    (and kept in ``namespace``, the package's globals), else the submodule
    ``package.name``.

    Raises
    ------
    AttributeError
        If ``package`` has no such name and no such submodule.
    """
    home = homes.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise  # the submodule exists, but something it needs is missing
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
