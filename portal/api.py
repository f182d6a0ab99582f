"""The read-only open-data API and the chart embeds, served by the portal's own server
(``asgi.py`` hands ``routes()`` to ``st.App``). Starlette only: no Streamlit here.

Every answer is computed once per (release, route, query) and served from a bounded cache; it
carries the release id, an ETag (``If-None-Match`` gets 304), a ``Cache-Control`` a CDN can
act on and ``Access-Control-Allow-Origin: *``. A refused query is a 400 naming the parameter;
an unexpected failure is a 500 in JSON, logged here, never a traceback in the answer."""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import embed, open_data, openapi, queries
from portal.db import is_sqlite, make_engine
from portal.export import to_csv
from portal.i18n import t
from portal.lookup import base_url
from portal.settings import get_settings

log = logging.getLogger("portal.api")

PREFIX = "/api/v1"
RELEASE_TTL_S = 10  # how long a replica keeps the name of the current release before asking again
CACHE_ENTRIES = 512
CURRENT_MAX_AGE = "public, max-age=60, stale-while-revalidate=600"  # a new release may come
FIXED_MAX_AGE = "public, max-age=86400, immutable"  # ?release=: a release never changes
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, X-Portal-Release",
}
JSON = "application/json; charset=utf-8"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"
# the embed draws with the bundled script and its own CSS (Vega compiles its expressions with
# Function: unsafe-eval, but no inline script); any site may frame it
EMBED_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; frame-ancestors *"
)
PORTAL_FRAMING = "frame-ancestors 'self'"  # the portal itself is never framed by another site


class Refused(Exception):
    """An answer other than 200, as a JSON error document."""

    def __init__(self, status: int, document: dict):
        super().__init__(status)
        self.status, self.document = status, document


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    etag: str


# ---------------------------------------------------------------- the store and its release


@functools.cache
def _engine(url: str):
    return make_engine(url, read_only=True)


_release_lock = threading.Lock()
_release_seen: dict[str, tuple[float, object]] = {}


def _current(url: str):
    """The release the pages show (the newest one under a trusted key), for RELEASE_TTL_S."""
    now = time.monotonic()
    with _release_lock:
        seen = _release_seen.get(url)
        if seen and now - seen[0] < RELEASE_TTL_S:
            return seen[1]
    release = open_data.shown_release(_engine(url), get_settings()) if _store_exists(url) else None
    with _release_lock:
        _release_seen[url] = (now, release)
    return release


def _store_exists(url: str) -> bool:
    if not is_sqlite(url):
        return True
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return bool(database) and Path(database).exists()


# ---------------------------------------------------------------- answers, cached


class _Cache:
    """A bounded LRU of answers: keys name a release, so a new release never meets old ones."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key, compute: Callable[[], Answer]) -> Answer:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        answer = compute()  # outside the lock: two first requests may both compute; same bytes
        with self._lock:
            self._items[key] = answer
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return answer


CACHE = _Cache(CACHE_ENTRIES)


def _answer(body: bytes, media_type: str) -> Answer:
    return Answer(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _query(request: Request) -> dict[str, str]:
    """The query string as name -> value; a name given twice is refused, not guessed at."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise open_data.BadParameter(name, "repeated")
        params[name] = value
    return params


def _release_for(url: str, params: dict[str, str]):
    """(release, fixed): the release a query names, or the current one."""
    engine = _engine(url)
    if "release" in params:
        wanted = params["release"]
        release = queries.release(engine=engine, release_id=wanted) if len(wanted) <= 32 else None
        if release is None:
            raise open_data.BadParameter("release", "unknown_value", value=open_data.shown(wanted))
        return release, True
    release = _current(url)
    if release is None:
        raise Refused(404, {"error": {"reason": "no_release", "message": t("api.no_release", "en")}})
    return release, False


