"""``portal sample``: synthetic raw files for five programmes, run through the real loaders and
publish.

The programmes are modelled on ../shared/context/programmes.md. At ``--scale 1`` the NT-CARE
programme reproduces the Nantong report (targets in ``reference/sample_calibration.toml``);
``--scale N`` writes N independent copies of every programme's people and rows (distinct ID
numbers, receipts, payments), so every count and sum is N times as large with the same shape.
Everything is drawn from one seeded generator: the same seed gives the same files.

Names, ID numbers and phones here are synthetic but well-formed (ID checksums valid), so the
loaders' validation and pseudonymisation run exactly as on real files."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from loaders import KINDS
from portal.vocab import REFERENCE_DIR, vocabulary

DEFAULT_SEED = 20231231
CALIBRATION = tomllib.loads((REFERENCE_DIR / "sample_calibration.toml").read_text(encoding="utf-8"))
AS_OF: dt.date = CALIBRATION["nt_care"]["as_of"]  # every programme's data runs to the report's date
LOAD_ORDER = KINDS  # reference files first, then the data that names them

# ---------------------------------------------------------------------------------------------
# Reference data of the sample deployment
# ---------------------------------------------------------------------------------------------

REGIONS: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    # city code: (name_zh, name_en, counties [(code, zh, en)])
    "320600": (
        "南通市",
        "Nantong",
        [
            ("320602", "崇川区", "Chongchuan"),
            ("320612", "通州区", "Tongzhou"),
            ("320614", "海门区", "Haimen"),
            ("320623", "如东县", "Rudong"),
            ("320681", "启东市", "Qidong"),
            ("320682", "如皋市", "Rugao"),
            ("320685", "海安市", "Hai'an"),
        ],
    ),
    "371300": (
        "临沂市",
        "Linyi",
        [
            ("371302", "兰山区", "Lanshan"),
            ("371311", "罗庄区", "Luozhuang"),
            ("371312", "河东区", "Hedong"),
            ("371321", "沂南县", "Yinan"),
            ("371322", "郯城县", "Tancheng"),
            ("371323", "沂水县", "Yishui"),
            ("371324", "兰陵县", "Lanling"),
            ("371325", "费县", "Feixian"),
            ("371326", "平邑县", "Pingyi"),
            ("371327", "莒南县", "Junan"),
            ("371328", "蒙阴县", "Mengyin"),
            ("371329", "临沭县", "Linshu"),
        ],
    ),
    "650100": (
        "乌鲁木齐市",
        "Urumqi",
        [
            ("650102", "天山区", "Tianshan"),
            ("650103", "沙依巴克区", "Saybag"),
            ("650104", "新市区", "Xinshi"),
            ("650105", "水磨沟区", "Shuimogou"),
            ("650106", "头屯河区", "Toutunhe"),
            ("650109", "米东区", "Midong"),
        ],
    ),
    "320400": (
        "常州市",
        "Changzhou",
        [
            ("320402", "天宁区", "Tianning"),
            ("320404", "钟楼区", "Zhonglou"),
            ("320411", "新北区", "Xinbei"),
            ("320412", "武进区", "Wujin"),
            ("320413", "金坛区", "Jintan"),
            ("320481", "溧阳市", "Liyang"),
        ],
    ),
    "150500": (
        "通辽市",
        "Tongliao",
        [
            ("150502", "科尔沁区", "Horqin"),
            ("150521", "科尔沁左翼中旗", "Horqin Left Middle Banner"),
            ("150522", "科尔沁左翼后旗", "Horqin Left Rear Banner"),
            ("150523", "开鲁县", "Kailu"),
            ("150524", "库伦旗", "Hure Banner"),
            ("150525", "奈曼旗", "Naiman Banner"),
            ("150526", "扎鲁特旗", "Jarud Banner"),
            ("150581", "霍林郭勒市", "Holingol"),
        ],
    ),
}


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    name_zh: str
    name_en: str
    started_on: dt.date
    city: str
    description_zh: str
    description_en: str


PROGRAMMES = (
    ProgrammeSpec(
        "NT-CARE",
        "大手牵小手 一起向未来（示例）",
        "Big Hand Holds Small Hand care fund (sample)",
        dt.date(2022, 3, 1),
        "320600",
        "市慈善总会联合8部门发起的特殊困难未成年人关爱项目：按学段发放关爱金，爱心妈妈一对一结对。",
        "A city charity federation's care fund: a yearly allowance by education stage, and one-to-one "
        "pairing with caring volunteers.",
    ),
    ProgrammeSpec(
        "LY-MENTOR",
        "手牵手孤困儿童关爱志愿服务（示例）",
        "Hand in Hand orphan mentoring corps (sample)",
        dt.date(2021, 1, 1),
        "371300",
        "县乡两级志愿服务分队对孤儿和困境儿童一对一帮扶，不经手资金。",
        "County and town volunteer corps mentoring orphans one-to-one; the corps handles no money.",
    ),
    ProgrammeSpec(
        "XJ-HEALTH",
        "石榴籽儿童健康志愿服务（示例）",
        "Pomegranate Seeds child health volunteers (sample)",
        dt.date(2021, 1, 1),
        "650100",
        "医院志愿者结对困境患儿，开展义诊与病房关爱，医院专项资金资助医疗费用。",
        "Hospital volunteers pair with children in hardship, run free clinics and ward activities; "
        "a hospital fund pays medical costs.",
    ),
    ProgrammeSpec(
        "CZ-HOSPITAL",
        "儿童医院志愿服务（示例）",
        "Children's hospital volunteer plan (sample)",
        dt.date(2021, 1, 1),
        "320400",
        "导医陪诊、家长课堂、义诊与志愿者夏令营，按志愿服务时长记录。",
        "Clinic guidance, parent classes, free check-ups and summer camps, recorded in volunteer hours.",
    ),
    ProgrammeSpec(
        "TL-CLOUD",
        "小云书记大学生志愿服务（示例）",
        "Little Cloud Secretary student volunteers (sample)",
        dt.date(2021, 1, 1),
        "150500",
        "大学生志愿者协助驻村第一书记，每周通过应用报告工作。",
        "Student volunteers assist village first secretaries, reporting weekly through an app.",
    ),
)

# ---------------------------------------------------------------------------------------------
# Synthetic people
# ---------------------------------------------------------------------------------------------

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("子涵欣怡梓轩浩然雨萱一诺宇轩思彤梓涵俊杰佳怡晨曦明远嘉怡若汐博文诗琪雅静志强建国秀英桂兰丽娟海燕玉梅")
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))


def id_check_digit(first17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    return str(ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11])


class People:
    """Draws unique, well-formed synthetic names, ID numbers and phones."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def names(self, n: int) -> np.ndarray:
        surname = self.rng.choice(SURNAMES, n)
        first = self.rng.choice(GIVEN, n)
        second = np.where(self.rng.random(n) < 0.7, self.rng.choice(GIVEN, n), "")
        return np.char.add(np.char.add(surname, first), second)

    def id_numbers(self, counties: np.ndarray, births: list[dt.date]) -> list[str]:
        out = []
        for county, birth in zip(counties, births, strict=True):
            while True:
                seq = int(self.rng.integers(0, 1000))
                first17 = f"{county}{birth:%Y%m%d}{seq:03d}"
                number = first17 + id_check_digit(first17)
                if number not in self.ids:
                    self.ids.add(number)
                    out.append(number)
                    break
        return out

    def phones_(self, n: int) -> list[str]:
        out = []
        prefixes = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "187", "188"]
        while len(out) < n:
            number = self.rng.choice(prefixes) + f"{int(self.rng.integers(0, 10**8)):08d}"
            if number not in self.phones:
                self.phones.add(number)
                out.append(number)
        return out


