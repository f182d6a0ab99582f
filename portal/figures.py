"""Every published figure, declared once. Each entry drives the publish computation, the
chart axis and tooltip, the table header, the CSV column, the glossary and the citation."""

from __future__ import annotations

from dataclasses import dataclass

# A breakdown is a tuple of dimensions (at most two, architecture.md); () is the total.
Breakdown = tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    key: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str  # yuan, donations, donors, children, child_times, volunteers, hours, visits, fraction
    decimals: int
    family: str  # which facts it is computed from: donations, disbursements, register, service, ledger
    breakdowns: tuple[Breakdown, ...]
    people_kind: str | None  # whose count the privacy threshold protects in this figure's cells
    to_date: bool = False  # taken at the period's end rather than summed over the period
    # How publish computes it: a DuckDB aggregate over the family's facts (integer fen for
    # money, seconds for time, integer surrogate keys for people), or None for a figure
    # derived from others (average, balance, rate).
    aggregate: str | None = None
    scale: float = 1.0  # divides the aggregate into the published unit (fen -> yuan, s -> h)
    # The people count whose small values withhold this figure's cell (privacy.md primary rule)
    guarded_by: str | None = None
    dominance: bool = False  # money cell withheld when one/two donors dominate it
    # A ratio figure: (numerator, denominator) figure keys. Where the denominator is zero
    # there is no cell, and pages say so in words ("no child was paid in this period").
    ratio: tuple[str, str] | None = None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def definition(self, lang: str) -> str:
        return self.definition_zh if lang == "zh" else self.definition_en


_DONATION_BREAKDOWNS: tuple[Breakdown, ...] = ((), ("channel",), ("donor_type",))
_DISBURSEMENT_BREAKDOWNS: tuple[Breakdown, ...] = (
    (),
    ("region",),
    ("stage",),
    ("category",),
    ("purpose",),
    ("region", "stage"),
)
_REGISTER_BREAKDOWNS: tuple[Breakdown, ...] = ((), ("region",), ("category",))
_SERVICE_BREAKDOWNS: tuple[Breakdown, ...] = ((), ("region",), ("volunteer_type",), ("activity",))

