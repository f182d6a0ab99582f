"""The ``portal`` command line (architecture.md): init, load, publish, figures, sample, serve.

Exit codes: 0 success, 1 bad rows under ``--strict``, a file whose every row was rejected or a
failed check, 2 unusable input or configuration. Messages follow ``--lang`` (default from the
locale, zh when unsure)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from loaders import KINDS
from portal import pseudonym, stores
from portal.cli_words import CliError, Parser, default_lang, help_lang
from portal.db import is_sqlite, make_engine
from portal.i18n import t
from portal.settings import PROJECT_ROOT, Settings, get_settings


def _store(url: str, store: str, lang: str, *, create: bool = False):
    engine = make_engine(url)
    if create:
        stores.migrate(engine, store)
    elif not stores.is_initialised(engine):
        raise CliError(t("cli.not_initialised", lang))
    return engine


def _working(settings: Settings, lang: str, *, create: bool = False):
    return _store(settings.working_store_url, "working", lang, create=create)


def _published(settings: Settings, lang: str, *, create: bool = False):
    return _store(settings.published_store_url, "published", lang, create=create)


def _key(settings: Settings, lang: str) -> bytes:
    try:
        return pseudonym.load_key(settings)
    except pseudonym.BadKeyError as exc:
        raise CliError(t(f"cli.{exc.args[0]}", lang, where=exc.where, min=pseudonym.MIN_KEY_CHARS)) from exc
    except pseudonym.MissingKeyError as exc:
        raise CliError(t("cli.key_missing", lang)) from exc


def _receipt_key(settings: Settings, lang: str) -> bytes | None:
    """Donors' receipt checks need their own key; without one, publish simply writes none."""
    try:
        return pseudonym.load_key(settings, receipt=True)
    except pseudonym.BadKeyError as exc:
        raise CliError(t(f"cli.{exc.args[0]}", lang, where=exc.where, min=pseudonym.MIN_KEY_CHARS)) from exc
    except pseudonym.MissingKeyError:
        return None


def cmd_init(args, settings: Settings, *, quiet: bool = False) -> int:
    """Stores and keys; ``quiet`` (inside another command) says only what it created."""
    say_it = (lambda *_: None) if quiet else print
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.pseudonym_key is not None:
        say_it(t("cli.key_from_env", args.lang))
    elif pseudonym.generate_key_file(settings.pseudonym_key_file):
        print(t("cli.key_created", args.lang, path=settings.pseudonym_key_file))  # always: back it up
    else:
        say_it(t("cli.key_exists", args.lang, path=settings.pseudonym_key_file))
    say_it(t("cli.key_fingerprint", args.lang, fingerprint=pseudonym.fingerprint(_key(settings, args.lang))))
    if settings.receipt_key is None:
        pseudonym.generate_key_file(settings.receipt_key_file)
    _working(settings, args.lang, create=True)
    _published(settings, args.lang, create=True)
    say_it(
        t(
            "cli.init_done",
            args.lang,
            working=_safe_url(settings.working_store_url),
            published=_safe_url(settings.published_store_url),
        )
    )
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def load_one(
    kind: str,
    path: Path,
    settings: Settings,
    lang: str,
    *,
    sheet=None,
    strict=False,
    is_sample=False,
    output: str = "text",
) -> int:
    import loaders

    if path.is_dir():
        raise CliError(t("cli.file_is_directory", lang, file=path))
    if not path.exists():
        raise CliError(t("cli.file_missing", lang, file=path))
    key = _key(settings, lang)
    engine = _working(settings, lang)
    try:
        result = loaders.load_file(
            kind, path, engine=engine, key=key, sheet=sheet, strict=strict, lang=lang, is_sample=is_sample
        )
    except loaders.AllRowsRejected as exc:
        # a failed load, with or without --strict: nothing written, the rejects file says why
        if output == "json":
            print(json.dumps(exc.result.as_json(), ensure_ascii=False))
        print(str(exc), file=sys.stderr)
        print(t("cli.rejects_at", lang, path=exc.result.rejects_file), file=sys.stderr)
        return 1
    except loaders.StrictRejected as exc:
        if output == "json":
            print(json.dumps(exc.result.as_json(), ensure_ascii=False))
        print(
            t("cli.strict_failed", lang, file=path.name, rejected=exc.result.rejected, path=exc.result.rejects_file),
            file=sys.stderr,
        )
        return 1
    except loaders.UnusableFile as exc:
        raise CliError(str(exc)) from exc
    if output == "json":
        print(json.dumps(result.as_json(), ensure_ascii=False))
    elif result.unchanged:
        print(t("cli.load_unchanged", lang, file=path.name))
    else:
        counts = {"rows": result.rows, "loaded": result.loaded, "rejected": result.rejected}
        print(t("cli.load_summary", lang, file=path.name, **counts))
        if result.rejected:
            print(t("cli.rejects_at", lang, path=result.rejects_file))
    if output != "json" and result.not_paid:  # a platform's order export: unpaid orders, apart
        print(t("cli.not_paid_at", lang, count=result.not_paid, path=result.not_paid_file))
    return 0