def _dates(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    span = (end - start).days
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)]


def _label(vocab: str, code: str) -> str:
    """Staff write labels in Chinese; the loaders map them back to codes."""
    return vocabulary(vocab).term(code).zh


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=float)
    return rng.choice(codes, n, p=p / p.sum())


# ---------------------------------------------------------------------------------------------
# The raw tables
# ---------------------------------------------------------------------------------------------


@dataclass
class Raw:
    """Raw rows per kind, canonical column names, values as staff would type them."""

    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def add(self, kind: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(kind, []).append(frame)

    def frame(self, kind: str) -> pd.DataFrame:
        return pd.concat(self.tables.get(kind, []), ignore_index=True)


AGE_BY_STAGE = {
    "kindergarten": (3, 5),
    "primary": (6, 11),
    "junior_secondary": (12, 14),
    "senior_secondary": (15, 17),
    "vocational": (15, 17),
    "university_1": (18, 18),
    "university_2": (19, 19),
    "university_3": (20, 20),
    "university_4": (21, 21),
}
CATEGORY_WEIGHTS = {
    "orphan": 0.12,
    "de_facto_orphan": 0.30,
    "disability": 0.14,
    "prisoner_child": 0.08,
    "serious_illness": 0.16,
    "low_income": 0.17,
    "other": 0.03,
}


def _births(rng: np.random.Generator, stages: np.ndarray, at: dt.date) -> list[dt.date]:
    out = []
    for stage in stages:
        low, high = AGE_BY_STAGE[stage]
        age = int(rng.integers(low, high + 1))
        out.append(dt.date(at.year - age, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365))))
    return out


