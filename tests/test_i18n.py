"""Every message (the pages', the command line's and the loaders', one catalogue), figure,
vocabulary code and navigation label has zh and en text, each pair written once; "all" reads
the same wherever it is labelled; every figure appears in the glossary; no module imports
streamlit but those of the package portal.ui."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal.figures import FIGURES
from portal.i18n import CATALOGUES, LANGS, all_label, messages, t
from portal.vocab import vocabularies

ROOT = Path(__file__).resolve().parent.parent
NAV = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "about")


# messages whose languages take different placeholders, on purpose
OWN_PLACEHOLDERS = {
    "period.month",  # 12月 vs Dec: the month's number in Chinese, its English name in English
    "loader.children_register_first",  # the English names the kind of file; the Chinese says 本文件
}
# pairs written under two keys that mean two things (none today): key -> why it is not the other
TWO_MEANINGS: dict[str, str] = {}


def test_the_catalogue_is_every_file():
    keys = set(messages())
    for prefix, path in CATALOGUES.items():
        assert path.exists(), path
        assert any(k.startswith(prefix) for k in keys) if prefix else keys, prefix
    assert {"nav.about", "cli.init_done", "cli.help_usage", "loader.bad_date"} <= keys


def test_every_message_has_both_languages_with_the_same_placeholders():
    """{name} placeholders (str.format, filled by t) and %(name)s ones (argparse's, in the
    command line's help) alike."""
    for key, pair in messages().items():
        assert pair["zh"].strip() and pair["en"].strip(), key
        assert re.findall(r"%\((\w+)\)s", pair["zh"]) == re.findall(r"%\((\w+)\)s", pair["en"]), key
        if key not in OWN_PLACEHOLDERS:
            assert set(re.findall(r"{(\w+)}", pair["zh"])) == set(re.findall(r"{(\w+)}", pair["en"])), key


def test_each_pair_is_written_once():
    """The same zh/en text under two keys is one text: callers point at one key."""
    keys_of: dict[tuple[str, str], list[str]] = {}
    for key, pair in messages().items():
        keys_of.setdefault((pair["zh"], pair["en"]), []).append(key)
    twice = [keys for keys in keys_of.values() if len([k for k in keys if k not in TWO_MEANINGS]) > 1]
    assert not twice, twice


def test_every_key_used_in_code_exists():
    used = set()
    code = [ROOT / "streamlit_app.py", *ROOT.glob("pages/*.py"), *(ROOT / "portal").rglob("*.py")]
    for path in [*code, *(ROOT / "loaders").rglob("*.py"), *(ROOT / "tools").rglob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*f?["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text(encoding="utf-8")))
    missing = used - set(messages())
    assert used and not missing, missing
    # the reasons rows are rejected for are messages too (loader.REASON)
    reasons = set()
    for path in (ROOT / "loaders").rglob("*.py"):
        reasons |= set(re.findall(r"""RowReject\(\s*[^,()]+,\s*["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert reasons and not {f"loader.{r}" for r in reasons} - set(messages())


@pytest.mark.parametrize("lang", LANGS)
def test_all_reads_the_same_everywhere(lang):
    """All programmes, all counties, all time: one label each, whichever function names them."""
    from portal import charts, formatting
    from portal.board import Board
    from portal.lookup import Index
    from portal.vocab import label

    programmes = all_label("programme", lang)
    assert charts.label("programme", "all", lang) == label("programme", "all", lang, {}) == programmes
    assert Index.label(type("I", (), {"names": {}})(), "programme", "all", lang) == programmes
    assert Board.programme_name(type("B", (), {"programme": "all", "names": {}})(), lang) == programmes
    assert label("region", "all", lang) == all_label("region", lang) != programmes
    assert formatting.period("all", lang) == formatting.period_type("all", lang) == all_label("period", lang)
    assert len({all_label(d, lang) for d in ("programme", "region", "period")}) == 3


def test_navigation_labels():
    for key in NAV:
        assert (ROOT / "pages" / f"{key}.py").exists()
        for lang in LANGS:
            assert t(f"nav.{key}", lang)
    assert t("nav.overview", "zh") != t("nav.overview", "en")


def test_figures_and_vocabularies_are_bilingual():
    for figure in FIGURES:
        assert figure.name_zh and figure.name_en and figure.definition_zh and figure.definition_en
        assert t(f"unit.{figure.unit}", "zh") and t(f"unit.{figure.unit}", "en")
    for vocab in vocabularies().values():
        for term in vocab.terms:
            assert term.zh and term.en, (vocab.key, term.code)


def test_no_ui_text_is_a_literal_in_pages():
    """Pages get their words from t(), figures and vocabularies: no Chinese literal in a page
    (its docstring aside)."""
    for path in [ROOT / "streamlit_app.py", *ROOT.glob("pages/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree, clean=False)
        literals = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != docstring
        ]
        assert not [v for v in literals if re.search(r"[\u4e00-\u9fff]", v)], path.name


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_in_the_glossary(tmp_path, monkeypatch, lang):
    from streamlit.testing.v1 import AppTest

    from portal.settings import get_settings
    from tests.page_fixtures import build

    store = build(tmp_path / "p.db", seed=5)
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", store.url)
    get_settings.cache_clear()
    from tests.test_pages import _entry

    at = AppTest.from_function(_entry, args=(str(ROOT / "streamlit_app.py"), "about"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    glossary = at.dataframe[0].value
    names = set(glossary.iloc[:, 0])
    for figure in FIGURES:
        assert figure.name(lang) in names
        assert figure.definition(lang) in set(glossary.iloc[:, 1])
    get_settings.cache_clear()


def _core_modules() -> list[str]:
    """Every module of portal and loaders but the package portal.ui (the Streamlit side), found
    by walking the packages' folders (nothing is imported to list them)."""

    def walk(path: Path, prefix: str):
        for info in pkgutil.iter_modules([str(path)], prefix):
            if info.name == "portal.ui":
                continue
            yield info.name
            if info.ispkg:
                yield from walk(path / info.name.rsplit(".", 1)[-1], f"{info.name}.")

    return ["portal", "loaders", *walk(ROOT / "portal", "portal."), *walk(ROOT / "loaders", "loaders.")]


def test_core_modules_do_not_import_streamlit():
    modules = _core_modules()
    assert {"portal.queries", "portal.publish", "portal.receipts", "loaders.donations"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'streamlit' in sys.modules:\n"
        "        print(name)\n"
        "        break"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"{out.stdout.strip()} imports streamlit"
