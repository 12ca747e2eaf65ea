"""``python -m geo_env``: the ``geo-env`` command, for when its script is not on PATH
(Windows without an activated venv)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
