"""docs/ stays true to the code: the generated parts match what tools/docs.py writes now, the
README names every command, and no link points outside the repository or nowhere."""

from __future__ import annotations

import argparse
import re

from loaders import SPECS
from portal import cli
from portal.figures import FIGURES
from portal.vocab import vocabularies
from tests.conftest import ROOT
from tools import docs

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_generated_docs_are_up_to_date():
    stale = [str(p.relative_to(ROOT)) for p in docs.stale()]
    assert not stale, f"out of date: {stale}; run `make docs` (python -m tools.docs)"


def test_every_generated_block_has_a_generator_and_is_used():
    used = set()
    for path in (ROOT / "docs").glob("*.md"):
        used |= {m.group(2) for m in docs.BLOCK.finditer(path.read_text(encoding="utf-8"))}
    assert used == set(docs.blocks()), set(docs.blocks()) ^ used


def test_figures_doc_names_every_figure_with_both_definitions():
    text = (ROOT / "docs" / "figures.md").read_text(encoding="utf-8")
    for f in FIGURES:
        assert f"`{f.key}`" in text and f.definition_zh in text and f.definition_en in text, f.key


def test_raw_formats_doc_lists_every_header_spelling_and_vocabulary_code():
    text = (ROOT / "docs" / "raw-formats.md").read_text(encoding="utf-8")
    for kind, spec in SPECS.items():
        assert f"<!-- generated: columns:{kind} -->" in text, kind
        for col in spec.columns:
            for spelling in col.spellings:
                assert spelling.replace("|", "\\|") in text, (kind, spelling)
    for key, vocab in vocabularies().items():
        for term in vocab.terms:
            assert f"`{term.code}`" in text and all(a in text for a in term.aliases), (key, term.code)


def test_readme_names_every_command():
    root = cli.build_parser("en", "en")
    (sub,) = (a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The `portal` command") :]
    missing = [name for name in sub.choices if f"| `portal {name}" not in table]
    assert not missing, missing


def test_links_stay_inside_the_repository_and_resolve():
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for path in files:
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # a web address
                continue
            resolved = (path.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), (path.name, target)
            assert resolved.exists(), (path.name, target)


def test_nothing_points_at_the_shared_specs_outside_the_repository():
    hits = []
    for pattern in ("*.py", "*.md", "*.toml"):
        for path in ROOT.rglob(pattern):
            if {".venv", "node_modules", "artifacts"} & set(path.relative_to(ROOT).parts):
                continue
            if "shared/spec" in path.read_text(encoding="utf-8", errors="replace"):
                hits.append(str(path.relative_to(ROOT)))
    hits = [h for h in hits if h != "tests/test_docs.py"]
    assert not hits, hits
