"""`portal --help` and every command's --help, in zh and en (texts in cli_messages.toml, the cli.help_* messages)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import pytest

from portal import cli
from portal.i18n import messages
from tests.conftest import ROOT

LANGS = ("zh", "en")
CJK = re.compile(r"[\u4e00-\u9fff]")
# two Latin words in a row, with only spaces between them: an English phrase left untranslated
# (single tokens such as CSV, SQLite, PORTAL_K, --lang or docs/raw-formats.md are names, not prose)
ENGLISH_PHRASE = re.compile(r"(?<![\w./-])[A-Za-z][A-Za-z']*(?:\s+[A-Za-z][A-Za-z']*)+(?![\w./-])")
# argparse's own words, which the zh help must not show
ARGPARSE_WORDS = ("usage:", "options:", "positional arguments", "show this help message")


def parsers(lang: str) -> dict[str, argparse.ArgumentParser]:
    """The root parser and every command's parser, by command ('' for the root)."""
    root = cli.build_parser(lang, lang)
    (sub,) = (a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    return {"": root, **sub.choices}


def described_actions(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if not isinstance(a, argparse._SubParsersAction)]


def help_text(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._expand_help(action)


def test_every_command_and_option_has_help_in_both_languages():
    by_lang = {lang: parsers(lang) for lang in LANGS}
    assert set(by_lang["zh"]) == set(by_lang["en"])
    for name, zh_parser in by_lang["zh"].items():
        en_parser = by_lang["en"][name]
        assert zh_parser.description and en_parser.description, name
        assert zh_parser.description != en_parser.description, name
        for zh_action, en_action in zip(described_actions(zh_parser), described_actions(en_parser), strict=True):
            where = f"portal {name} {zh_action.option_strings or zh_action.dest}"
            zh, en = help_text(zh_parser, zh_action), help_text(en_parser, en_action)
            assert zh.strip() and en.strip(), where
            assert zh != en, where
            assert CJK.search(zh), where
            assert not CJK.search(en), where


def test_zh_help_has_no_untranslated_english():
    for name, parser in parsers("zh").items():
        texts = [parser.description, parser.epilog or ""]
        texts += [help_text(parser, a) for a in described_actions(parser)]
        for text in texts:
            assert not ENGLISH_PHRASE.search(text), (name, ENGLISH_PHRASE.search(text).group(), text)
        whole = parser.format_help()
        assert not [w for w in ARGPARSE_WORDS if w in whole], (name, whole)


def test_help_messages_have_the_same_placeholders_in_both_languages():
    help_keys = [key for key in messages() if key.startswith("cli.help_")]
    assert help_keys
    for key in help_keys:
        zh, en = (messages()[key][lang] for lang in LANGS)
        assert re.findall(r"%\((\w+)\)s", zh) == re.findall(r"%\((\w+)\)s", en), key
        assert sorted(re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en)), key


@pytest.mark.parametrize("lang", LANGS)
def test_help_exits_0_for_the_root_and_every_command(lang, capsys):
    for name in parsers(lang):
        argv = ["--lang", lang, *([name] if name else []), "--help"]
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 0, argv
        out = capsys.readouterr().out
        assert ("用法：" if lang == "zh" else "usage:") in out, argv


def test_help_language_comes_from_lang_anywhere_in_argv_else_the_default():
    assert cli.help_lang(["board-pack", "--lang", "en", "--help"], "zh") == "en"
    assert cli.help_lang(["--lang=zh", "load", "--help"], "en") == "zh"
    assert cli.help_lang(["--help"], "en") == "en"
    assert cli.help_lang(["--lang", "fr", "--help"], "zh") == "zh"  # argparse then names the bad choice
    assert cli.help_lang(["--lang"], "en") == "en"


def test_the_installed_command_prints_help_in_the_language_of_portal_lang():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    for lang, word in (("zh", "用法："), ("en", "usage:")):
        run = subprocess.run(
            [sys.executable, "-m", "portal.cli", "publish", "--help"],
            env={**env, "PORTAL_LANG": lang},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert word in run.stdout
        assert "PORTAL_K" in run.stdout  # the K option says where its default comes from


def test_a_usage_error_is_named_in_the_help_language(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--lang", "zh", "publish", "--k", "many"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "用法：" in err and "命令有误" in err and "portal publish --help" in err
