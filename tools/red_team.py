"""The disclosure red team's command: ``python -m tools.red_team --store URL``.

The attacks live in ``portal.red_team``, where publish also runs them on every candidate
release before it is written."""

import sys

from portal.red_team import main

if __name__ == "__main__":
    sys.exit(main())