def _children_frame(people: People, rng, programme: str, counties, stages, enrolled, exited, paired, categories):
    n = len(counties)
    births = _births(rng, stages, dt.date(2023, 9, 1))
    ids = people.id_numbers(counties, births)
    county_names = {c: zh for _, (_, _, cs) in REGIONS.items() for c, zh, _ in cs}
    frame = pd.DataFrame(
        {
            "id_no": ids,
            "name": people.names(n),
            # half the rows leave gender to the ID number, as many registers do
            "gender": [("男" if int(i[16]) % 2 else "女") if rng.random() < 0.5 else "" for i in ids],
            "county": [county_names[c] if rng.random() < 0.8 else c for c in counties],
            "town": [county_names[c][:-1] + "镇" for c in counties],
            "category": [_label("category", c) for c in categories],
            "enrolled_on": [d.isoformat() for d in enrolled],
            "exited_on": [d.isoformat() if d else "" for d in exited],
            "paired": ["是" if p else "否" for p in paired],
            "guardian_name": people.names(n),
            "guardian_phone": people.phones_(n),
            "address": [county_names[c] + f"幸福路{int(rng.integers(1, 300))}号" for c in counties],
            "school": [county_names[c][:-1] + "实验学校" for c in counties],
            "bank_account": [f"6222{int(rng.integers(0, 10**15)):015d}" for _ in range(n)],
            "programme": programme,
        }
    )
    return frame, births


# --- NT-CARE: the calibrated programme --------------------------------------------------------

NT_COHORTS = (
    # (children, enrolled from, enrolled to, exited on, payment rounds)
    (350, dt.date(2022, 3, 1), dt.date(2022, 3, 31), None, (0, 1, 2, 3)),
    (30, dt.date(2022, 3, 1), dt.date(2022, 3, 31), dt.date(2023, 1, 31), (0, 1)),
    (220, dt.date(2022, 8, 20), dt.date(2022, 9, 30), None, (1, 2, 3)),
    (245, dt.date(2023, 2, 20), dt.date(2023, 3, 31), None, (2, 3)),
    (133, dt.date(2023, 8, 20), dt.date(2023, 9, 30), None, (3,)),
)
NT_ROUNDS = (  # semester payments: window, school year
    (dt.date(2022, 4, 10), dt.date(2022, 4, 30), "2021-2022"),
    (dt.date(2022, 10, 10), dt.date(2022, 10, 31), "2022-2023"),
    (dt.date(2023, 4, 10), dt.date(2023, 4, 30), "2022-2023"),
    (dt.date(2023, 10, 10), dt.date(2023, 10, 31), "2023-2024"),
)
NT_STAGE_WEIGHTS = {
    "kindergarten": 0.06,
    "primary": 0.38,
    "junior_secondary": 0.27,
    "senior_secondary": 0.19,
    "university_1": 0.03,
    "university_2": 0.03,
    "university_3": 0.02,
    "university_4": 0.02,
}
NT_COUNTY_WEIGHTS = {
    "320602": 0.10,
    "320612": 0.15,
    "320614": 0.14,
    "320623": 0.16,
    "320681": 0.13,
    "320682": 0.18,
    "320685": 0.14,
}


def solve_stages(
    rng: np.random.Generator, payments: np.ndarray, half_fen: dict[str, int], target_fen: int
) -> np.ndarray:
    """Stages for each child so that Σ payments × half-yearly standard equals the target exactly.

    A random draw by the stage mix, then a greedy walk that moves one child's stage at a time
    towards the target, then an exact finish with a pair of single-payment children."""
    stages = list(half_fen)
    values = np.array([half_fen[s] for s in stages], dtype=np.int64)
    choice = _pick(rng, NT_STAGE_WEIGHTS, len(payments))
    index = np.array([stages.index(s) for s in choice])
    diff = target_fen - int((payments * values[index]).sum())
    stuck = 0
    while diff and stuck < 5_000:
        i = int(rng.integers(0, len(payments)))
        deltas = payments[i] * (values - values[index[i]])
        best = int(np.argmin(np.abs(diff - deltas)))
        if abs(diff - deltas[best]) < abs(diff):
            diff -= int(deltas[best])
            index[i] = best
            stuck = 0
        else:
            stuck += 1
    singles = np.flatnonzero(payments == 1)
    for _ in range(1_000):
        if diff == 0 or _finish_with_pair(diff, singles, values, index):
            return np.array([stages[i] for i in index])
        # nudge one single-payment child and try the exact finish again
        i = int(rng.choice(singles))
        s = int(rng.integers(0, len(values)))
        diff -= int(values[s] - values[index[i]])
        index[i] = s
    raise RuntimeError("sample calibration could not be met; change the seed")


def _finish_with_pair(diff: int, singles: np.ndarray, values: np.ndarray, index: np.ndarray) -> bool:
    """Move two single-payment children's stages so the remaining gap closes exactly."""
    options: dict[int, tuple[int, int]] = {}
    for i in singles:
        for s, v in enumerate(values):
            options.setdefault(int(v - values[index[i]]), (int(i), s))
    for j in singles:
        for t, v in enumerate(values):
            hit = options.get(diff - int(v - values[index[j]]))
            if hit and hit[0] != j:
                index[hit[0]], index[j] = hit[1], t
                return True
    return False


