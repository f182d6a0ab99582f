"""Every published figure, declared once. Each entry drives the publish computation, the
chart axis and tooltip, the table header, the CSV column, the glossary and the citation."""

from __future__ import annotations

from dataclasses import dataclass

from portal.i18n import pick

# A breakdown is a tuple of dimensions (at most two, architecture.md); () is the total.
Breakdown = tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    """What a figure's value is, said once: publish builds its SQL from it, and suppression,
    the audit and the red team read from it which relations the figure's cells obey.

    kind: ``sum`` of a column over the rows, ``count`` of rows, ``distinct`` count of a person
    column (people counted once however many rows name them), or derived from other figures:
    ``ratio`` (``of[0]`` ÷ ``of[1]``) and ``difference`` (``of[0]`` − ``of[1]``). ``where``
    keeps only the rows it holds for (a condition over the family's facts)."""

    kind: str
    column: str | None = None
    where: str | None = None
    of: tuple[str, ...] = ()

    @property
    def derived(self) -> bool:
        return self.kind in ("ratio", "difference")

    @property
    def additive(self) -> bool:
        """A sum over rows: the value of a set of rows is the sum over any partition of them
        (money, hours, rows). A distinct count is not (one child in two counties counts once in
        all of them), and neither is a ratio or a difference of running totals."""
        return self.kind in ("sum", "count")

    @property
    def sql(self) -> str | None:
        """The DuckDB aggregate over the family's facts (None for a derived figure)."""
        if self.kind == "sum":
            core = f"SUM({self.column})"
        elif self.kind == "count":
            core = "COUNT(*)"
        elif self.kind == "distinct":
            core = f"COUNT(DISTINCT {self.column})"
        else:
            return None
        return core + (f" FILTER (WHERE {self.where})" if self.where else "")


def Sum(column: str, where: str | None = None) -> Measure:
    return Measure("sum", column, where)


def Count(where: str | None = None) -> Measure:
    return Measure("count", where=where)


def Distinct(column: str, where: str | None = None) -> Measure:
    return Measure("distinct", column, where)


def Ratio(numerator: str, denominator: str) -> Measure:
    """numerator ÷ denominator (figure keys); no cell where the denominator is zero, and pages
    say so in words ("no child was paid in this period")."""
    return Measure("ratio", of=(numerator, denominator))


def Difference(minuend: str, subtrahend: str) -> Measure:
    return Measure("difference", of=(minuend, subtrahend))


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
    # How publish computes it (``Measure``): over the family's facts in integer fen for money,
    # seconds for time and integer surrogate keys for people, or derived from other figures.
    measure: Measure
    # taken at the period's end rather than over the period; a derived figure to date is
    # computed from its inputs' running totals, from the start to the period's end
    to_date: bool = False
    scale: float = 1.0  # divides the measure into the published unit (fen -> yuan, s -> h)
    # The people count whose small values withhold this figure's cell (privacy.md primary rule)
    guarded_by: str | None = None
    # A cell with no people count of its own is sized, for suppression, by this count figure
    # (funds raised by its number of gifts)
    sized_by: str | None = None
    dominance: bool = False  # money cell withheld when one/two donors dominate it
    colour: str = "#999999"  # one colour per figure wherever it is drawn (charts.FIGURE_COLOURS)

    @property
    def aggregate(self) -> str | None:
        """The DuckDB aggregate publish computes (None for a derived figure)."""
        return self.measure.sql

    @property
    def ratio(self) -> tuple[str, str] | None:
        """(numerator, denominator) figure keys of a ratio figure, else None."""
        return self.measure.of if self.measure.kind == "ratio" else None

    @property
    def inputs(self) -> tuple[str, ...]:
        """The figures a derived figure is computed from (none for a measured one)."""
        return self.measure.of

    def name(self, lang: str) -> str:
        return pick(lang, self.name_zh, self.name_en)

    def definition(self, lang: str) -> str:
        return pick(lang, self.definition_zh, self.definition_en)


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
        measure=Sum("amount_fen"),
        scale=100,
        sized_by="donations",
        dominance=True,
        colour="#E69F00",
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
        measure=Count(where="NOT is_refund"),
        colour="#CC79A7",
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
        measure=Distinct("donor_id"),
        guarded_by="donors",
        colour="#56B4E9",
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
        measure=Sum("amount_fen"),
        scale=100,
        guarded_by="children_served",
        colour="#0072B2",
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
        measure=Difference("funds_raised", "funds_disbursed"),
        to_date=True,
        scale=100,
        colour="#009E73",
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
        measure=Ratio("funds_disbursed", "funds_raised"),
        colour="#D55E00",
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
        measure=Distinct("child_id"),
        guarded_by="children_served",
        colour="#009E73",
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
        measure=Count(),
        guarded_by="children_served",
        colour="#CC79A7",
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
        measure=Distinct("child_id"),
        guarded_by="children_in_care",
        colour="#0072B2",
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
        measure=Distinct("child_id", where="paired"),
        guarded_by="children_paired",
        colour="#56B4E9",
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
        measure=Ratio("funds_disbursed", "children_served"),
        colour="#E69F00",
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
        measure=Distinct("volunteer_id"),
        guarded_by="volunteers_active",
        colour="#56B4E9",
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
        measure=Sum("seconds"),
        scale=3600,
        guarded_by="volunteers_active",
        colour="#D55E00",
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
        measure=Count(where="activity = 'home_visit'"),
        guarded_by="volunteers_active",
        colour="#CC79A7",
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
        measure=Distinct("child_id"),
        guarded_by="children_reached",
        colour="#009E73",
    ),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
# The kinds of data a programme may or may not have (a volunteer-only hospital plan has no
# donations, disbursements or register); each is one kind of raw file and one publish cube.
DATA_FAMILIES: tuple[str, ...] = ("donations", "disbursements", "register", "service")
# figures derived from figures of several families (balance, disbursement rate): the ledger
FAMILIES: tuple[str, ...] = (*DATA_FAMILIES, "ledger")


def figures_of(family: str) -> tuple[Figure, ...]:
    return tuple(f for f in FIGURES if f.family == family)


def needs(figure: Figure | str) -> frozenset[str]:
    """The data families a figure is computed from: its own, or its inputs' (the ledger
    compares money raised with money paid out: it needs donations and disbursements)."""
    figure = BY_KEY[figure] if isinstance(figure, str) else figure
    if figure.measure.derived:
        return frozenset().union(*(needs(key) for key in figure.inputs))
    return frozenset((figure.family,))


def has_family(figure: Figure | str, families) -> bool:
    """Whether a programme with data of ``families`` has this figure at all."""
    return needs(figure) <= set(families)
