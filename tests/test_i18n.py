"""Every message, figure, vocabulary code and navigation label has zh and en text; every
figure appears in the glossary; no module imports streamlit but those of the package portal.ui."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal.figures import FIGURES
from portal.i18n import LANGS, messages, t
from portal.vocab import vocabularies

ROOT = Path(__file__).resolve().parent.parent
NAV = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "about")


def test_every_message_has_both_languages_with_the_same_placeholders():
    for key, pair in messages().items():
        assert pair["zh"].strip() and pair["en"].strip(), key
        if key != "period.month":  # 12月 vs Dec: the one message that takes a language's own form
            assert set(re.findall(r"{(\w+)}", pair["zh"])) == set(re.findall(r"{(\w+)}", pair["en"])), key


def test_every_key_used_in_code_exists():
    used = set()
    for path in [ROOT / "streamlit_app.py", *ROOT.glob("pages/*.py"), *(ROOT / "portal").rglob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*f?["']([a-z_]+\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    missing = used - set(messages())
    assert used and not missing, missing


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
