"""donations: 捐赠明细, keyed by receipt_no (loading a receipt again updates it, never doubles).

Donor pseudonym (the rule, privacy.md "for a donor without ID, name + phone"):
- a phone is given: HMAC over the donor's name (NFKC, spaces removed) followed by the phone's
  digits (``+86`` dropped), e.g. ``张三13812345678``; with no name, the phone digits alone;
- no phone: the donor is anonymous (``donor_id`` NULL). A name alone is not an identity
  (two 张伟 are not one donor), so it is not used.
Name and phone are read only to make that pseudonym and are never stored.

Channel: code, Chinese or English label; an online platform's name (腾讯公益, 支付宝公益, …) maps
to ``online`` and the name is kept in ``platform``. ``kind`` refund/退款 makes ``is_refund`` and a
negative amount (a refund written with a positive amount is made negative)."""

from __future__ import annotations

import unicodedata

from loaders.core import (
    Column,
    Context,
    KindSpec,
    RowReject,
    amount_cell,
    is_empty,
    name_text,
    phone_cell,
    text_cell,
)
from portal.vocab import normalise_label

COLUMNS = (
    Column(
        "receipt_no",
        ("票据号", "捐赠编号", "收据号", "票据编号", "捐赠单号", "订单号"),
        ("Receipt no", "Receipt number", "Donation no", "Donation number"),
        True,
    ),
    Column("donated_on", ("捐赠日期", "捐款日期", "到账日期", "日期"), ("Donated on", "Donation date", "Date"), True),
    Column("amount", ("捐赠金额", "捐款金额", "金额"), ("Amount",), True),
    Column("kind", ("类型", "记录类型", "捐退类型"), ("Kind", "Type")),
    Column("channel", ("捐赠渠道", "渠道", "捐款渠道", "捐赠平台"), ("Channel", "Platform"), True),
    Column("donor_type", ("捐赠人类型", "捐赠方类型", "捐赠者类型", "捐赠人性质"), ("Donor type",), True),
    Column(
        "donor_name",
        ("捐赠人", "捐赠人姓名", "捐赠者", "捐赠方", "捐赠人名称", "姓名"),
        ("Donor", "Donor name", "Name"),
        pii="name",
    ),
    Column(
        "donor_phone",
        ("联系电话", "捐赠人电话", "电话", "手机号", "手机"),
        ("Phone", "Donor phone", "Mobile"),
        pii="phone",
    ),
    Column("programme", ("项目名称", "项目", "捐赠项目"), ("Programme", "Program", "Project"), True),
)

_GENERIC_ONLINE = frozenset(
    normalise_label(s) for s in ("online", "网络平台", "online platform", "网络募捐", "互联网募捐", "网络")
)


def make_row(ctx: Context, pos: dict[str, int]):
    i_no, i_on, i_amt, i_kind, i_ch, i_dt, i_name, i_phone, i_prog = (pos[c.name] for c in COLUMNS)
    dates = ctx.dates
    channel = ctx.vocab("channel")
    donor_type = ctx.vocab("donor_type")
    kind = ctx.vocab("donation_kind")
    programme = ctx.programme
    pseudonym = ctx.pseudonym
    platforms: dict[str, str | None] = {}

    def platform_of(raw) -> str | None:
        s = raw if isinstance(raw, str) else str(raw)
        if s not in platforms:
            text = unicodedata.normalize("NFKC", s).strip()
            platforms[s] = None if normalise_label(text) in _GENERIC_ONLINE else text[:64]
        return platforms[s]

    def row(r: list) -> list:
        receipt = r[i_no]
        receipt = receipt.strip() if isinstance(receipt, str) else receipt
        if not receipt or not isinstance(receipt, str) or len(receipt) > 64:
            receipt = text_cell("receipt_no", receipt, max_len=64)
        on = dates("donated_on", r[i_on])
        fen = amount_cell("amount", r[i_amt])
        k = r[i_kind]
        refund = k is not None and k != "" and kind("kind", k, default="donation") == "refund"
        if refund:
            fen = -abs(fen)
        elif fen < 0:
            raise RowReject("amount", "negative_not_refund", r[i_amt])
        if fen == 0:
            raise RowReject("amount", "amount_not_positive", r[i_amt])
        ch_raw = r[i_ch]
        ch = channel("channel", ch_raw)
        platform = platform_of(ch_raw) if ch == "online" else None
        dtype = donor_type("donor_type", r[i_dt])
        prog = programme("programme", r[i_prog])
        phone_raw = r[i_phone]
        donor = None
        if phone_raw is not None and not is_empty(phone_raw):
            phone = phone_cell("donor_phone", phone_raw)
            donor = pseudonym(name_text(r[i_name]) + phone)
        return [receipt, prog, on, fen, refund, ch, platform, dtype, donor]

    return row


SPEC = KindSpec(
    kind="donations",
    columns=COLUMNS,
    table="donation",
    out_cols=(
        "receipt_no",
        "programme",
        "donated_on",
        "amount_fen",
        "is_refund",
        "channel",
        "platform",
        "donor_type",
        "donor_id",
    ),
    key=("receipt_no",),
    make_row=make_row,
    person_col="donor_id",
    file_key=lambda out: out[0],
    file_key_column="receipt_no",
)
