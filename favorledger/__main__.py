"""``python -m favorledger``: the ``favorledger`` command (:mod:`favorledger.cli`)."""

import sys

try:  # Ctrl-C before the command has loaded: one line, no traceback
    from favorledger.cli import main
except KeyboardInterrupt:
    sys.stderr.write("favorledger: interrupted\n")
    raise SystemExit(130) from None

if __name__ == "__main__":
    raise SystemExit(main())