FIGURES: tuple[Figure, ...] = (
    Figure(
        "funds_raised",
        "募集资金",
        "Funds raised",
        "期内捐赠金额之和，扣除退款。",
        "Sum of donation amounts dated in the period, refunds subtracted.",
        "yuan",
        2,
        "donations",
        _DONATION_BREAKDOWNS,
        "donors",
        aggregate="SUM(amount_fen)",
        scale=100,
        dominance=True,
    ),
    Figure(
        "donations",
        "捐赠笔数",
        "Donations",
        "期内捐赠记录笔数（退款不计）。",
        "Number of donation rows in the period (refunds not counted).",
        "donations",
        0,
        "donations",
        _DONATION_BREAKDOWNS,
        "donors",
        aggregate="COUNT(*) FILTER (WHERE NOT is_refund)",
    ),
    Figure(
        "donors",
        "捐赠人数",
        "Donors",
        "期内留有身份信息的不同捐赠人数（按化名去重）。",
        "Distinct donors in the period (by pseudonym) where the donor's identity was given.",
        "donors",
        0,
        "donations",
        _DONATION_BREAKDOWNS,
        "donors",
        aggregate="COUNT(DISTINCT donor_id)",
        guarded_by="donors",
    ),
    Figure(
        "funds_disbursed",
        "发放关爱资金",
        "Funds disbursed",
        "期内发放金额之和。",
        "Sum of disbursement amounts paid in the period.",
        "yuan",
        2,
        "disbursements",
        _DISBURSEMENT_BREAKDOWNS,
        "children",
        aggregate="SUM(amount_fen)",
        scale=100,
        guarded_by="children_served",
    ),
    Figure(
        "balance",
        "结余",
        "Balance",
        "自项目开始至期末的募集资金减去发放资金。",
        "Funds raised minus funds disbursed, from the programme's start to the period's end.",
        "yuan",
        2,
        "ledger",
        ((),),
        None,
        to_date=True,
        scale=100,
    ),
    Figure(
        "disbursement_rate",
        "资金使用率",
        "Disbursement rate",
        "自项目开始至期末的发放资金 ÷ 募集资金。",
        "Funds disbursed ÷ funds raised, both from the programme's start to the period's end.",
        "fraction",
        4,
        "ledger",
        ((),),
        None,
        to_date=True,
        ratio=("funds_disbursed", "funds_raised"),
    ),
    Figure(
        "children_served",
        "惠及儿童（人）",
        "Children served",
        "期内至少获得一次发放的不同儿童人数。",
        "Distinct children with at least one disbursement in the period.",
        "children",
        0,
        "disbursements",
        _DISBURSEMENT_BREAKDOWNS,
        "children",
        aggregate="COUNT(DISTINCT child_id)",
        guarded_by="children_served",
    ),
    Figure(
        "child_times",
        "惠及人次",
        "Child-times served",
        "期内发放笔数（同一儿童获得三次发放计三人次）。",
        "Number of disbursements in the period (one child paid three times counts three).",
        "child_times",
        0,
        "disbursements",
        _DISBURSEMENT_BREAKDOWNS,
        "children",
        aggregate="COUNT(*)",
        guarded_by="children_served",
    ),
    Figure(
        "children_in_care",
        "关爱对象",
        "Children in care",
        "期末仍在关爱名册上的不同儿童人数。",
        "Distinct children on the register whose enrolment covers the period's end.",
        "children",
        0,
        "register",
        _REGISTER_BREAKDOWNS,
        "children",
        to_date=True,
        aggregate="COUNT(DISTINCT child_id)",
        guarded_by="children_in_care",
    ),
    Figure(
        "children_paired",
        "一对一结对",
        "Children paired",
        "期末在册且已一对一结对的儿童人数。",
        "Children in care at the period's end who are marked as paired one-to-one.",
        "children",
        0,
        "register",
        _REGISTER_BREAKDOWNS,
        "children",
        to_date=True,
        aggregate="COUNT(DISTINCT child_id) FILTER (WHERE paired)",
        guarded_by="children_paired",
    ),
    Figure(
        "average_per_child",
        "人均发放",
        "Average per child",
        "发放关爱资金 ÷ 惠及儿童人数；按学段与该学段年度标准并列。",
        "Funds disbursed ÷ children served; by stage, shown beside the stage's yearly standard.",
        "yuan",
        2,
        "disbursements",
        _DISBURSEMENT_BREAKDOWNS,
        "children",
        scale=100,
        guarded_by="children_served",
        ratio=("funds_disbursed", "children_served"),
    ),
    Figure(
        "volunteers_active",
        "活跃志愿者",
        "Active volunteers",
        "期内至少有一条服务记录的不同志愿者人数。",
        "Distinct volunteers with at least one service record in the period.",
        "volunteers",
        0,
        "service",
        _SERVICE_BREAKDOWNS,
        "volunteers",
        aggregate="COUNT(DISTINCT volunteer_id)",
        guarded_by="volunteers_active",
    ),
    Figure(
        "volunteer_hours",
        "志愿服务时长",
        "Volunteer hours",
        "期内服务记录时长之和（小时）。",
        "Sum of hours of service records in the period.",
        "hours",
        1,
        "service",
        _SERVICE_BREAKDOWNS,
        "volunteers",
        aggregate="SUM(seconds)",
        scale=3600,
        guarded_by="volunteers_active",
    ),
    Figure(
        "home_visits",
        "入户走访",
        "Home visits",
        "期内服务内容为“入户走访”的服务记录条数。",
        'Number of service records in the period with activity "home visit".',
        "visits",
        0,
        "service",
        ((), ("region",), ("volunteer_type",)),
        "volunteers",
        aggregate="COUNT(*) FILTER (WHERE activity = 'home_visit')",
        guarded_by="volunteers_active",
    ),
    Figure(
        "children_reached",
        "志愿服务覆盖儿童",
        "Children reached by volunteers",
        "期内服务记录上出现的不同儿童人数。",
        "Distinct children named on service records in the period.",
        "children",
        0,
        "service",
        _SERVICE_BREAKDOWNS,
        "children",
        aggregate="COUNT(DISTINCT child_id)",
        guarded_by="children_reached",
    ),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
# The kinds of data a programme may or may not have (a volunteer-only hospital plan has no
# donations, disbursements or register); each is one kind of raw file and one publish cube.
DATA_FAMILIES: tuple[str, ...] = ("donations", "disbursements", "register", "service")
# The ledger (balance, disbursement rate) compares money raised with money paid out: it means
# something only for a programme that does both.
LEDGER_NEEDS: tuple[str, ...] = ("donations", "disbursements")
FAMILIES: tuple[str, ...] = (*DATA_FAMILIES, "ledger")


def figures_of(family: str) -> tuple[Figure, ...]:
    return tuple(f for f in FIGURES if f.family == family)


def has_family(figure: Figure | str, families) -> bool:
    """Whether a programme with data of ``families`` has this figure at all."""
    figure = BY_KEY[figure] if isinstance(figure, str) else figure
    if figure.family == "ledger":
        return all(f in families for f in LEDGER_NEEDS)
    return figure.family in families
