"""Deterministic random pieces of demo data: one Generator per merchant, and small helpers."""

from __future__ import annotations

import calendar
import functools
import itertools
import random
import unicodedata
import uuid
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from documents.demo.vocabulary import (
    BRAZIL,
    COMPANY_WORDS,
    PLN_PER,
    POLAND,
    PORTUGAL,
    UNITED_KINGDOM,
    Country,
)

CENT = Decimal("0.01")


# --- Small generators ---------------------------------------------------------------------


class Generator:
    """The seeded random source and the helpers that draw realistic values from it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def pick(self, seq: Sequence):
        return seq[int(self.rng.random() * len(seq))]

    def weighted(self, seq: Sequence, weights: Sequence[int]):
        cumulative = _cumulative(tuple(weights))
        return seq[bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def digits(self, pattern: str) -> str:
        """``#`` in the pattern becomes a random digit: ``"302-###"`` → ``"302-618"``."""
        groups = pattern.split("#")
        if len(groups) == 1:
            return pattern
        number = str(self.rng.getrandbits(64) % 10 ** (len(groups) - 1)).zfill(len(groups) - 1)
        return "".join(g + d for g, d in zip(groups, number + " ", strict=True)).rstrip(" ")

    def person(self, country: Country) -> str:
        first = self.pick(country.first_names)
        last = self.pick(country.last_names)
        if country is POLAND and first.endswith("a") and last.endswith("ski"):
            last = last[:-1] + "a"  # Polish feminine surname form
        return f"{first} {last}"

    def company(self, country: Country) -> str:
        return f"{self.pick(COMPANY_WORDS)} {self.pick(country.company_suffixes)}"

    def address(self, country: Country) -> tuple[str, str, str]:
        postcode, city = self.pick(country.cities)
        number = self.rng.randrange(1, 180)
        if country in (UNITED_KINGDOM,):
            street = f"{number} {self.pick(country.streets)}"
        elif country in (BRAZIL, PORTUGAL):
            street = f"{self.pick(country.streets)}, {number}"
        else:
            street = f"{self.pick(country.streets)} {number}"
            if self.rng.random() < 0.4:
                street += f"/{self.rng.randrange(1, 60)}"
        return street, postcode, city

    def email(self, name: str) -> str:
        local = ascii_only(name).lower().replace(" ", ".").replace("'", "")
        domain = self.pick(("example.com", "example.org", "example.net"))
        return f"{local}{self.rng.randrange(1, 99)}@{domain}"

    def money(self, pln_gross: Decimal, currency: str) -> Decimal:
        return (pln_gross / PLN_PER[currency]).quantize(CENT, ROUND_HALF_UP)


@functools.cache
def _cumulative(weights: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(itertools.accumulate(weights))


def ascii_only(text: str) -> str:
    """Letters without diacritics, for e-mail addresses and the hand-made PDF."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def seconds_ago(now: datetime, low: float, high: float, gen: Generator) -> datetime:
    return now - timedelta(seconds=int(gen.rng.uniform(low, high)))


def month_start(day: date, months_back: int) -> date:
    year, month = day.year, day.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def random_day_in_month(first: date, last_allowed: date, gen: Generator) -> date:
    days = calendar.monthrange(first.year, first.month)[1]
    last = min(first.replace(day=days), last_allowed)
    return first + timedelta(days=gen.rng.randrange((last - first).days + 1))


def spread_counts(total: int, buckets: int) -> list[int]:
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def batched(iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Sizes:
    orders: int
    orders_in_window: int
    status_days: int
    invoices: int
    invoices_this_month: int
    receipts: int
    receipts_this_month: int
    months: int
    api_invoices: int
    external_invoices: int


@dataclass
class OrderIndex:
    """Orders' creation days and ids, sorted, to link documents to a plausible order."""

    days: list[date]
    ids: list[int]

    def near(self, day: date, gen: Generator) -> int | None:
        position = bisect_right(self.days, day)
        if position == 0:
            return None
        return self.ids[gen.rng.randrange(max(0, position - 20), position)]
