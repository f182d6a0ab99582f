"""donations: 捐赠明细, keyed by receipt_no (loading a receipt again updates it, never doubles).

Donor pseudonym (the rule, privacy.md "for a donor without ID, name + phone"):
- a phone is given: HMAC over the donor's name (NFKC, spaces removed) followed by the phone's
  digits (``+86`` dropped), e.g. ``张三13812345678``; with no name, the phone digits alone;
- no phone: the donor is anonymous (``donor_id`` NULL). A name alone is not an identity
  (two 张伟 are not one donor), so it is not used.
Name and phone are read only to make that pseudonym and are never stored.

Channel: code, Chinese or English label; an online platform's name (腾讯公益, 支付宝公益, …) maps
to ``online`` and the name is kept in ``platform``. ``kind`` refund/退款 makes ``is_refund``.

Amount sign (raw-formats.md): a donation (``kind`` empty, donation or 捐赠) is > 0, a refund
< 0, stored as written; a row whose sign contradicts its kind is rejected (a positive refund
is not silently turned negative: which of the two cells is wrong is the clerk's call), and a
zero amount is rejected for both."""

from __future__ import annotations

import unicodedata
from typing import Any

from loaders.cells import amount_cell, cell_text, is_empty, text_cell
from loaders.kinds import Column, Context, KindSpec
from loaders.messages import RowReject
from loaders.personal import name_text, phone_cell
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


def channel_code(channel, raw) -> tuple[str, str | None]:
    """A channel cell's code and, for an online platform named by the cell, the platform's name
    (RowReject when the channel is unknown). ``channel`` is the context's channel vocabulary."""
    code = channel("channel", raw)
    platform = None
    if code == "online":
        text = unicodedata.normalize("NFKC", cell_text(raw))
        platform = None if normalise_label(text) in _GENERIC_ONLINE else text[:64]
    return code, platform


def make_row(ctx: Context, pos: dict[str, int]):
    i_no, i_on, i_amt, i_kind, i_ch, i_dt, i_name, i_phone, i_prog = (pos[c.name] for c in COLUMNS)
    dates = ctx.dates
    date_cache = dates.cache
    channel, donor_type, kind = ctx.vocabs("channel", "donor_type", "donation_kind")
    pseudonym = ctx.pseudonym
    channels: dict[Any, tuple[str, str | None]] = {}
    donors: dict[tuple[Any, str], str] = {}

    def channel_of(raw) -> tuple[str, str | None]:
        code, platform = channel_code(channel, raw)
        if len(channels) < 10_000:
            channels[raw] = (code, platform)
        return code, platform

    def donor_of(name, phone_raw) -> str | None:
        # fast path: an 11-digit mobile as typed; anything else goes through phone_cell
        if phone_raw.__class__ is str and len(phone_raw) == 11 and phone_raw.isdecimal() and phone_raw.isascii():
            phone = phone_raw
        else:
            phone = phone_cell("donor_phone", phone_raw)
            if phone is None:
                return None
        k = (name, phone)
        p = donors.get(k)
        if p is None:
            p = pseudonym(name_text(name) + phone)
            if len(donors) > 100_000:
                donors.clear()
            donors[k] = p
        return p

    labels: dict[tuple, tuple] = {}  # (kind, channel, donor type, programme) cells -> codes

    def labels_of(r: list) -> tuple:
        k = r[i_kind]
        refund = not is_empty(k) and kind("kind", k, default="donation") == "refund"
        ch_raw = r[i_ch]
        ch, platform = channels.get(ch_raw) or channel_of(ch_raw)
        dtype = donor_type("donor_type", r[i_dt])
        prog = ctx.programme("programme", r[i_prog])
        if len(labels) > 10_000:
            labels.clear()
        labels[(k, ch_raw, r[i_dt], r[i_prog])] = found = (refund, ch, platform, dtype, prog)
        return found

    def row(r: list) -> list:
        receipt = r[i_no]
        if receipt.__class__ is str:
            receipt = receipt.strip()
            if len(receipt) <= 4 or len(receipt) > 64 or not receipt.isascii():  # "", "-", "n/a": empty
                receipt = text_cell("receipt_no", r[i_no], max_len=64)
        else:
            receipt = text_cell("receipt_no", receipt, max_len=64)
        v = r[i_on]
        on = date_cache.get(v) if v.__class__ is str else None
        if on is None:
            on = dates("donated_on", v)
        v = r[i_amt]
        fen = None
        if v.__class__ is str:
            whole, dot, frac = v.partition(".")
            if len(frac) == 2 and whole.isdecimal() and frac.isdecimal() and len(whole) <= 13:
                fen = int(whole + frac)  # the common "1234.50"
            elif not dot and whole.isdecimal() and len(whole) <= 13:
                fen = int(whole) * 100
        if fen is None:
            fen = amount_cell("amount", v)
        refund, ch, platform, dtype, prog = labels.get((r[i_kind], r[i_ch], r[i_dt], r[i_prog])) or labels_of(r)
        if refund:
            if fen >= 0:
                raise RowReject("amount", "refund_not_negative", v)
        elif fen <= 0:
            raise RowReject("amount", "negative_not_refund" if fen else "amount_not_positive", v)
        phone_raw = r[i_phone]
        donor = None if phone_raw is None or phone_raw == "" else donor_of(r[i_name], phone_raw)
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
    file_key=0,
    file_key_column="receipt_no",
)
