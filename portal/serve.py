"""Start Streamlit on the portal's router: ``python -m portal.serve [streamlit options]``.

Streamlit treats a folder named ``pages/`` beside the entry script as a legacy (v1) multipage
app until some session in the process has run ``st.navigation``. Until then a deep link such
as ``/funds_raised`` would run that page file without the router (no language, no filters),
so the first visitors after a restart would see an error. Our ``pages/`` holds
``st.navigation`` pages only, so the legacy discovery is switched off before the server starts.
Deployments start the portal with this module (or ``portal serve``), not ``streamlit run``.
It runs ``asgi.py``: the same Streamlit app, plus the open-data API and embeds (``portal.api``).

Before starting, the current release's key fingerprint is checked against the keys this
deployment trusts (``pseudonym.accepted_fingerprints``); an unknown one stops the start."""

from __future__ import annotations

import sys

from portal.settings import PROJECT_ROOT, Settings, get_settings

# the pages and the open-data API on one server: asgi.py wraps streamlit_app.py in st.App
APP = PROJECT_ROOT / "asgi.py"


def check(settings: Settings) -> tuple[str | None, str | None]:
    """(why the portal must not serve this published store, what the operator should know):
    refused when no release was built under a key this deployment trusts; when only newer
    releases are untrusted, the portal serves the newest trusted one and says so."""
    from portal import pseudonym, queries, stores
    from portal.cli import _safe_url, default_lang
    from portal.db import is_sqlite, make_engine
    from portal.i18n import t

    url = settings.published_store_url
    try:
        pseudonym.accepted_fingerprints(settings)
    except pseudonym.BadKeyError as exc:  # a key file here that is not a key
        return t(f"cli.{exc.args[0]}", default_lang(settings), where=exc.where, min=pseudonym.MIN_KEY_CHARS), None
    if is_sqlite(url) and not _sqlite_file(url).exists():
        return None, None  # nothing published yet: the portal's own empty page explains it
    engine = make_engine(url, read_only=True)
    try:
        if not stores.is_initialised(engine):
            return None, None
        release, skipped = queries.trusted_release(
            engine=engine, trusted=lambda fp: not pseudonym.untrusted_release(fp, settings)
        )
    except Exception as exc:  # a corrupt file, a server down: the operator must know now
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return t("cli.store_unreadable", default_lang(settings), url=_safe_url(url), reason=reason), None
    finally:
        engine.dispose()
    if not skipped:
        return None, None
    lang = default_lang(settings)
    values = dict(
        url=_safe_url(settings.published_store_url),
        release=skipped[0].id,
        found=skipped[0].key_fingerprint or "—",
        accepted=", ".join(sorted(pseudonym.accepted_fingerprints(settings))) or "—",
    )
    if release is None:
        return t("cli.untrusted_store", lang, **values), None
    return None, t("cli.untrusted_newer", lang, shown=release.id, **values)


def _sqlite_file(url: str):
    from pathlib import Path

    from sqlalchemy.engine import make_url

    return Path(make_url(url).database or "")


def refusal(settings: Settings) -> str | None:
    """Why the portal must not serve this published store, or None."""
    return check(settings)[0]


def main(argv: list[str] | None = None) -> None:
    problem, notice = check(get_settings())
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(3)
    if notice:
        print(notice, file=sys.stderr)

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