def cmd_load(args, settings: Settings) -> int:
    try:
        return load_one(
            args.kind, Path(args.file), settings, args.lang, sheet=args.sheet, strict=args.strict, output=args.format
        )
    except CliError as exc:
        if args.format == "json":  # a script reading stdout learns of the failure there too
            error = {"kind": args.kind, "file": str(args.file), "error": str(exc), "exit_code": exc.code}
            print(json.dumps(error, ensure_ascii=False))
        raise


def _parse_date(value: str | None, lang: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(t("cli.bad_date", lang, value=value)) from exc


def run_publish(settings: Settings, lang: str, *, k: int, as_of=None, note=None) -> int:
    from portal import publish, suppress

    if not suppress.MIN_K <= k <= suppress.MAX_K:
        raise CliError(t("cli.bad_k", lang, min_k=suppress.MIN_K, max_k=suppress.MAX_K))
    working = _working(settings, lang)
    published = _published(settings, lang, create=True)
    try:
        result = publish.publish(
            working=working, published=published, k=k, as_of=as_of, note=note, receipt_key=_receipt_key(settings, lang)
        )
    except publish.NothingToPublish as exc:
        raise CliError(t("cli.nothing_to_publish", lang)) from exc
    except publish.ReleaseKeyMismatch as exc:
        raise CliError(
            t("cli.publish_key_mismatch", lang, working=exc.working or "—", published=exc.published)
        ) from exc
    except publish.WorkingStoreBusy as exc:
        raise CliError(t("cli.working_busy", lang), code=1) from exc
    except publish.AsOfOutOfRange as exc:
        raise CliError(t("cli.as_of_out_of_range", lang, as_of=exc.as_of, first=exc.first, last=exc.last)) from exc
    except suppress.AuditFailure as exc:
        from portal import formatting
        from portal.figures import BY_KEY

        cell = exc.cell
        figure = BY_KEY[cell["figure"]].name(lang) if cell.get("figure") in BY_KEY else cell.get("figure", "?")
        period = formatting.period(cell["period"], lang) if cell.get("period") else "?"
        raise CliError(
            t("cli.audit_failed", lang, figure=figure, programme=cell.get("programme", "?"), period=period), code=1
        ) from exc
    print(
        t(
            "cli.publish_done",
            lang,
            release=result.release_id,
            as_of=result.as_of,
            k=result.k,
            cells=result.cells,
            withheld=sum(result.withheld.values()),
            corrections=result.corrections,
        )
    )
    return 0


def cmd_publish(args, settings: Settings) -> int:
    return run_publish(
        settings,
        args.lang,
        k=args.k if args.k is not None else settings.k,
        as_of=_parse_date(args.as_of, args.lang),
        note=args.note,
    )


def cmd_figures(args, settings: Settings) -> int:
    """The cells of a release, filtered as ``/api/v1/figures`` filters them (``portal.open_data``):
    the API's answer and this command's output are the same bytes for the same query."""
    from portal import export, open_data, queries

    engine = _published(settings, args.lang)
    if args.release:
        release = queries.release(engine=engine, release_id=args.release)
        if release is None:
            raise CliError(t("cli.unknown_release", args.lang, release=args.release))
    else:
        release = queries.current_release(engine=engine)
        if release is None:
            raise CliError(t("cli.no_release", args.lang))
    labels = queries.labels(engine=engine, release_id=release.id)
    try:
        wanted = open_data.parse(_figure_query(args), names=open_data.names_of(labels))
    except open_data.BadParameter as exc:
        raise CliError(exc.document(args.lang)["error"]["message"]) from exc
    cells = open_data.select(engine, release.id, wanted)
    if args.format == "json":
        sys.stdout.write(open_data.figures_json(release, cells, labels, args.labels) + "\n")
    else:
        sys.stdout.buffer.write(export.to_csv(cells, labels))
    return 0


def _figure_query(args) -> dict[str, str]:
    """The command's filters as the API's query parameters (``--where stage=primary`` is
    ``?stage=primary``)."""
    from portal import open_data

    params = {name: getattr(args, name) for name in ("figure", "programme", "period", "by") if getattr(args, name)}
    for condition in args.where or ():
        name, _, value = condition.partition("=")
        if name in params:
            raise open_data.BadParameter(name, "repeated")
        params[name] = value
    if args.labels:
        params["lang"] = args.labels
    return params


def cmd_sample(args, settings: Settings) -> int:
    from portal import queries

    try:  # a development tool beside the package in a source checkout (tools/sample), not installed with it
        import tools.sample as sample
    except ModuleNotFoundError as exc:
        if exc.name not in ("tools", "tools.sample"):
            raise
        raise CliError(t("cli.sample_unavailable", args.lang)) from exc

    if args.if_empty:
        engine = make_engine(settings.published_store_url)
        if stores.is_initialised(engine) and queries.current_release(engine=engine) is not None:
            print(t("cli.sample_exists", args.lang))
            return 0
    out_dir = Path(args.out) if args.out else settings.data_dir / "sample"
    if args.scale <= sample.STAFF_FORMATS_UP_TO_SCALE:
        files = list(sample.write(sample.generate(scale=args.scale, seed=args.seed), out_dir))
    else:
        files = sample.write_streaming(out_dir, scale=args.scale, seed=args.seed)
    print(t("cli.sample_written", args.lang, scale=args.scale, path=out_dir))
    cmd_init(args, settings, quiet=True)  # `make run` has just said it
    for kind, path in files:
        code = load_one(kind, path, settings, args.lang, is_sample=True)
        if code:
            return code
    return run_publish(settings, args.lang, k=settings.k)


def cmd_board_pack(args, settings: Settings) -> int:
    """The board pack PDF of a quarter or a year (portal.board_pack)."""
    import time

    from portal import board, board_pack, fonts, lookup

    started = time.perf_counter()
    engine = _published(settings, args.lang)
    try:
        view = board.build(engine, period=args.period, programme=args.programme, release_id=args.release)
        pack = board_pack.build(view, args.lang, base_url=lookup.base_url(settings), author=settings.publisher or "")
    except board.BoardError as exc:
        raise CliError(t(f"cli.{exc.code}", args.lang, **exc.values)) from exc
    except fonts.FontMissing as exc:
        raise CliError(str(exc)) from exc
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(pack.pdf)
    os.replace(tmp, out)
    seconds = f"{time.perf_counter() - started:.1f}"
    print(t("cli.board_pack_done", args.lang, path=out, pages=pack.pages, seconds=seconds))
    return 0


def cmd_copy_store(args, settings: Settings) -> int:
    """The published store as one self-contained SQLite file, through the backup API."""
    from portal import db, queries

    url = settings.published_store_url
    if not is_sqlite(url):
        raise CliError(t("cli.copy_store_postgres", args.lang, url=_safe_url(url)))
    engine = _published(settings, args.lang)
    release = queries.current_release(engine=engine)
    if release is None:
        raise CliError(t("cli.no_release", args.lang))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    db.copy_sqlite(url, out)
    print(t("cli.copy_store_done", args.lang, path=out, release=release.id))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    print(t("cli.serving", args.lang, port=args.port), flush=True)
    command = [sys.executable, "-m", "portal.serve", "--server.port", str(args.port), "--server.headless", "true"]
    # the server takes this process's place: a supervisor's SIGTERM (systemd, docker, Ctrl-C)
    # reaches Streamlit itself, and no child is left answering on the port
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, command)
    return 0  # not reached


