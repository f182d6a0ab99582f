"""查数据 / Find a figure: searches in Chinese and English find the cells they name, every
result's citation and permalink reopen exactly that cell of that release, and withheld cells
read "少于K人 / fewer than K" with their reason, never 0. Expectations come from the store."""

from __future__ import annotations

import random

import pytest

from portal import formatting, lookup, periods, queries
from portal.figures import BY_KEY
from portal.i18n import LANGS, t
from portal.vocab import DIMENSIONS
from tests.page_fixtures import build


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lookup") / "portal.db", seed=31)


@pytest.fixture(scope="module")
def index(store):
    engine = store.engine
    release = queries.current_release(engine=engine)
    return lookup.Index(
        queries.cells(engine=engine, release_id=release.id),
        queries.labels(engine=engine, release_id=release.id),
        release,
    )


def _sample_rows(index, n=60, seed=5):
    rng = random.Random(seed)
    rows = index.cells.to_dict("records")
    return [rows[i] for i in rng.sample(range(len(rows)), n)]


@pytest.mark.parametrize("lang", LANGS)
def test_permalink_and_citation_reopen_the_cell(index, lang):
    for row in _sample_rows(index):
        key = lookup.CellKey.of(row)
        shown = index.describe(key, lang, base="https://figures.example.org")
        assert shown["url"] in shown["citation"]
        reopened, release_id, link_lang = lookup.parse_permalink(shown["citation"].split()[-1])
        assert (reopened, release_id, link_lang) == (key, index.release.id, lang)
        again = index.get(reopened)
        assert again["status"] == row["status"]
        assert (again["value"] == row["value"]) or (row["status"] != "published")
        expected = formatting.cell(
            row["figure"], row["value"], row["status"], lang, index.release.k, reason=row["reason"]
        )
        assert shown["value"] == expected and expected in shown["citation"]
        for part in (BY_KEY[row["figure"]].name(lang), formatting.period(row["period"], lang), index.release.id):
            assert part in shown["citation"]
        assert formatting.date(index.release.as_of, lang) in shown["citation"]


@pytest.mark.parametrize("lang", LANGS)
def test_withheld_cells_say_so_with_their_reason(index, lang):
    withheld = [r for r in index.cells.to_dict("records") if r["status"] != "published"][:30]
    assert withheld
    k = index.release.k
    for row in withheld:
        shown = index.describe(lookup.CellKey.of(row), lang)
        # "fewer than K" only for a small count of people; other withheld cells (its money, or
        # a cell withheld for another reason) can stand for many
        small = row["reason"] == "primary" and formatting.counts_people(row["figure"])
        assert shown["value"] == (t("cell.withheld", lang, k=k) if small else t("cell.status_withheld", lang))
        assert shown["withheld"] == formatting.reason(row["reason"], lang, k)
        assert shown["withheld"]


@pytest.mark.parametrize("lang", LANGS)
def test_searching_a_cells_own_words_finds_it(index, lang):
    """Type what a result shows (figure, programme, breakdown, period) and that cell is among
    the first results."""
    missed = []
    for row in _sample_rows(index, n=80, seed=9):
        key = lookup.CellKey.of(row)
        words = " ".join(
            [BY_KEY[key.figure].name(lang), index.scope(key, lang), formatting.period(key.period, lang)]
        ).replace("·", " ")
        hits = index.search(words, limit=10)
        if key not in [h.key for h in hits[:3]]:
            missed.append((words, [h.key for h in hits[:3]]))
    assert not missed, missed[:3]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2023年第四季度", "2023-Q4"),
        ("2023 四季度", "2023-Q4"),
        ("Q4 2023", "2023-Q4"),
        ("2023-Q4", "2023-Q4"),
        ("2023年第4季度", "2023-Q4"),
        ("2023年12月", "2023-12"),
        ("Dec 2023", "2023-12"),
        ("december 2023", "2023-12"),
        ("2022年", "2022"),
    ],
)
def test_period_words(index, text, period):
    hits = index.search(f"{BY_KEY['funds_raised'].name_zh} {text}")
    assert hits and hits[0].key.period == period
    assert all(periods.parse(h.key.period) and h.key.period.startswith(period[:4]) for h in hits)


def test_unknown_words_find_nothing(index):
    assert index.search("zzzz qqqq") == []
    assert index.search("") == []


def test_cell_keys_from_bad_params_are_refused():
    good = {"figure": "funds_raised", "programme": "all", "period": "2023"}
    assert lookup.CellKey.from_params(good) == lookup.CellKey("funds_raised", "all", "2023")
    for bad in ({**good, "figure": "nope"}, {**good, "period": "2023-13"}, {**good, "period": "2020-01-01/2023"}, {}):
        assert lookup.CellKey.from_params(bad) is None
    key = lookup.CellKey.from_params({**good, "region": "990101", "stage": "primary", "junk": "x"})
    assert key.dims == (("region", "990101"), ("stage", "primary"))
    assert [d for d, _ in key.dims] == [d for d in DIMENSIONS if d in ("region", "stage")]


# ---------------------------------------------------------------- the issue's own examples, on the real sample


@pytest.fixture(scope="module")
def sample_index(sample_store):
    engine = sample_store.published
    release = queries.current_release(engine=engine)
    labels = queries.labels(engine=engine, release_id=release.id)
    return lookup.Index(queries.cells(engine=engine, release_id=release.id), labels, release), labels


def test_university_2023_disbursed(sample_index):
    index, _ = sample_index
    for text in ("大学 2023 发放", "大学2023年发放"):
        hits = index.search(text)
        assert hits
        top = hits[0].key
        assert top.figure == "funds_disbursed" and top.period == "2023"
        assert dict(top.dims).get("stage", "").startswith("university_")


def test_volunteer_hours_linyi(sample_index):
    index, labels = sample_index
    city = labels[(labels["dimension"] == "region") & (labels["name_en"] == "Linyi")]
    assert len(city) == 1
    city_code = city["code"].iloc[0]
    counties = set(labels[labels["parent_code"] == city_code]["code"])
    for text in ("volunteer hours Linyi", f"{city['name_zh'].iloc[0]} 志愿服务时长"):
        hits = index.search(text, limit=10)
        assert hits
        for hit in hits:
            assert hit.key.figure == "volunteer_hours"
            region = dict(hit.key.dims).get("region")
            regions_of_programme = set(index.cells[index.cells["programme"] == hit.key.programme]["region"].dropna())
            assert region in counties or (region is None and regions_of_programme <= counties)


def test_the_public_address_comes_from_settings(tmp_path):
    from portal.settings import Settings

    address = "https://figures.example.org/"
    assert lookup.base_url(Settings(data_dir=tmp_path, public_url=address)) == address.rstrip("/")
    assert lookup.base_url(Settings(data_dir=tmp_path)) == lookup.DEFAULT_BASE_URL
