"""The documentation's examples run and show what they claim.

Every ``docs/*.md`` page is read top to bottom: a ```` ```python ```` block
is executed, a ```` ```pycon ```` block is checked as a doctest (its output
must match), all in one namespace per page, in a fresh temporary directory.
The specification page's links to property tests must name tests that exist.
"""

from __future__ import annotations

import ast
import doctest
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```(python|pycon)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def blocks(page: Path) -> Iterator[tuple[str, str, int]]:
    """Each runnable block of ``page``: its language, code and first line."""
    text = page.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start(2)) + 1
        yield match.group(1), match.group(2), line


def test_there_are_pages_with_examples() -> None:
    names = {page.stem for page in PAGES}
    assert {"index", "getting-started", "balances", "storage", "api"} <= names
    assert sum(1 for page in PAGES for _ in blocks(page)) > 20


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_the_examples_in_each_page_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, Any] = {"__name__": f"docs.{page.stem}"}
    parser = doctest.DocTestParser()
    try:
        for language, code, line in blocks(page):
            where = f"{page.name}:{line}"
            if language == "python":
                exec(compile(code, where, "exec"), namespace)
                continue
            test = parser.get_doctest(code, namespace, where, str(page), line - 1)
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            report: list[str] = []
            runner.run(test, out=report.append, clear_globs=False)
            namespace.update(test.globs)
            assert not runner.failures, "".join(report)
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


INCLUDE = re.compile(
    r"^```\{literalinclude\} (?P<path>\S+)\n:pyobject: (?P<name>\S+)$", re.M
)


def test_the_specification_links_to_tests_that_exist() -> None:
    text = (DOCS / "specification.md").read_text(encoding="utf-8")
    links = [(m["path"], m["name"]) for m in INCLUDE.finditer(text)]
    assert len(links) >= 15
    defined: dict[str, set[str]] = {}  # each file parsed once
    for path, name in links:
        if path not in defined:
            source = (DOCS / path).resolve()
            tree = ast.parse(source.read_text(encoding="utf-8"))
            defined[path] = {
                ".".join(filter(None, [outer, node.name]))
                for outer, node in _definitions(tree)
            }
        assert name in defined[path], f"{path} has no {name}"


def _definitions(tree: ast.Module) -> Iterator[tuple[str, Any]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            yield "", node
        if isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef):
                    yield node.name, inner


def test_the_api_reference_covers_the_whole_public_api() -> None:
    import favorledger

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in favorledger.__all__
        if name != "__version__" and f"favorledger.{name}" not in text
    ]
    assert missing == []


def _extras() -> dict[str, list[str]]:
    import tomllib

    pyproject = (DOCS.parent / "pyproject.toml").read_text(encoding="utf-8")
    extras: dict[str, list[str]] = tomllib.loads(pyproject)["project"][
        "optional-dependencies"
    ]
    return extras


def test_the_extras_table_lists_every_extra_and_what_it_installs() -> None:
    """Getting started lists each extra in pyproject.toml, each with every
    package it installs (``dev`` also names the extras it pulls in)."""
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([\w-]+)` \|(.*)\|$", page, flags=re.M))
    extras = _extras()
    assert set(rows) == set(extras)
    for extra, packages in extras.items():
        for requirement in packages:
            name = re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0]
            if name == "favorledger":  # the extras dev pulls in
                for pulled in re.findall(r"\w+", requirement.split("[")[1]):
                    assert f"`{pulled}`" in rows[extra], (extra, pulled)
            else:
                assert name in rows[extra], (extra, name)


def test_the_architecture_names_every_type_of_entry_and_no_outside_file() -> None:
    from typing import get_args

    from favorledger.model import Entry

    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    log = page[page.index("The log (`Ledger.log`)") :].split("\n\n")[0]
    for kind in get_args(Entry):
        assert f"`{kind.__name__}`" in log, kind
    for other in PAGES:
        assert "../shared/" not in other.read_text(encoding="utf-8"), other
