"""Start Streamlit on the portal's router: ``python -m portal.serve [streamlit options]``.

Streamlit treats a folder named ``pages/`` beside the entry script as a legacy (v1) multipage
app until some session in the process has run ``st.navigation``. Until then a deep link such
as ``/funds_raised`` would run that page file without the router (no language, no filters),
so the first visitors after a restart would see an error. Our ``pages/`` holds
``st.navigation`` pages only, so the legacy discovery is switched off before the server starts.
Deployments start the portal with this module (or ``portal serve``), not ``streamlit run``.

Before starting, the current release's key fingerprint is checked against the keys this
deployment trusts (``pseudonym.accepted_fingerprints``); an unknown one stops the start."""

from __future__ import annotations

import sys

from portal.settings import PROJECT_ROOT, Settings, get_settings

APP = PROJECT_ROOT / "streamlit_app.py"


def refusal(settings: Settings) -> str | None:
    """Why the portal must not serve this published store, or None."""
    from portal import pseudonym, queries
    from portal.cli import _safe_url, default_lang, say
    from portal.db import make_engine

    engine = make_engine(settings.published_store_url, read_only=True)
    try:
        release = queries.current_release(engine=engine)
    except Exception:  # missing or empty store: the portal's own empty page explains it
        return None
    finally:
        engine.dispose()
    if release is None or not pseudonym.untrusted_release(release.key_fingerprint, settings):
        return None
    lang = default_lang(settings)
    return say(
        "untrusted_store",
        lang,
        url=_safe_url(settings.published_store_url),
        release=release.id,
        found=release.key_fingerprint or "—",
        accepted=", ".join(sorted(pseudonym.accepted_fingerprints(settings))) or "—",
    )


def main(argv: list[str] | None = None) -> None:
    problem = refusal(get_settings())
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(3)

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
