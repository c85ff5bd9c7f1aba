"""The operator's guide to PostgreSQL (``docs/postgresql-guide.md``) works as
written: every ```` ```bash ```` block of it runs, in order, against a
throwaway PostgreSQL server, from a club's ``favorboard.db`` to a restored
backup, so the guide cannot rot.

The first block (the settings) is run before each of the others, as a shell
the operator keeps open would have them; ``PGHOST``, ``PGPORT`` and
``PGUSER`` come from the test server, as the settings block lets them. The
block that starts the board runs it on a port of the system's choosing
until it says it is listening; the block "after a restart" runs after the
server was restarted. No output of any block shows a password.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from favorledger import Ledger
from favorledger.testing.postgres import TemporaryServer

ROOT = Path(__file__).parent.parent
GUIDE = ROOT / "docs" / "postgresql-guide.md"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
PASSWORDS = ("change-me-owner", "change-me-app")


def guide_blocks() -> list[tuple[str, str]]:
    """Every fenced block of the guide: its language and text."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(m[1], m[2]) for m in FENCE.finditer(text)]


def test_every_block_of_the_guide_is_a_command_the_test_runs() -> None:
    """Nothing in the guide is left untested: every block is ``bash``."""
    blocks = guide_blocks()
    assert len(blocks) >= 12
    assert {language for language, _ in blocks} == {"bash"}
    assert "export OWNER_URL=" in blocks[0][1]


def _club(path: Path) -> None:
    """A club's board file: favors, a referral, a reversal, a tie, a person."""
    with Ledger.open(str(path)) as led:
        led.add_person("alice", name="Alice", tags={"bikes"})
        led.tie("alice", "bob", "0.8", kind="friend")
        led.record("alice", "bob", 2, id="f1", reason="fixed a bike")
        led.record("carol", "bob", "1.5", via="alice", id="f2")
        led.record("bob", "dan", 1, id="f3")
        led.reverse("f3", id="r3", reason="entered twice")


def test_the_operators_guide_runs_as_written(
    postgres_server: TemporaryServer, tmp_path: Path
) -> None:
    _club(tmp_path / "favorboard.db")
    env = os.environ | {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(postgres_server.port),
        "PGUSER": postgres_server.user,
        "PATH": os.pathsep.join(
            [
                postgres_server.bindir,
                os.path.dirname(sys.executable),
                os.environ["PATH"],
            ]
        ),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FAVORLEDGER_DB", None)
    env.pop("PGDATABASE", None)
    blocks = [text for _, text in guide_blocks()]
    settings, steps = blocks[0], blocks[1:]
    said: list[str] = []
    for step in steps:
        script = f"set -euo pipefail\n{settings}\n{step}"
        if step.startswith("# after a restart"):
            postgres_server.restart()
        if "python -m examples.webapp" in step:
            said.append(_board(script.replace("--port 8000", "--port 0"), env))
            continue
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{step}\n---\n{output}"
        said.append(output)
    everything = "\n".join(said)
    for password in PASSWORDS:
        assert password not in everything
    assert everything.count("same head") == 2
    assert "same balances" in everything
    assert "favorledger: created a new ledger at postgresql://clubowner@" in everything
    assert "listening on" in everything
    revoked = said[steps.index(next(s for s in steps if "role_table_grants" in s))]
    assert revoked.strip() == "0"


def _board(script: str, env: dict[str, str]) -> str:
    """Start the board as the guide does, until it says it is listening
    (then stop it and its workers); what it printed."""
    with subprocess.Popen(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: stopped as one
    ) as board:
        said = []
        try:
            assert board.stdout is not None
            for line in board.stdout:  # what store it opened, then listening
                said.append(line)
                if "listening on" in line or len(said) > 20:
                    break
        finally:
            os.killpg(board.pid, signal.SIGTERM)
    assert "listening on" in said[-1], said
    return "".join(said)
