"""Draw favorledger's layers and the imports between its modules.

The layers are read from the import-linter contract in ``pyproject.toml``
and the imports from the code itself (with grimp, the graph library
import-linter is built on), so the picture cannot drift from either. Each
row is a layer, top to bottom; each box a module (a package such as ``io``
is one box); each grey arrow an import. An import that points up a layer,
or sideways between siblings, is drawn red and makes the script exit 1.

Usage::

    python tools/layers.py [OUT.svg]     # default docs/_static/layers.svg

The documentation build runs it, so the page always shows the code as it is.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import grimp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "favorledger"
BOX_W, BOX_H, ROW_H = 1.9, 0.5, 0.9


def contract_layers() -> list[list[str]]:
    """The layers contract, top first: each layer a list of sibling modules."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["type"] == "layers" and "containers" not in contract:
            return [
                [name.strip() for name in layer.split("|")]
                for layer in contract["layers"]
            ]
    raise SystemExit("pyproject.toml has no layers contract")


def module_imports(modules: list[str]) -> set[tuple[str, str]]:
    """(importer, imported) between the contract's modules, from the code."""
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)

    def owner(name: str) -> str | None:
        matches = [m for m in modules if name == m or name.startswith(m + ".")]
        return max(matches, key=len) if matches else None

    edges = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = owner(importer), owner(imported)
            if a and b and a != b:
                edges.add((a, b))
    return edges


def draw(layers: list[list[str]], edges: set[tuple[str, str]], out: Path) -> int:
    """Draw the picture; return how many imports break the layers."""
    widest = max(len(layer) for layer in layers)
    width = widest * (BOX_W + 0.4)
    rank: dict[str, int] = {}
    where: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        y = -row * ROW_H
        start = (width - len(layer) * (BOX_W + 0.4)) / 2
        for col, module in enumerate(layer):
            rank[module] = row
            where[module] = (start + col * (BOX_W + 0.4) + BOX_W / 2, y)
    figure, axes = plt.subplots(figsize=(width * 0.9, len(layers) * ROW_H * 0.9))
    broken = 0
    for importer, imported in sorted(edges):
        wrong = rank[imported] <= rank[importer]
        broken += wrong
        (x1, y1), (x2, y2) = where[importer], where[imported]
        axes.add_patch(
            FancyArrowPatch(
                (x1, y1 - BOX_H / 2),
                (x2, y2 + BOX_H / 2),
                arrowstyle="-|>",
                mutation_scale=7,
                color="#d62728" if wrong else "#9a9a9a",
                linewidth=1.2 if wrong else 0.5,
                alpha=0.9 if wrong else 0.45,
                zorder=1,
            )
        )
    for module, (x, y) in where.items():
        axes.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0.02",
                facecolor="#e8f0fb",
                edgecolor="#3b6aa0",
                zorder=2,
            )
        )
        label = module.removeprefix(PACKAGE + ".")
        axes.text(x, y, label, ha="center", va="center", fontsize=9, zorder=3)
    axes.set_xlim(-0.3, width)
    axes.set_ylim(-(len(layers) - 1) * ROW_H - BOX_H, BOX_H)
    axes.set_axis_off()
    axes.set_title(
        "favorledger: layers (top imports down) and every import", fontsize=10
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    plt.rcParams["svg.hashsalt"] = PACKAGE  # the same picture, the same file
    figure.savefig(out, bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return broken


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "_static" / "layers.svg"
    layers = contract_layers()
    modules = [module for layer in layers for module in layer]
    edges = module_imports(modules)
    broken = draw(layers, edges, out)
    print(f"{len(modules)} modules, {len(edges)} imports;", end=" ")
    print(f"{broken} against the layers: {out}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