def _respond(request: Request, answer: Answer, *, release_id: str | None, fixed: bool, headers=None) -> Response:
    common = {**CORS, "ETag": answer.etag, "Cache-Control": FIXED_MAX_AGE if fixed else CURRENT_MAX_AGE}
    if release_id:
        common["X-Portal-Release"] = release_id
    common |= headers or {}
    if _matches(request.headers.get("if-none-match"), answer.etag):
        return Response(status_code=304, headers=common)
    return Response(answer.body, media_type=answer.media_type, headers=common)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _error(status: int, document: dict) -> Response:
    return Response(
        open_data.dumps(document), status_code=status, media_type=JSON, headers={**CORS, "Cache-Control": "no-store"}
    )


def guarded(handler):
    """Every route's failures as JSON: a refused parameter 400, anything unexpected 500. The
    handler runs on a worker thread: the event loop also carries every page's websocket, and
    a first answer (a store query, a large JSON) must not stall them."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        lang = "en"
        try:
            params = _query(request)
            lang = open_data.language(params)
            return await run_in_threadpool(handler, request, params)
        except open_data.BadParameter as exc:
            return _error(400, exc.document(lang))
        except Refused as exc:
            return _error(exc.status, exc.document)
        except Exception:
            log.exception("open-data request failed: %s", request.url.path)
            message = t("app.unavailable", lang)
            return _error(500, {"error": {"reason": "unavailable", "message": message}})

    return run


def _url() -> str:
    return get_settings().published_store_url


# ---------------------------------------------------------------- routes


@guarded
def releases(request: Request, params: dict) -> Response:
    open_data.parse(params, names={}, allowed=("lang",))
    url = _url()
    current = _current(url)
    key = ("releases", url, current.id if current else None)

    def compute() -> Answer:
        document = open_data.releases_document(queries.releases(engine=_engine(url)), current.id if current else None)
        return _answer(open_data.dumps(document), JSON)

    return _respond(request, CACHE.get(key, compute), release_id=current.id if current else None, fixed=False)


def _figures(kind: str):
    @guarded
    def figures(request: Request, params: dict) -> Response:
        url = _url()
        release, fixed = _release_for(url, params)
        engine = _engine(url)
        labels = queries.labels(engine=engine, release_id=release.id)
        wanted = open_data.parse(params, names=open_data.names_of(labels))
        lang = params.get("lang")
        key = ("figures", kind, url, release.id, wanted, lang)

        def compute() -> Answer:
            cells = open_data.select(engine, release.id, wanted)
            if kind == "csv":
                return _answer(to_csv(cells, labels), CSV)
            return _answer(open_data.figures_json(release, cells, labels, lang).encode("utf-8"), JSON)

        return _respond(request, CACHE.get(key, compute), release_id=release.id, fixed=fixed)

    return figures


@guarded
def glossary(request: Request, params: dict) -> Response:
    open_data.parse(params, names={}, allowed=("release", "lang"))
    url = _url()
    release, fixed = _release_for(url, params)
    key = ("glossary", url, release.id)

    def compute() -> Answer:
        names = open_data.names_of(queries.labels(engine=_engine(url), release_id=release.id))
        document = {"release": release.id, **open_data.glossary_document(names)}
        return _answer(open_data.dumps(document), JSON)

    return _respond(request, CACHE.get(key, compute), release_id=release.id, fixed=fixed)


@guarded
def datapackage(request: Request, params: dict) -> Response:
    open_data.parse(params, names={}, allowed=("release", "lang"))
    url = _url()
    release, fixed = _release_for(url, params)
    base = _public_base(request)
    key = ("datapackage", url, release.id, base)

    def compute() -> Answer:
        csv_url = f"{base}{PREFIX}/figures.csv?release={release.id}"
        return _answer(open_data.dumps(open_data.datapackage(release, csv_url=csv_url, portal_url=base)), JSON)

    return _respond(request, CACHE.get(key, compute), release_id=release.id, fixed=fixed)


@guarded
def openapi_document(request: Request, params: dict) -> Response:
    open_data.parse(params, names={}, allowed=("lang",))
    base = _public_base(request)
    answer = CACHE.get(("openapi", base), lambda: _answer(open_data.dumps(openapi.document(base)), JSON))
    return _respond(request, answer, release_id=None, fixed=False)


@guarded
def embed_page(request: Request, params: dict) -> Response:
    url = _url()
    release, fixed = _release_for(url, params)
    figure_path = request.path_params["figures"]
    base = _public_base(request)
    key = ("embed", url, release.id, figure_path, tuple(sorted(params.items())), base)

    def compute() -> Answer:
        view = embed.build(_engine(url), release, figure_path, params, base_url=base)
        return _answer(embed.page(view).encode("utf-8"), HTML)

    headers = {"Content-Security-Policy": EMBED_CSP}
    return _respond(request, CACHE.get(key, compute), release_id=release.id, fixed=fixed, headers=headers)


@functools.cache
def _script(name: str) -> tuple[bytes, bytes, str]:
    """(plain, gzipped, etag) of a script the embed loads; the Vega bundle is 0.9 MB plain."""
    body = (embed.vega_bundle() if name == "vega" else embed.SCRIPT).encode("utf-8")
    return body, gzip.compress(body, 6), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _static(name: str):
    async def script(request: Request) -> Response:
        body, zipped, etag = await run_in_threadpool(_script, name)  # the first call bundles 0.9 MB
        headers = {**CORS, "ETag": etag, "Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(zipped, media_type=JS, headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, media_type=JS, headers=headers)

    return script


def _public_base(request: Request) -> str:
    """The address links in answers point to: PORTAL_PUBLIC_URL when set, else this request's."""
    configured = get_settings().public_url
    return base_url(get_settings()) if configured else str(request.base_url).rstrip("/")


