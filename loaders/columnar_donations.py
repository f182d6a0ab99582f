"""The donations rows of one batch a column at a time: the rows whose every cell has a common
shape are checked and turned into stored values here, with whole-column operations; every other
row is left to the donations row function (loaders/donations.py), which says why it is bad or
reads its rarer shapes. A row is taken here only when the row function would give the same
values and reject nothing, so the two paths load and reject the same rows.

The common shapes: a receipt of 5 to 64 printable ASCII characters without spaces; a date,
kind, channel, donor type or programme cell that the row function's own parsers accept (each
distinct cell is parsed once, by those parsers); an amount written ``1234`` or ``1234.50`` (ASCII
digits, at most 13 before the point); a donation (not a refund) with an amount above zero; a
phone left empty or written as 11 ASCII digits. Each donor (name, phone) is pseudonymised once,
by the same rule as the row function (HMAC over the NFKC name without spaces, then the phone)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.cells import is_empty
from loaders.donations import channel_code
from loaders.headers import HeaderMap
from loaders.kinds import Context
from loaders.messages import RowReject
from loaders.personal import name_text

RECEIPT = r"^[!-~]{5,64}$"  # stripped, ASCII, longer than an empty token: used as written
AMOUNT = r"^[0-9]{1,13}(\.[0-9]{2})?$"
PHONE = r"^[0-9]{11}$"
DONORS_CACHED = 500_000  # donors known across batches (~100 bytes each), forgotten when more


@dataclass
class Fast:
    """The batch's rows taken here (``index`` into the batch) and their stored values, each a
    list in the row function's output order."""

    index: np.ndarray
    receipt: list[str]
    programme: list[str]
    donated_on: list[str]
    amount_fen: list[int]
    channel: list[str]
    platform: list[str | None]
    donor_type: list[str]
    donor: np.ndarray  # per row: its donor's index in ``Donors``, -1 for none
    residue: np.ndarray  # the other non-blank rows: for the row function


