"""The ``portal`` command line's words: the language it speaks, and argparse made bilingual
(its own words, usage and section titles, in the help language). Its messages are
``t("cli.KEY", lang)`` (portal/reference/cli_messages.toml, through portal.i18n)."""

from __future__ import annotations

import argparse
import copy
import functools
import locale
import os
import sys
from functools import cache

from portal.i18n import t
from portal.settings import Settings, get_settings


class CliError(Exception):
    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def default_lang(settings: Settings) -> str:
    if settings.lang in ("zh", "en"):
        return settings.lang
    name = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    return "en" if name.lower().startswith("en") else "zh"


def help_lang(argv: list[str] | None, default: str) -> str:
    """The language of ``--help``: ``--lang`` wherever argv has it (argparse reads it only after
    the parser, and with it every help text, is built), else the default."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", nargs="?")
    known, _ = pre.parse_known_args(argv)
    return known.lang if known.lang in ("zh", "en") else default


@cache
def _help_values() -> dict[str, object]:
    # read only when help is printed: portal.suppress brings pandas, which most commands do not need
    from portal import suppress

    return {"k_default": get_settings().k, "min_k": suppress.MIN_K, "max_k": suppress.MAX_K}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with its own words ("usage:") in the help language."""

    def __init__(self, prog: str, *, lang: str, **kwargs):
        super().__init__(prog, **kwargs)
        self._lang = lang

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, t("cli.help_usage", self._lang) if prefix is None else prefix)

    def _expand_help(self, action):
        action = copy.copy(action)
        vars(action).update(_help_values())
        return super()._expand_help(action)


class Parser(argparse.ArgumentParser):
    """argparse in the help language: its own words (usage, section titles, -h, the error line)
    come from cli_messages.toml (cli.help_*); the detail of an error stays argparse's English."""

    def __init__(self, *args, lang: str, **kwargs):
        formatter = functools.partial(_HelpFormatter, lang=lang)
        super().__init__(*args, formatter_class=formatter, add_help=False, **kwargs)
        self.lang = lang
        self._positionals.title = t("cli.help_positionals", lang)
        self._optionals.title = t("cli.help_options", lang)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=t("cli.help_help", lang))

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, t("cli.help_error", self.lang, prog=self.prog, message=message) + "\n")