def _nt_care(raw: Raw, people: People, rng: np.random.Generator, unit: int) -> None:
    cal = CALIBRATION["nt_care"]
    code = cal["programme"]
    half_fen = {stage: yuan * 100 // 2 for stage, yuan in cal["yearly_standard"].items()}
    # -- children and their payments
    sizes = [c[0] for c in NT_COHORTS]
    n = sum(sizes)
    counties = _pick(rng, NT_COUNTY_WEIGHTS, n)
    categories = _pick(rng, CATEGORY_WEIGHTS, n)
    enrolled, exited, rounds = [], [], []
    for size, start, end, exit_on, cohort_rounds in NT_COHORTS:
        enrolled += _dates(rng, start, end, size)
        exited += [exit_on] * size
        rounds += [cohort_rounds] * size
    payments = np.array([len(r) for r in rounds])
    assert payments.sum() == cal["disbursements"], "cohorts must give the report's child-times"
    stages = solve_stages(rng, payments, half_fen, cal["funds_disbursed_fen"])
    in_care = np.array([e is None for e in exited])
    assert in_care.sum() == cal["children_in_care"]
    paired = np.zeros(n, dtype=bool)
    paired[rng.choice(np.flatnonzero(in_care), cal["children_paired"], replace=False)] = True
    children, _ = _children_frame(people, rng, code, counties, stages, enrolled, exited, paired, categories)
    raw.add("children", children)
    rows = []
    seq = 0
    for i in range(n):
        for r in rounds[i]:
            start, end, school_year = NT_ROUNDS[r]
            seq += 1
            rows.append(
                (
                    f"NT{unit:04d}-P{seq:05d}",
                    _dates(rng, start, end, 1)[0].isoformat(),
                    children["id_no"][i],
                    children["name"][i],
                    _label("stage", stages[i]),
                    school_year,
                    f"{half_fen[stages[i]] / 100:.2f}",
                    "助学",
                    "",
                    code,
                )
            )
    raw.add(
        "disbursements",
        pd.DataFrame(
            rows,
            columns=[
                "payment_no",
                "paid_on",
                "id_no",
                "name",
                "stage",
                "school_year",
                "amount",
                "purpose",
                "county",
                "programme",
            ],
        ),
    )
    # -- donations: the online first batch, calibrated; payroll giving, bank and cash on top
    raw.add("donations", _nt_donations(people, rng, unit, code, cal["online_funds_raised_fen"]))
    # -- volunteers: every one of them active; paired ones visit their child
    _nt_volunteers(raw, people, rng, unit, code, children, counties, paired, cal["volunteers_active"])


def _amounts_fen(rng: np.random.Generator, donor_types: np.ndarray) -> np.ndarray:
    n = len(donor_types)
    individual = np.round(np.exp(rng.normal(4.6, 1.1, n)))  # median about 100 yuan
    cents = np.where(rng.random(n) < 0.15, rng.integers(0, 100, n), 0)
    individual = np.clip(individual, 1, 50_000) * 100 + cents
    big = {"company": (10_000, 300_000), "public_body": (5_000, 100_000), "social_org": (2_000, 50_000)}
    out = individual.astype(np.int64)
    for kind, (low, high) in big.items():
        mask = donor_types == kind
        out[mask] = rng.integers(low, high, mask.sum()) * 100
    return out


def _nt_donations(people: People, rng: np.random.Generator, unit: int, code: str, online_target: int):
    n_online = 30_000
    donor_types = _pick(rng, {"individual": 0.96, "company": 0.025, "public_body": 0.01, "social_org": 0.005}, n_online)
    amounts = _amounts_fen(rng, donor_types)
    # launch, 99 Giving Day 2022, China Charity Day 2023, and a steady trickle
    windows = [
        (dt.date(2022, 3, 15), dt.date(2022, 4, 30), 0.40),
        (dt.date(2022, 9, 7), dt.date(2022, 9, 9), 0.35),
        (dt.date(2023, 9, 5), dt.date(2023, 9, 7), 0.10),
        (dt.date(2022, 3, 15), AS_OF, 0.15),
    ]
    which = rng.choice(len(windows), n_online, p=[w[2] for w in windows])
    dates = [_dates(rng, windows[w][0], windows[w][1], 1)[0] for w in which]
    # a pool of donors, some giving more than once; a third of individuals stay anonymous
    pool = 20_000
    pool_names, pool_phones = people.names(pool), people.phones_(pool)
    donor = rng.integers(0, pool, n_online)
    anonymous = (donor_types == "individual") & (rng.random(n_online) < 0.33)
    names = np.where(anonymous, "爱心人士", pool_names[donor])
    phones = np.where(anonymous, "", np.array(pool_phones)[donor])
    # refunds: a few online gifts returned a week later, from the same donor
    n_refund = 25
    refunded = rng.choice(np.flatnonzero(donor_types == "individual"), n_refund, replace=False)
    refund_amounts = -amounts[refunded]
    # hit the online target exactly by spreading the gap over the organisations' gifts
    gap = online_target - int(amounts.sum()) - int(refund_amounts.sum())
    orgs = np.flatnonzero(donor_types != "individual")
    share = np.floor(amounts[orgs] / amounts[orgs].sum() * gap).astype(np.int64)
    amounts[orgs] += share
    amounts[orgs[np.argmax(amounts[orgs])]] += gap - int(share.sum())
    if (amounts <= 0).any():
        raise RuntimeError("sample calibration gave a non-positive gift; change the seed")
    receipts = [f"NT{unit:04d}-D{i:06d}" for i in range(n_online)]
    online = pd.DataFrame(
        {
            "receipt_no": receipts,
            "donated_on": [d.isoformat() for d in dates],
            "amount": [f"{a / 100:.2f}" for a in amounts],
            "kind": "",
            "channel": _pick(rng, {"腾讯公益": 0.9, "支付宝公益": 0.1}, n_online),
            "donor_type": [_label("donor_type", t) for t in donor_types],
            "donor_name": names,
            "donor_phone": phones,
            "programme": code,
        }
    )
    refunds = pd.DataFrame(
        {
            "receipt_no": [f"NT{unit:04d}-R{i:04d}" for i in range(n_refund)],
            "donated_on": [min(dates[i] + dt.timedelta(days=7), AS_OF).isoformat() for i in refunded],
            "amount": [f"{a / 100:.2f}" for a in refund_amounts],
            "kind": "退款",
            "channel": online["channel"].to_numpy()[refunded],
            "donor_type": "个人",
            "donor_name": names[refunded],
            "donor_phone": phones[refunded],
            "programme": code,
        }
    )
    # payroll giving (慈善一日捐) from units, each September; bank transfers and cash
    extra = []
    for year, when in (
        (2022, (dt.date(2022, 9, 1), dt.date(2022, 9, 30))),
        (2023, (dt.date(2023, 9, 5), dt.date(2023, 9, 20))),
    ):
        m = 400
        kinds = _pick(rng, {"public_body": 0.75, "company": 0.25}, m)
        unit_names = [f"南通市第{int(rng.integers(1, 400))}{'单位' if k == 'public_body' else '公司'}" for k in kinds]
        extra.append(
            pd.DataFrame(
                {
                    "receipt_no": [f"NT{unit:04d}-Y{year}{i:04d}" for i in range(m)],
                    "donated_on": [d.isoformat() for d in _dates(rng, *when, m)],
                    "amount": [f"{a:.2f}" for a in rng.integers(1_000, 20_000, m)],
                    "kind": "",
                    "channel": "慈善一日捐",
                    "donor_type": [_label("donor_type", k) for k in kinds],
                    "donor_name": unit_names,
                    "donor_phone": people.phones_(m),
                    "programme": code,
                }
            )
        )
    m = 60
    kinds = _pick(rng, {"company": 0.6, "social_org": 0.4}, m)
    extra.append(
        pd.DataFrame(
            {
                "receipt_no": [f"NT{unit:04d}-B{i:04d}" for i in range(m)],
                "donated_on": [d.isoformat() for d in _dates(rng, dt.date(2022, 4, 1), AS_OF, m)],
                "amount": [f"{a:.2f}" for a in rng.integers(5_000, 80_000, m)],
                "kind": "",
                "channel": "银行转账",
                "donor_type": [_label("donor_type", k) for k in kinds],
                "donor_name": people.names(m),
                "donor_phone": people.phones_(m),
                "programme": code,
            }
        )
    )
    m = 40
    extra.append(
        pd.DataFrame(
            {
                "receipt_no": [f"NT{unit:04d}-C{i:04d}" for i in range(m)],
                "donated_on": [d.isoformat() for d in _dates(rng, dt.date(2022, 5, 1), AS_OF, m)],
                "amount": [f"{a:.2f}" for a in rng.integers(50, 2_000, m)],
                "kind": "",
                "channel": "现金",
                "donor_type": "个人",
                "donor_name": people.names(m),
                "donor_phone": people.phones_(m),
                "programme": code,
            }
        )
    )
    return pd.concat([online, refunds, *extra], ignore_index=True)


def _volunteer_people(people: People, rng: np.random.Generator, n: int, counties: np.ndarray, phone_only: float):
    adult_births = [
        dt.date(int(y), 1, 1) + dt.timedelta(days=int(d))
        for y, d in zip(rng.integers(1955, 2004, n), rng.integers(0, 365, n), strict=True)
    ]
    ids = people.id_numbers(counties, adult_births)
    use_phone = rng.random(n) < phone_only
    return (
        people.names(n),
        np.where(use_phone, "", np.array(ids)),
        np.array(people.phones_(n)),
        use_phone,
    )


def _service_rows(
    rng: np.random.Generator,
    prefix: str,
    code: str,
    volunteer: np.ndarray,
    v_names,
    v_ids,
    v_phones,
    v_types,
    v_counties,
    activities: np.ndarray,
    dates: list[dt.date],
    child_ids: list[str],
    counties: np.ndarray,
) -> pd.DataFrame:
    n = len(volunteer)
    hours_by_activity = {
        "home_visit": (1.0, 2.5),
        "tutoring": (1.0, 2.0),
        "emotional_support": (0.5, 1.0),
        "camp": (3.0, 8.0),
        "health_check": (2.0, 4.0),
        "hospital_service": (2.0, 4.0),
        "other": (1.0, 3.0),
    }
    hours = np.array([round(rng.uniform(*hours_by_activity[a]) * 2) / 2 for a in activities])
    # a third of check-ins come from the app as check-in and check-out times instead of hours
    timed = rng.random(n) < 0.3
    start_minutes = rng.integers(8 * 60, 15 * 60, n)
    starts = [f"{m // 60:02d}:{m % 60:02d}" if t else "" for m, t in zip(start_minutes, timed, strict=True)]
    ends = [
        f"{(m + int(h * 60)) // 60:02d}:{(m + int(h * 60)) % 60:02d}" if t else ""
        for m, h, t in zip(start_minutes, hours, timed, strict=True)
    ]
    return pd.DataFrame(
        {
            "record_no": [f"{prefix}{i:06d}" for i in range(n)],
            "volunteer_name": v_names[volunteer],
            "volunteer_id_no": v_ids[volunteer],
            "volunteer_phone": v_phones[volunteer],
            "volunteer_type": [_label("volunteer_type", t) for t in v_types[volunteer]],
            "county": counties,
            "served_on": [d.isoformat() for d in dates],
            "hours": [f"{h:g}" if not t else "" for h, t in zip(hours, timed, strict=True)],
            "start_time": starts,
            "end_time": ends,
            "activity": [_label("activity", a) for a in activities],
            "child_id_no": child_ids,
            "programme": code,
        }
    )


def _nt_volunteers(raw, people, rng, unit, code, children, child_counties, paired, n_volunteers):
    types = np.array(
        ["caring_mother"] * 480
        + ["party_member"] * 330
        + ["staff"] * 160
        + ["retired_official"] * 60
        + ["other"] * (n_volunteers - 1030)
    )
    counties = _pick(rng, NT_COUNTY_WEIGHTS, n_volunteers)
    paired_children = np.flatnonzero(paired)
    # volunteer i < number paired is the one-to-one partner of paired_children[i]
    counties[: len(paired_children)] = child_counties[paired_children]
    names, ids, phones, _ = _volunteer_people(people, rng, n_volunteers, counties, phone_only=0.2)
    extra = 5_500
    volunteer = np.concatenate([np.arange(n_volunteers), rng.integers(0, n_volunteers, extra)])
    n = len(volunteer)
    activities = _pick(
        rng, {"home_visit": 0.36, "emotional_support": 0.28, "tutoring": 0.22, "camp": 0.04, "other": 0.10}, n
    )
    enrolled = pd.to_datetime(children["enrolled_on"]).dt.date.to_numpy()
    child_ids, record_counties, dates = [], [], []
    for v, activity in zip(volunteer, activities, strict=True):
        if v < len(paired_children) and activity != "camp":
            c = paired_children[v]
        elif activity in ("home_visit", "tutoring"):
            c = int(rng.choice(paired_children))
        else:
            c = None
        start = max(dt.date(2022, 4, 1), enrolled[c]) if c is not None else dt.date(2022, 4, 1)
        if activity == "camp":
            day = _dates(rng, dt.date(2023, 7, 10), dt.date(2023, 8, 20), 1)[0]
        else:
            day = _dates(rng, start, AS_OF, 1)[0]
        dates.append(day)
        child_ids.append(children["id_no"][c] if c is not None else "")
        record_counties.append(child_counties[c] if c is not None else counties[v])
    dates[-1] = AS_OF  # the data runs to the report's date
    raw.add(
        "volunteer_hours",
        _service_rows(
            rng,
            f"NT{unit:04d}-V",
            code,
            volunteer,
            names,
            ids,
            phones,
            types,
            counties,
            activities,
            dates,
            child_ids,
            np.array(record_counties),
        ),
    )


# --- the other four programmes: same machinery, their own shape ------------------------------


@dataclass(frozen=True)
class VolunteerShape:
    code: str
    volunteers: int
    records: int
    types: dict[str, float]
    activities: dict[str, float]
    first: dt.date
    children: int = 0
    categories: dict[str, float] = field(default_factory=lambda: CATEGORY_WEIGHTS)
    reach: float = 0.0  # share of records naming a child


SHAPES = (
    VolunteerShape(
        "LY-MENTOR",
        700,
        5_000,
        {"retired_official": 0.23, "party_member": 0.40, "staff": 0.22, "caring_mother": 0.10, "other": 0.05},
        {"home_visit": 0.40, "tutoring": 0.25, "emotional_support": 0.25, "camp": 0.10},
        dt.date(2021, 1, 1),
        children=600,
        categories={
            "orphan": 0.35,
            "de_facto_orphan": 0.40,
            "prisoner_child": 0.10,
            "serious_illness": 0.10,
            "other": 0.05,
        },
        reach=0.8,
    ),
    VolunteerShape(
        "XJ-HEALTH",
        400,
        2_500,
        {"medical": 0.7, "student": 0.3},
        {"health_check": 0.35, "hospital_service": 0.35, "emotional_support": 0.30},
        dt.date(2021, 1, 1),
        children=300,
        categories={"serious_illness": 0.5, "disability": 0.3, "low_income": 0.2},
        reach=0.6,
    ),
    VolunteerShape(
        "CZ-HOSPITAL",
        350,
        3_000,
        {"medical": 0.35, "student": 0.35, "staff": 0.2, "other": 0.1},
        {"hospital_service": 0.55, "health_check": 0.2, "camp": 0.1, "other": 0.15},
        dt.date(2021, 1, 1),
    ),
    VolunteerShape("TL-CLOUD", 120, 2_600, {"student": 1.0}, {"other": 0.7, "tutoring": 0.3}, dt.date(2021, 1, 1)),
)


def _shaped_programme(raw: Raw, people: People, rng: np.random.Generator, unit: int, shape: VolunteerShape):
    spec = next(p for p in PROGRAMMES if p.code == shape.code)
    county_codes = [c for c, _, _ in REGIONS[spec.city][2]]
    weights = {c: w for c, w in zip(county_codes, rng.dirichlet(np.full(len(county_codes), 4.0)), strict=True)}
    prefix = f"{shape.code[:2]}{unit:04d}"
    children = None
    if shape.children:
        n = shape.children
        stages = _pick(
            rng, {"primary": 0.45, "junior_secondary": 0.3, "senior_secondary": 0.15, "kindergarten": 0.1}, n
        )
        enrolled = _dates(rng, shape.first, dt.date(2023, 6, 30), n)
        exited = [e + dt.timedelta(days=int(rng.integers(200, 900))) if rng.random() < 0.15 else None for e in enrolled]
        exited = [x if x and x <= AS_OF else None for x in exited]
        counties = _pick(rng, weights, n)
        children, _ = _children_frame(
            people,
            rng,
            shape.code,
            counties,
            stages,
            enrolled,
            exited,
            rng.random(n) < 0.9,
            _pick(rng, shape.categories, n),
        )
        raw.add("children", children)
        if shape.code == "XJ-HEALTH":  # medical aid from the hospital's special fund
            m = 240
            who = rng.integers(0, n, m)
            raw.add(
                "disbursements",
                pd.DataFrame(
                    {
                        "payment_no": [f"{prefix}-P{i:05d}" for i in range(m)],
                        "paid_on": [max(enrolled[w], dt.date(2021, 3, 1)).isoformat() for w in who],
                        "id_no": children["id_no"].to_numpy()[who],
                        "name": children["name"].to_numpy()[who],
                        "stage": [_label("stage", s) for s in stages[who]],
                        "school_year": "",
                        "amount": [f"{a:.2f}" for a in rng.integers(2_000, 20_000, m)],
                        "purpose": "医疗",
                        "county": "",
                        "programme": shape.code,
                    }
                ),
            )
            raw.add(
                "donations",
                pd.DataFrame(
                    {
                        "receipt_no": [f"{prefix}-D{i:03d}" for i in range(12)],
                        "donated_on": [dt.date(2021 + i // 4, 3 * (i % 4) + 1, 15).isoformat() for i in range(12)],
                        "amount": [f"{a:.2f}" for a in rng.integers(200_000, 400_000, 12)],
                        "kind": "",
                        "channel": "银行转账",
                        "donor_type": "机关事业单位",
                        "donor_name": "医院专项基金",
                        "donor_phone": "0991" + f"{int(rng.integers(0, 10**7)):07d}",
                        "programme": shape.code,
                    }
                ),
            )
    n_v = shape.volunteers
    v_counties = _pick(rng, weights, n_v)
    names, ids, phones, _ = _volunteer_people(people, rng, n_v, v_counties, phone_only=0.3)
    types = _pick(rng, shape.types, n_v)
    volunteer = np.concatenate([np.arange(n_v), rng.integers(0, n_v, shape.records - n_v)])
    activities = _pick(rng, shape.activities, len(volunteer))
    dates = _dates(rng, shape.first, AS_OF, len(volunteer))
    child_ids, record_counties = [], []
    for v in volunteer:
        if children is not None and rng.random() < shape.reach:
            c = int(rng.integers(0, len(children)))
            child_ids.append(children["id_no"][c])
            record_counties.append(children["county"][c] if children["county"][c].isdigit() else v_counties[v])
        else:
            child_ids.append("")
            record_counties.append(v_counties[v])
    raw.add(
        "volunteer_hours",
        _service_rows(
            rng,
            f"{prefix}-V",
            shape.code,
            volunteer,
            names,
            ids,
            phones,
            types,
            v_counties,
            activities,
            dates,
            child_ids,
            np.array(record_counties),
        ),
    )


def reference_tables() -> dict[str, pd.DataFrame]:
    """The sample deployment's programmes, regions and stage standards."""
    programmes = pd.DataFrame(
        [
            (p.code, p.name_zh, p.name_en, p.started_on.isoformat(), p.description_zh, p.description_en)
            for p in PROGRAMMES
        ],
        columns=["code", "name_zh", "name_en", "started_on", "description_zh", "description_en"],
    )
    regions = []
    for city, (zh, en, counties) in REGIONS.items():
        regions.append((city, zh, en, city[:2] + "0000"))
        regions.extend((code, czh, cen, city) for code, czh, cen in counties)
    cal = CALIBRATION["nt_care"]
    standards = pd.DataFrame(
        [(cal["programme"], _label("stage", s), f"{y}") for s, y in cal["yearly_standard"].items()],
        columns=["programme", "stage", "yearly_amount"],
    )
    return {
        "programmes": programmes,
        "regions": pd.DataFrame(regions, columns=["code", "name_zh", "name_en", "parent_code"]),
        "stage_standards": standards,
    }


def _units(scale: int, seed: int) -> Iterator[dict[str, pd.DataFrame]]:
    """The reference tables, then one dict of raw tables per copy of the five programmes."""
    rng = np.random.default_rng(seed)
    people = People(rng)
    yield reference_tables()
    for unit in range(scale):
        raw = Raw()
        _nt_care(raw, people, rng, unit)
        for shape in SHAPES:
            _shaped_programme(raw, people, rng, unit, shape)
        yield {kind: raw.frame(kind) for kind in raw.tables}


def generate(*, scale: int = 1, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Every raw table of the sample, canonical column names."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for unit in _units(scale, seed):
        for kind, frame in unit.items():
            parts.setdefault(kind, []).append(frame)
    return {kind: pd.concat(parts[kind], ignore_index=True) if kind in parts else pd.DataFrame() for kind in LOAD_ORDER}


def write_streaming(out_dir: Path, *, scale: int, seed: int = DEFAULT_SEED) -> list[tuple[str, Path]]:
    """Large scales: plain UTF-8 CSVs appended one copy at a time, so memory stays flat."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{kind}.csv" for kind in LOAD_ORDER}
    for path in paths.values():
        path.unlink(missing_ok=True)
    for unit in _units(scale, seed):
        for kind, frame in unit.items():
            frame.to_csv(paths[kind], mode="a", header=not paths[kind].exists(), index=False, encoding="utf-8")
    return [(kind, paths[kind]) for kind in LOAD_ORDER]


# How each file reaches the loaders at small scales: what staff really hand over (raw-formats.md).
# (kind: (file format, header language, encoding)); everything else is a canonical UTF-8 CSV.
STAFF_FORMATS: dict[str, tuple[str, str, str]] = {
    "children": ("csv", "zh", "gb18030"),  # Excel on Chinese Windows
    "disbursements": ("xlsx", "zh", ""),  # a workbook with a title row, 2023年4月20日 and ¥1,234.50
    "volunteer_hours": ("csv", "en", "utf-8-sig"),  # the check-in app's export
    "donations": ("csv", "zh", "utf-8"),  # the fundraising platform's export
    "stage_standards": ("csv", "zh", "utf-8"),
}
STAFF_FORMATS_UP_TO_SCALE = 2  # beyond, plain CSVs: a 10M-row workbook is not a real export


def _headers(kind: str, columns, language: str) -> list[str]:
    import loaders

    spec = loaders.SPECS[kind].by_name
    names = []
    for column in columns:
        spellings = getattr(spec[column], language) if column in spec else ()
        names.append(spellings[0] if spellings else column)
    return names


def _chinese_date(iso: str) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def _yuan(text: str) -> str:
    return f"¥{float(text):,.2f}" if text else ""


def _write_xlsx(frame: pd.DataFrame, path: Path, title: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([title])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append(list(row))
    book.save(path)


def write(frames: dict[str, pd.DataFrame], out_dir: Path, *, staff_formats: bool = True) -> Iterator[tuple[str, Path]]:
    """Write each table as the raw file staff would hand over; yields (kind, path) in load order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind in LOAD_ORDER:
        frame = frames[kind]
        fmt, language, encoding = (
            STAFF_FORMATS.get(kind, ("csv", "", "utf-8")) if staff_formats else ("csv", "", "utf-8")
        )
        if language:
            frame = frame.set_axis(_headers(kind, frame.columns, language), axis=1)
        if fmt == "xlsx":
            frame = frames[kind].copy()
            for column in ("paid_on",):
                frame[column] = frame[column].map(_chinese_date)
            frame["amount"] = frame["amount"].map(_yuan)
            frame = frame.set_axis(_headers(kind, frame.columns, language), axis=1)
            path = out_dir / f"{kind}.xlsx"
            _write_xlsx(frame, path, title="关爱金发放明细")
        else:
            path = out_dir / f"{kind}.csv"
            frame.to_csv(path, index=False, encoding=encoding)
        yield kind, path