def per_value(column: pa.Array, parse: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``parse`` of each distinct cell once: (ok per row, index of the row's cell, parsed values)."""
    encoded = pc.dictionary_encode(column)
    values = encoded.dictionary.to_pylist()
    parsed: list[Any] = []
    good = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        try:
            parsed.append(parse(v))
        except RowReject:
            parsed.append(None)
            good[i] = False
    index = encoded.indices.to_numpy(zero_copy_only=False)
    return good[index], index, parsed


def pick(values: list[Any], index: np.ndarray) -> list[Any]:
    return list(map(values.__getitem__, index.tolist()))


def matches(column: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(column, pattern).to_numpy(zero_copy_only=False)


class DonationColumns:
    """Splits each batch of a donations CSV into the rows checked here and the residue."""

    def __init__(self, ctx: Context, hmap: HeaderMap):
        self.ctx = ctx
        self.pos = hmap.positions
        self.width = hmap.width
        self.channel, self.donor_type, self.kind = ctx.vocabs("channel", "donor_type", "donation_kind")
        self.donors = Donors()

    def column(self, batch: pa.RecordBatch, name: str) -> pa.Array | None:
        at = self.pos[name]
        return batch.column(at) if at < self.width else None  # a missing column reads None

    def split(self, batch: pa.RecordBatch) -> Fast:
        n = batch.num_rows
        blank = np.ones(n, dtype=bool)
        for col in batch.columns:
            blank &= pc.equal(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)
        receipt = self.column(batch, "receipt_no")
        amount = self.column(batch, "amount")
        ok = matches(receipt, RECEIPT) & matches(amount, AMOUNT)
        ok_on, i_on, on = per_value(self.column(batch, "donated_on"), lambda v: self.ctx.dates("donated_on", v))
        ok &= ok_on
        kind = self.column(batch, "kind")
        if kind is not None:
            ok_kind, i_kind, refund = per_value(kind, self.refund)
            ok &= ok_kind & ~np.array([r is True for r in refund], dtype=bool)[i_kind]
        ok_ch, i_ch, channels = per_value(self.column(batch, "channel"), lambda v: channel_code(self.channel, v))
        ok_dt, i_dt, dtypes = per_value(self.column(batch, "donor_type"), lambda v: self.donor_type("donor_type", v))
        ok_pg, i_pg, progs = per_value(self.column(batch, "programme"), lambda v: self.ctx.programme("programme", v))
        ok &= ok_ch & ok_dt & ok_pg
        phone = self.column(batch, "donor_phone")
        if phone is not None:
            has_phone = pc.not_equal(pc.binary_length(phone), 0).to_numpy(zero_copy_only=False)
            ok &= ~has_phone | matches(phone, PHONE)
        # amounts: "1234.50" -> 123450, "1234" -> 123400; a donation's is above zero
        digits = pc.replace_substring(pc.if_else(pa.array(ok), amount, pa.scalar("0")), ".", "")
        fen = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
        dotted = pc.match_substring(amount, ".").to_numpy(zero_copy_only=False)
        fen = np.where(dotted, fen, fen * 100)
        ok &= fen > 0
        index = np.flatnonzero(ok)
        residue = np.flatnonzero(~ok & ~blank)
        ch = pick(channels, i_ch[index])
        return Fast(
            index=index,
            receipt=receipt.take(index).to_pylist(),
            programme=pick(progs, i_pg[index]),
            donated_on=pick(on, i_on[index]),
            amount_fen=fen[index].tolist(),
            channel=[c[0] for c in ch],
            platform=[c[1] for c in ch],
            donor_type=pick(dtypes, i_dt[index]),
            donor=self.donor_pseudonyms(batch, index, phone),
            residue=residue,
        )

    def refund(self, value: Any) -> bool:
        return not is_empty(value) and self.kind("kind", value, default="donation") == "refund"

    def donor_pseudonyms(self, batch: pa.RecordBatch, index: np.ndarray, phone: pa.Array | None) -> np.ndarray:
        """Each fast row's donor as an index into ``self.donors`` (-1 without a phone); a donor
        (name, phone) not met before is pseudonymised here, once."""
        donor = np.full(len(index), -1, dtype=np.int64)
        if phone is None or not len(index):
            return donor
        phone = phone.take(index)
        with_phone = np.flatnonzero(pc.not_equal(pc.binary_length(phone), 0).to_numpy(zero_copy_only=False))
        if not len(with_phone):
            return donor
        phones_enc = pc.dictionary_encode(phone.take(with_phone))
        phones = phones_enc.dictionary
        codes = phones_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        name = self.column(batch, "donor_name")
        if name is None:
            names = pa.array([""])
        else:
            names_enc = pc.dictionary_encode(name.take(index[with_phone]))
            names = names_enc.dictionary
            codes += names_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64) * len(phones)
        distinct, inverse = np.unique(codes, return_inverse=True)
        name_of, phone_of = names.take(distinct // len(phones)), phones.take(distinct % len(phones))
        donor[with_phone] = self.donors.find(name_of, phone_of, self.ctx.pseudonym)[inverse]
        return donor


class Donors:
    """The donors (name cell, phone) met in the file so far, with their pseudonym and, once
    written, their ``person.id``; looked up a batch at a time (a hash join in Arrow), so a
    donor is pseudonymised once however often they gave. Forgotten when ``DONORS_CACHED``."""

    def __init__(self) -> None:
        self.keys = pa.array([], pa.string())
        self.pseudonyms: list[str] = []
        self.ids = np.empty(0, dtype=np.int64)  # -1: not written yet

    def forget_if_full(self) -> None:
        if len(self.pseudonyms) > DONORS_CACHED:
            self.__init__()

    def find(self, names: pa.Array, phones: pa.Array, pseudonym: Callable[[str], str]) -> np.ndarray:
        """The index of each distinct (name, phone), new ones added. A phone here is 11 digits, so
        name + separator + phone is one key per pair."""
        keys = pc.binary_join_element_wise(names, phones, "\x1f")
        at = pc.index_in(keys, value_set=self.keys).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        new = np.flatnonzero(at < 0)
        if len(new):
            new_names = names.take(new).to_pylist()
            new_phones = phones.take(new).to_pylist()
            self.pseudonyms.extend(pseudonym(name_text(n) + p) for n, p in zip(new_names, new_phones, strict=True))
            at[new] = np.arange(len(self.keys), len(self.keys) + len(new))
            self.keys = pa.concat_arrays([self.keys, keys.take(new)])
            self.ids = np.concatenate([self.ids, np.full(len(new), -1, dtype=np.int64)])
        return at
