"""Property tests for the loaders' parsers: dates, amounts (exact fen), GB 11643 ID numbers,
hours and times."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.cells import EXCEL_EPOCH, parse_amount, parse_date, parse_hours, parse_time
from loaders.headers import norm_header
from loaders.personal import id_check_char, parse_id_no
from loaders.rejects import mask_id, mask_name, mask_phone

dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31))


@given(dates)
def test_every_date_form(d):
    forms = [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}{d.month:02d}{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        f" {d.isoformat()} 00:00:00",
        f"{d.isoformat()}T12:30",
        "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in d.isoformat()),  # full-width digits
    ]
    for form in forms:
        assert parse_date(form) == d, form
    assert parse_date(dt.datetime.combine(d, dt.time(8, 30))) == d
    assert parse_date(d) == d
    serial = (d - EXCEL_EPOCH).days
    assert parse_date(serial) == d
    assert parse_date(float(serial) + 0.25) == d


@given(st.integers(1900, 2100), st.integers(1, 12), st.integers(29, 35))
def test_impossible_dates_rejected(y, m, day):
    try:
        dt.date(y, m, day)
    except ValueError:
        with pytest.raises(ValueError):
            parse_date(f"{y}-{m:02d}-{day:02d}")
        with pytest.raises(ValueError):
            parse_date(f"{y}年{m}月{day}日")


@pytest.mark.parametrize("text", ["", "abc", "2023-13-01", "2023/00/10", "23-12-31", "1800-01-01", "2023-12"])
def test_not_dates(text):
    with pytest.raises(ValueError):
        parse_date(text)


fens = st.integers(min_value=0, max_value=10**12)


def yuan_forms(fen: int) -> list[str]:
    y, f = divmod(fen, 100)
    forms = [
        f"{y}.{f:02d}",
        f"{y:,}.{f:02d}",
        f"¥{y:,}.{f:02d}",
        f"￥{y}.{f:02d}",
        f"{y}.{f:02d}元",
        f" ¥ {y:,}.{f:02d} ",
        f"RMB {y}.{f:02d}",
        f"{y}.{f:02d}0",
    ]
    if f % 10 == 0:
        forms.append(f"{y}.{f // 10}")
    if f == 0:
        forms += [str(y), f"{y}元", f"{y:,}", f"{y}."]
    return forms


@given(fens)
def test_every_amount_form_is_exact(fen):
    for form in yuan_forms(fen):
        assert parse_amount(form) == fen, form
    y, f = divmod(fen, 100)
    assert parse_amount(f"-{y}.{f:02d}") == -fen
    assert parse_amount(f"({y}.{f:02d})") == -fen
    # an XLSX number cell: the float nearest the yuan value comes back as exact fen
    assert parse_amount(fen / 100) == fen
    if f == 0:
        assert parse_amount(y) == fen


@given(fens, st.integers(1, 9))
def test_three_decimals_refused(fen, third):
    y, f = divmod(fen, 100)
    with pytest.raises(ValueError) as exc:
        parse_amount(f"{y}.{f:02d}{third}")
    assert exc.value.args[0] == "too_many_decimals"


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "¥", "12a", "1-2", "--5", "元"])
def test_not_amounts(text):
    with pytest.raises(ValueError):
        parse_amount(text)


regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
births = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date.today())


def build_id(region: str, birth: dt.date, seq: int) -> str:
    first = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first + id_check_char(first)


@given(regions, births, st.integers(0, 999))
def test_valid_ids_give_birth_and_gender(region, birth, seq):
    id_no = build_id(region, birth, seq)
    info = parse_id_no(id_no)
    assert info.birth_date == birth
    assert info.gender == ("male" if seq % 2 else "female")
    assert parse_id_no(id_no.lower()).id_no == id_no  # a lower-case x is the same number
    assert parse_id_no(f" {id_no[:6]} {id_no[6:]} ").id_no == id_no


@given(regions, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(region, birth, seq, pos, delta):
    id_no = build_id(region, birth, seq)
    wrong = id_no[:pos] + str((int(id_no[pos]) + delta) % 10) + id_no[pos + 1 :]
    with pytest.raises(ValueError) as exc:
        parse_id_no(wrong)
    assert exc.value.args[0] in ("bad_id_checksum", "bad_id_birth")


@given(regions, births, st.integers(0, 999))
def test_wrong_check_char_refused(region, birth, seq):
    id_no = build_id(region, birth, seq)
    for c in "0123456789X":
        if c != id_no[-1]:
            with pytest.raises(ValueError) as exc:
                parse_id_no(id_no[:-1] + c)
            assert exc.value.args[0] == "bad_id_checksum"


@given(regions, st.integers(1900, 2099), st.integers(1, 12), st.integers(29, 39), st.integers(0, 999))
def test_impossible_birth_date_refused(region, y, m, d, seq):
    first = f"{region}{y:04d}{m:02d}{d:02d}{seq:03d}"
    try:
        dt.date(y, m, d)
        return
    except ValueError:
        pass
    with pytest.raises(ValueError) as exc:
        parse_id_no(first + id_check_char(first))
    assert exc.value.args[0] == "bad_id_birth"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1234", "bad_id_length"), ("32061420100101123", "bad_id_length"), ("3206142010010112AX", "bad_id_chars")],
)
def test_malformed_ids(text, reason):
    with pytest.raises(ValueError) as exc:
        parse_id_no(text)
    assert exc.value.args[0] == reason


@given(st.integers(1, 2400))
def test_hours_and_times_to_seconds(hundredths):
    hours = hundredths / 100
    assert parse_hours(f"{hundredths // 100}.{hundredths % 100:02d}") == hundredths * 36
    assert parse_hours(hours) == hundredths * 36
    start = 8 * 3600
    end = start + hundredths * 36 // 60 * 60
    day = "2023-05-01"
    e = f"{end // 3600:02d}:{end % 3600 // 60:02d}"
    if end < 86400:
        assert parse_time(e, day) - parse_time("08:00", day) == end - start
        assert parse_time(f"{day} {e}", day) == end
        assert parse_time(dt.datetime(2023, 5, 1, end // 3600, end % 3600 // 60), day) == end


def test_time_on_another_day_refused():
    with pytest.raises(ValueError) as exc:
        parse_time("2023-05-02 08:00", "2023-05-01")
    assert exc.value.args[0] == "times_not_same_day"


@given(regions, births, st.integers(0, 999))
def test_masks_keep_only_ends(region, birth, seq):
    id_no = build_id(region, birth, seq)
    masked = mask_id(id_no)
    assert masked == id_no[:4] + "*" * 10 + id_no[-4:]
    assert id_no[4:14] not in masked


def test_mask_examples():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_header_folding():
    assert norm_header(" 捐赠金额（元） ") == norm_header("捐赠金额(元)")
    assert norm_header("Receipt No.") == norm_header("receipt_no") == norm_header("RECEIPT NO")
