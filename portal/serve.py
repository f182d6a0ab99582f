"""Start Streamlit on the portal's router: ``python -m portal.serve [streamlit options]``.

Streamlit treats a folder named ``pages/`` beside the entry script as a legacy (v1) multipage
app until some session in the process has run ``st.navigation``. Until then a deep link such
as ``/funds_raised`` would run that page file without the router (no language, no filters),
so the first visitors after a restart would see an error. Our ``pages/`` holds
``st.navigation`` pages only, so the legacy discovery is switched off before the server starts.
Deployments start the portal with this module (or ``portal serve``), not ``streamlit run``."""

from __future__ import annotations

import sys

from portal.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "streamlit_app.py"


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
