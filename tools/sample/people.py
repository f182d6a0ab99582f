"""Synthetic people: unique, well-formed names, ID numbers (valid GB 11643 check characters)
and mobile numbers, so the loaders' validation and pseudonymisation run as on real files."""

from __future__ import annotations

import datetime as dt

import numpy as np

from tools.sample.reference import PEOPLE

SURNAMES = list(PEOPLE["surnames"])
GIVEN = list(PEOPLE["given"])
MOBILE_PREFIXES: list[str] = PEOPLE["mobile_prefixes"]
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
        second = np.where(self.rng.random(n) < PEOPLE["second_given_share"], self.rng.choice(GIVEN, n), "")
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
        while len(out) < n:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{int(self.rng.integers(0, 10**8)):08d}"
            if number not in self.phones:
                self.phones.add(number)
                out.append(number)
        return out
