"""``python -m favorledger``: the ``favorledger`` command (:mod:`favorledger.cli`)."""

from favorledger.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
