"""Sphinx configuration: MyST Markdown pages, executed notebooks, furo theme.

Build with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The example notebooks live in ``examples/`` as jupytext percent-format ``.py``
files (the source of truth; the tests run them). Sphinx can only read pages
inside ``docs/``, so the build copies them to ``docs/examples/`` when it
starts and removes the copies when it ends; myst-nb reads them through
jupytext and executes them, so every build shows fresh output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import favorledger

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "favorledger"
author = "favorledger developers"
copyright = "favorledger developers"
version = release = favorledger.__version__

extensions = [
    "myst_nb",  # MyST Markdown pages and notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style docstrings
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "conf.py", "**/.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
html_theme = "furo"
html_title = "favorledger"
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# MyST
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: the examples are jupytext percent-format .py files.
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "force"  # always run them: the output is never stale
nb_execution_timeout = 120
nb_execution_raise_on_error = True  # a failing notebook fails the build
nb_execution_show_tb = True
nb_merge_streams = True

# autodoc and napoleon
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections say the types in words
autodoc_default_options = {"show-inheritance": True}  # members: page by page
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# Nothing is fetched over the network: no intersphinx mappings.

NOTEBOOKS = DOCS / "examples"


def _copy_notebooks(_app: Any, _config: Any) -> None:
    """Copy ``examples/*.py`` into ``docs/examples`` for myst-nb to read."""
    NOTEBOOKS.mkdir(exist_ok=True)
    for source in sorted((ROOT / "examples").glob("*.py")):
        target = NOTEBOOKS / source.name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copy2(source, target)  # keeps the time: incremental builds
    # Draw into the notebook (inline), even if the environment says Agg.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"


def _remove_notebooks(_app: Any, _exception: BaseException | None) -> None:
    """Remove the copies, so they are never linted, tested or committed."""
    shutil.rmtree(NOTEBOOKS, ignore_errors=True)


def _draw_layers(_app: Any, _config: Any) -> None:
    """Redraw ``_static/layers.svg`` from the code and the layers contract;
    an import against the layers fails the build."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "layers.py")], check=True)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _draw_layers)
    app.connect("config-inited", _copy_notebooks)
    app.connect("build-finished", _remove_notebooks)
    return {"parallel_read_safe": True}
