"""volunteer_hours: 志愿服务记录, one row per check-in, keyed by record_no.

The volunteer's pseudonym comes from the ID number when given (preferred), else from the phone
digits. Hours are stored exactly as whole ``seconds``: from the hours column (0 < h <= 24), or
from check-in/check-out times on the service date (hours win when both are given). A child's ID
number, when given, must be on the programme's register. The volunteer's name is required
(raw-formats.md): a row without one is rejected, but it is never used or stored (the pseudonym
comes from the ID number or the phone)."""

from __future__ import annotations

from loaders.cells import is_empty, parse_hours, parse_time, required_present, text_cell
from loaders.children import COUNTY, PROGRAMME
from loaders.kinds import Column, Context, KindSpec, positions
from loaders.messages import RowReject, UnusableFile
from loaders.personal import phone_cell
from portal.i18n import t

COLUMNS = (
    Column("record_no", ("记录编号", "记录号", "服务编号", "编号"), ("Record no", "Record number"), True),
    Column(
        "volunteer_name", ("志愿者姓名", "姓名", "志愿者"), ("Volunteer name", "Volunteer", "Name"), True, pii="name"
    ),
    Column(
        "volunteer_id_no",
        ("志愿者证件号", "志愿者身份证号", "证件号", "身份证号", "证件号码"),
        ("Volunteer ID no", "Volunteer ID number", "ID no"),
        pii="id",
    ),
    Column(
        "volunteer_phone",
        ("手机号", "志愿者手机号", "手机号码", "联系电话", "电话"),
        ("Volunteer phone", "Phone", "Mobile"),
        pii="phone",
    ),
    Column("volunteer_type", ("志愿者类型", "志愿者身份", "身份"), ("Volunteer type",)),
    Column("county", (*COUNTY.zh, "服务地点"), COUNTY.en, True),
    Column("served_on", ("服务日期", "日期", "活动日期"), ("Served on", "Service date", "Date"), True),
    Column("hours", ("服务时长（小时）", "服务时长", "时长", "小时数", "服务小时数"), ("Hours", "Duration")),
    Column("start_time", ("签到时间", "开始时间", "签到"), ("Start time", "Check-in", "Check in time")),
    Column("end_time", ("签退时间", "结束时间", "签退"), ("End time", "Check-out", "Check out time")),
    Column("activity", ("服务内容", "活动内容", "服务类型", "活动类型"), ("Activity",)),
    Column("child_id_no", ("结对儿童身份证号", "儿童身份证号", "服务对象身份证号"), ("Child ID no",), pii="id"),
    PROGRAMME,
)


def check_header(present: set[str], file_label: str, lang: str) -> None:
    if "hours" not in present and not {"start_time", "end_time"} <= present:
        raise UnusableFile(t("loader.missing_hours_columns", lang, file=file_label))
    if not present & {"volunteer_id_no", "volunteer_phone"}:
        raise UnusableFile(t("loader.missing_volunteer_ident", lang, file=file_label))


def make_row(ctx: Context, pos: dict[str, int]):
    p = positions(COLUMNS, pos)
    dates, register = ctx.dates, ctx.register
    vtype, activity = ctx.vocabs("volunteer_type", "activity")

    def seconds_of(r: list, served: str) -> int:
        h = r[p["hours"]]
        if not is_empty(h):
            try:
                s = parse_hours(h)
            except ValueError:
                raise RowReject("hours", "bad_hours", h) from None
            if not 0 < s <= 86400:
                raise RowReject("hours", "bad_hours", h)
            return s
        start, end = r[p["start_time"]], r[p["end_time"]]
        if is_empty(start) or is_empty(end):
            raise RowReject(
                "hours" if is_empty(start) and is_empty(end) else ("start_time" if is_empty(start) else "end_time"),
                "hours_missing",
                None,
            )
        times = []
        for col, v in (("start_time", start), ("end_time", end)):
            try:
                times.append(parse_time(v, served))
            except ValueError as exc:
                raise RowReject(col, exc.args[0], v) from None
        if times[1] <= times[0]:
            raise RowReject("end_time", "end_not_after_start", end)
        return times[1] - times[0]

    def row(r: list) -> list:
        record = text_cell("record_no", r[p["record_no"]], max_len=64)
        required_present("volunteer_name", r[p["volunteer_name"]])
        programme = ctx.programme("programme", r[p["programme"]])
        found = ctx.ids("volunteer_id_no", r[p["volunteer_id_no"]], required=False)
        if found is not None:
            volunteer = found[1]
        else:
            phone = phone_cell("volunteer_phone", r[p["volunteer_phone"]])
            if phone is None:
                raise RowReject("volunteer_id_no", "volunteer_ident_missing", None)
            volunteer = ctx.pseudonym(phone)
        served = dates("served_on", r[p["served_on"]])
        seconds = seconds_of(r, served)
        child_id = None
        child_found = ctx.ids("child_id_no", r[p["child_id_no"]], required=False)
        if child_found is not None:
            child = register.get((programme, child_found[1]))
            if child is None:
                raise RowReject("child_id_no", "child_not_registered", r[p["child_id_no"]])
            child_id = child[0]
        return [
            record,
            programme,
            volunteer,
            vtype("volunteer_type", r[p["volunteer_type"]], default="other"),
            ctx.region("county", r[p["county"]]),
            served,
            seconds,
            activity("activity", r[p["activity"]], default="other"),
            child_id,
        ]

    return row


SPEC = KindSpec(
    kind="volunteer_hours",
    columns=COLUMNS,
    table="service_record",
    out_cols=(
        "record_no",
        "programme",
        "volunteer_id",
        "volunteer_type",
        "county",
        "served_on",
        "seconds",
        "activity",
        "child_id",
    ),
    key=("record_no",),
    make_row=make_row,
    person_col="volunteer_id",
    file_key=0,
    file_key_column="record_no",
    check_header=check_header,
)