def build_parser(lang_default: str, help_language: str | None = None) -> argparse.ArgumentParser:
    """Every command and option described in ``help_language`` (default: ``lang_default``), from
    the help_* texts of reference/cli_messages.toml."""
    lang = help_language or lang_default

    def h(key: str) -> str:
        return t(f"cli.help_{key}", lang)

    parser = Parser(prog="portal", description=h("portal"), epilog=h("epilog"), lang=lang)
    parser.add_argument("--lang", choices=("zh", "en"), default=lang_default, help=h("lang"))
    sub = parser.add_subparsers(dest="command", required=True, title=h("commands"))

    def command(name: str, func) -> argparse.ArgumentParser:
        key = name.replace("-", "_")
        p = sub.add_parser(name, help=h(key), description=h(key), lang=lang)
        p.set_defaults(func=func)
        return p

    command("init", cmd_init)
    p = command("load", cmd_load)
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=h("load_kind"))
    p.add_argument("file", metavar="FILE", help=h("load_file"))
    p.add_argument("--sheet", metavar="NAME", help=h("load_sheet"))
    p.add_argument("--strict", action="store_true", help=h("load_strict"))
    p.add_argument("--format", choices=("text", "json"), default="text", help=h("load_format"))
    p = command("publish", cmd_publish)
    p.add_argument("--k", type=int, metavar="N", help=h("publish_k"))
    p.add_argument("--as-of", metavar="DATE", help=h("publish_as_of"))
    p.add_argument("--note", metavar="TEXT", help=h("publish_note"))
    p = command("figures", cmd_figures)
    p.add_argument("--format", choices=("csv", "json"), default="csv", help=h("figures_format"))
    p.add_argument("--release", metavar="ID", help=h("release"))
    p.add_argument("--figure", metavar="KEYS", help=h("figures_figure"))
    p.add_argument("--programme", metavar="CODE", help=h("figures_programme"))
    p.add_argument("--period", metavar="KEYS", help=h("figures_period"))
    p.add_argument("--by", metavar="DIMENSIONS", help=h("figures_by"))
    p.add_argument("--where", action="append", metavar="DIMENSION=CODE", help=h("figures_where"))
    p.add_argument("--labels", choices=("zh", "en"), help=h("figures_labels"))
    p = command("sample", cmd_sample)
    p.add_argument("--scale", type=int, default=1, metavar="N", help=h("sample_scale"))
    p.add_argument("--seed", type=int, default=20231231, metavar="S", help=h("sample_seed"))
    p.add_argument("--out", metavar="DIR", help=h("sample_out"))
    p.add_argument("--if-empty", action="store_true", help=h("sample_if_empty"))
    p = command("board-pack", cmd_board_pack)
    p.add_argument("--period", required=True, help=h("board_pack_period"))
    p.add_argument("--programme", default="all", metavar="CODE", help=h("board_pack_programme"))
    p.add_argument("--release", metavar="ID", help=h("release"))
    p.add_argument("--out", required=True, metavar="FILE", help=h("board_pack_out"))
    p.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help=h("board_pack_lang"))
    p = command("copy-store", cmd_copy_store)
    p.add_argument("--out", required=True, metavar="FILE", help=h("copy_store_out"))
    p = command("serve", cmd_serve)
    p.add_argument("--port", type=int, default=8501, help=h("serve_port"))
    return parser