async def not_allowed(request: Request) -> Response:
    return (
        _error(405, {"error": {"reason": "method", "message": t("api.method", "en")}})
        if request.method != "OPTIONS"
        else Response(
            status_code=204,
            headers={
                **CORS,
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "If-None-Match",
                "Access-Control-Max-Age": "86400",
            },
        )
    )


async def not_found(request: Request) -> Response:
    return _error(404, {"error": {"reason": "not_found", "message": t("api.not_found", "en")}})


OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# (path, endpoint, name): the OpenAPI document lists exactly these
ROUTES = (
    (f"{PREFIX}/releases", releases, "releases"),
    (f"{PREFIX}/figures", _figures("json"), "figures"),
    (f"{PREFIX}/figures.json", _figures("json"), "figures_json"),
    (f"{PREFIX}/figures.csv", _figures("csv"), "figures_csv"),
    (f"{PREFIX}/glossary", glossary, "glossary"),
    (f"{PREFIX}/datapackage.json", datapackage, "datapackage"),
    (f"{PREFIX}/openapi.json", openapi_document, "openapi"),
    ("/embed/vega.js", _static("vega"), "vega_js"),
    ("/embed/embed.js", _static("embed"), "embed_js"),
    ("/embed/{figures}", embed_page, "embed"),
)


def routes() -> list[Route]:
    """The routes ``st.App`` serves beside Streamlit's own."""
    out = []
    for path, endpoint, name in ROUTES:
        out.append(Route(path, endpoint, methods=["GET", "HEAD"], name=name))
        out.append(Route(path, not_allowed, methods=OTHER_METHODS, name=f"{name}_other"))
    out.append(Route(PREFIX + "/{rest:path}", not_found, methods=["GET", "HEAD", *OTHER_METHODS]))
    return out


class FrameHeaders:
    """Pure ASGI middleware: the portal's own pages may not be framed by another site; the
    embeds may (their handler sets ``frame-ancestors *``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/embed/"):
            return await self.app(scope, receive, send)

        async def framed(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PORTAL_FRAMING.encode()))
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, framed)