# how long a command waits for another load or publish to finish writing a store
LOCK_WAIT_S = float(os.environ.get("PORTAL_LOCK_WAIT_S", "120"))


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    lang = default_lang(settings)
    args = build_parser(lang, help_lang(argv, lang)).parse_args(argv)
    try:
        return _run(args, settings)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code


def _run(args, settings: Settings) -> int:
    """The command; a store being written by another command is waited for (with a notice,
    then again until LOCK_WAIT_S), a full disk or a locked store named in the user's words:
    loads and publishes are atomic, so a failed one changed nothing and a retry is safe."""
    import time

    from portal import faults

    started = time.monotonic()
    noticed = False
    while True:
        try:
            return args.func(args, settings)
        except CliError:
            raise
        except Exception as exc:
            fault = faults.kind(exc)
            if fault == faults.LOCKED and not noticed:  # said once, as soon as the wait shows
                print(t("cli.store_busy_waiting", args.lang, seconds=int(LOCK_WAIT_S)), file=sys.stderr, flush=True)
                noticed = True
            if fault == faults.LOCKED and time.monotonic() - started < LOCK_WAIT_S:
                time.sleep(2)
                continue
            if fault == faults.LOCKED:
                raise CliError(t("cli.store_locked", args.lang, seconds=int(LOCK_WAIT_S)), code=1) from exc
            if fault == faults.DISK_FULL:
                raise CliError(t("cli.disk_full", args.lang, path=settings.data_dir), code=1) from exc
            if os.environ.get("PORTAL_DEBUG"):
                raise
            raise CliError(t("cli.unexpected", args.lang, error=type(exc).__name__), code=1) from exc


if __name__ == "__main__":
    sys.exit(main())
