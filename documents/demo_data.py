"""Deterministic demo data: merchants with orders, invoices and receipts.

``seed()`` is what ``manage.py seed_demo``, the tests and the benchmarks call. The same
arguments (including ``seed`` and ``now``) always produce the same rows, uuids included; only
database ids, password salts and the ``created_at``/``updated_at`` stamps that Django sets on
insert differ between runs.

Shape of the data, relative to ``now``:

- each merchant has its own status list (New, Paid, Shipped, Delivered, Cancelled, in its
  language); ``status_changed_at`` spreads over the last ``status_days`` days, and exactly
  ``orders_in_window`` orders changed status within the last 30 days (the backup's window);
- invoices and receipts spread over this month and the ``months`` previous months, with
  ``invoices_this_month``/``receipts_this_month`` of them issued this month (up to today);
  numbers run per month in issue order: ``FV 12/11/2026``, ``PAR 5/11/2026``;
- ``api_invoices`` of this month's invoices came in through the API with a small real PDF;
  ``external_invoices`` more, issued by an external accounting system, sit in earlier months.

Rows are written with ``bulk_create`` in batches inside one transaction, so 100,000 orders
with their items take seconds, not minutes.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import itertools
import random
import unicodedata
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections, models, router, transaction
from django.utils import timezone

from accounts.models import Merchant, User
from documents.models import (
    ApiInvoicePdf,
    Invoice,
    InvoiceItem,
    Order,
    OrderItem,
    OrderStatus,
    Receipt,
    ReceiptItem,
)

DEFAULT_SEED = 20261123
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"  # printed by `make run`; demo data only
BATCH_SIZE = 2000
CENT = Decimal("0.01")


def merchant_email(index: int) -> str:
    """E-mail of the n-th demo merchant's user (0 is the demo merchant)."""
    return DEMO_EMAIL if index == 0 else f"merchant{index + 1}@example.com"


# --- Vocabulary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (postcode, city)
    company_suffixes: tuple[str, ...]
    phone_format: str
    tax_id_format: str


# fmt: off
POLAND = Country(
    code="PL",
    first_names=("Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Joanna", "Ewa",
                 "Magdalena", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Łukasz", "Michał",
                 "Jakub", "Grzegorz"),
    last_names=("Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Zając", "Król",
                "Wieczorek", "Dąbrowski", "Lewandowski", "Kamiński", "Szymański", "Kozłowski"),
    streets=("ul. Marszałkowska", "ul. Piotrkowska", "ul. Długa", "ul. Świętokrzyska",
             "ul. Mickiewicza", "ul. Słowackiego", "al. Jerozolimskie", "ul. Żeromskiego"),
    cities=(("00-001", "Warszawa"), ("30-002", "Kraków"), ("90-004", "Łódź"),
            ("50-005", "Wrocław"), ("61-006", "Poznań"), ("80-007", "Gdańsk"),
            ("70-008", "Szczecin"), ("20-009", "Lublin"), ("40-010", "Katowice")),
    company_suffixes=("sp. z o.o.", "S.A.", "s.c.", "sp.j."),
    phone_format="+48 5## ### ###",
    tax_id_format="PL##########",
)
BRAZIL = Country(
    code="BR",
    first_names=("João", "Maria", "Ana", "Pedro", "Lucas", "Fernanda", "Juliana", "Gabriel",
                 "Beatriz", "Rafael", "Letícia", "Tiago", "Conceição", "Sebastião"),
    last_names=("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues",
                "Almeida", "Gonçalves", "Araújo", "Ribeiro", "Carvalho", "Magalhães", "Simões"),
    streets=("Rua Augusta", "Avenida Paulista", "Rua das Flores", "Rua São João",
             "Avenida Atlântica", "Rua da Consolação", "Rua XV de Novembro"),
    cities=(("01310-100", "São Paulo"), ("22021-001", "Rio de Janeiro"),
            ("30130-010", "Belo Horizonte"), ("80010-000", "Curitiba"),
            ("90010-150", "Porto Alegre"), ("40020-000", "Salvador"), ("60060-440", "Fortaleza")),
    company_suffixes=("Ltda.", "S.A.", "ME", "EIRELI"),
    phone_format="+55 11 9####-####",
    tax_id_format="##.###.###/0001-##",
)
PORTUGAL = Country(
    code="PT",
    first_names=("Inês", "Beatriz", "Leonor", "Tomás", "Duarte", "Gonçalo", "Mariana", "Rui"),
    last_names=("Ferreira", "Fernandes", "Marques", "Sousa", "Lopes", "Gomes", "Martins"),
    streets=("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Rua do Carmo"),
    cities=(("1100-048", "Lisboa"), ("4000-442", "Porto"), ("3000-143", "Coimbra")),
    company_suffixes=("Lda.", "S.A.", "Unipessoal Lda."),
    phone_format="+351 91# ### ###",
    tax_id_format="PT#########",
)
UNITED_KINGDOM = Country(
    code="GB",
    first_names=("James", "Oliver", "Harry", "George", "Jack", "Olivia", "Amelia", "Isla",
                 "Emily", "Sophie", "Charlotte", "William", "Thomas", "Grace"),
    last_names=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                "Evans", "Walker", "Wright", "Thompson", "O'Brien", "Hughes"),
    streets=("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"),
    cities=(("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1AA", "Birmingham"),
            ("LS1 1UR", "Leeds"), ("EH1 1YZ", "Edinburgh"), ("BS1 4DJ", "Bristol")),
    company_suffixes=("Ltd", "LLP", "plc"),
    phone_format="+44 7### ######",
    tax_id_format="GB#########",
)
GERMANY = Country(
    code="DE",
    first_names=("Lukas", "Leon", "Hannah", "Lena", "Jürgen", "Sabine", "Felix", "Jörg"),
    last_names=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Schäfer"),
    streets=("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße"),
    cities=(("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg"), ("50667", "Köln")),
    company_suffixes=("GmbH", "AG", "KG"),
    phone_format="+49 15# ########",
    tax_id_format="DE#########",
)

COMPANY_WORDS = (
    "Nova", "Baltic", "Atlântico", "Vistula", "Horizon", "Zielona Dolina", "Sol Nascente",
    "Northbridge", "Mazowsze", "Tropical", "Greenfield", "Kwadrat", "Estrela", "Meridian",
)
# fmt: on


@dataclass(frozen=True)
class Product:
    name: str
    sku: str
    price: Decimal  # gross, in PLN; converted per currency
    vat: Decimal


# fmt: off
PRODUCTS: tuple[Product, ...] = tuple(
    Product(name, sku, Decimal(price), Decimal(vat))
    for name, sku, price, vat in (
        ("Kubek ceramiczny 350 ml", "KUB-350", "29.90", "23"),
        ("Koszulka bawełniana, rozmiar M", "TSH-M-BLK", "59.00", "23"),
        ("Słuchawki bezprzewodowe BT-200", "BT-200", "199.99", "23"),
        ("Ładowarka USB-C 65 W", "USBC-65", "119.00", "23"),
        ("Herbata zielona liściasta 100 g", "HER-100", "24.50", "5"),
        ("Książka: Wiedźmin. Ostatnie życzenie", "BK-9788375", "44.90", "5"),
        ("Caneca térmica inox 500 ml", "CAN-500", "89.90", "23"),
        ("Camiseta algodão orgânico", "CAM-ORG-G", "79.00", "23"),
        ("Café em grão torra média 1 kg", "CAF-1KG", "64.00", "8"),
        ("Capa de telemóvel em silicone", "CAPA-SIL", "39.90", "23"),
        ("Wireless mouse, graphite", "WM-100-GR", "69.00", "23"),
        ("Mechanical keyboard, UK layout", "KB-UK-87", "349.00", "23"),
        ("Stainless steel water bottle 750 ml", "BTL-750", "54.90", "23"),
        ("Notebook A5, dotted, 120 pages", "NB-A5-DOT", "19.90", "23"),
        ("LED desk lamp with dimmer", "LMP-LED-D", "129.00", "23"),
        ("Yoga mat 6 mm", "YOGA-6", "89.00", "23"),
        ("Children's puzzle 500 pieces", "PZL-500", "49.99", "8"),
        ("Organic honey 400 g", "HON-400", "32.00", "5"),
    )
)

# PLN per unit of the currency, to keep prices plausible across currencies.
PLN_PER = {"PLN": Decimal("1"), "EUR": Decimal("4.30"), "GBP": Decimal("5.05"),
           "BRL": Decimal("0.80")}
# fmt: on


@dataclass(frozen=True)
class Marketplace:
    name: str
    external_id_format: str
    weight: int


@dataclass(frozen=True)
class Profile:
    """What kind of business a demo merchant is."""

    name: str
    street: str
    postcode_city: str
    tax_id: str
    statuses: tuple[str, str, str, str, str]  # new, paid, shipped, delivered, cancelled
    marketplaces: tuple[Marketplace, ...]
    markets: tuple[tuple[str, Country, int], ...]  # (currency, buyer country, weight)
    payment_methods: tuple[str, ...]
    delivery_methods: tuple[str, ...]
    # Of its prints and e-mails (Merchant.language).
    language: str = "en"
    # Of the invoice lines ("szt.", the Polish abbreviation for pieces).
    unit: str = "pcs"
    # Of the panel's times and the backups' night (Merchant.time_zone).
    time_zone: str = "Europe/Warsaw"


# fmt: off
PROFILES: tuple[Profile, ...] = (
    Profile(
        name="Sklep Demo sp. z o.o.",
        street="ul. Marszałkowska 10/4",
        postcode_city="00-590 Warszawa",
        tax_id="PL5252812345",
        statuses=("Nowe", "Opłacone", "Wysłane", "Dostarczone", "Anulowane"),
        marketplaces=(Marketplace("Allegro", "##########", 50),
                      Marketplace("Amazon.de", "302-#######-#######", 15),
                      Marketplace("eBay", "##-#####-#####", 10),
                      Marketplace("Sklep internetowy", "WWW/#####", 25)),
        markets=(("PLN", POLAND, 70), ("EUR", GERMANY, 12), ("EUR", PORTUGAL, 5),
                 ("GBP", UNITED_KINGDOM, 8), ("BRL", BRAZIL, 5)),
        payment_methods=("Przelewy24", "PayU", "Przelew bankowy", "Za pobraniem", "PayPal"),
        delivery_methods=("InPost Paczkomat", "DPD", "DHL Express", "Allegro One Box",
                          "Poczta Polska"),
        language="pl",
        unit="szt.",
    ),
    Profile(
        name="Loja Exemplo Comércio Ltda.",
        street="Rua Augusta 1500, sala 12",
        postcode_city="01304-001 São Paulo",
        tax_id="12.345.678/0001-90",
        statuses=("Novo", "Pago", "Enviado", "Entregue", "Cancelado"),
        marketplaces=(Marketplace("Mercado Livre", "2000#########", 45),
                      Marketplace("Amazon.com.br", "701-#######-#######", 20),
                      Marketplace("Loja própria", "LOJA-#####", 35)),
        markets=(("BRL", BRAZIL, 85), ("EUR", PORTUGAL, 15)),
        payment_methods=("Pix", "Cartão de crédito", "Boleto", "PayPal"),
        delivery_methods=("Correios SEDEX", "Correios PAC", "Jadlog", "CTT Expresso"),
        language="pt-br",
        time_zone="America/Sao_Paulo",
    ),
    Profile(
        name="Northbridge Trading Ltd",
        street="12 High Street",
        postcode_city="BS1 4DJ Bristol",
        tax_id="GB123456789",
        statuses=("New", "Paid", "Shipped", "Delivered", "Cancelled"),
        marketplaces=(Marketplace("Amazon.co.uk", "203-#######-#######", 40),
                      Marketplace("eBay", "##-#####-#####", 30),
                      Marketplace("Own shop", "NB#####", 30)),
        markets=(("GBP", UNITED_KINGDOM, 75), ("EUR", GERMANY, 15), ("PLN", POLAND, 10)),
        payment_methods=("Card", "PayPal", "Bank transfer", "Klarna"),
        delivery_methods=("Royal Mail Tracked 48", "DPD", "Evri", "DHL Express"),
        time_zone="Europe/London",
    ),
)
# fmt: on


# Share of orders per status position among orders whose status changed more than 3 days
# ago; recent ones are mostly new or paid.
OLD_STATUS_WEIGHTS = (2, 4, 14, 70, 10)
RECENT_STATUS_WEIGHTS = (40, 35, 20, 3, 2)


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


# --- Fast inserts -------------------------------------------------------------------------


def _db_converter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How to turn a Python value of this field into a database parameter (None: as is)."""
    ops = connection.ops
    if isinstance(field, models.UUIDField) and not connection.features.has_native_uuid_field:
        return lambda value: value.hex
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return None


def insert_rows(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERT plain model instances with one executemany.

    About three times cheaper than ``bulk_create`` for wide rows, which compiles every value
    through the ORM. Only for the simple field types of the order tables; primary keys are
    not set on the instances. No signals, like ``bulk_create``.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamp = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objects:
                setattr(obj, f.attname, stamp)
    converters = [_db_converter(f, connection) for f in fields]
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - names from model metadata
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    placeholders = "({})".format(", ".join(["%s"] * len(fields)))
    rows = []
    for obj in objects:
        values = obj.__dict__
        rows.append(
            tuple(
                value if convert is None or value is None else convert(value)
                for value, convert in zip((values[a] for a in attnames), converters, strict=True)
            )
        )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            # psycopg 3: COPY is several times faster than one INSERT per row.
            columns = ", ".join(quote(f.column) for f in fields)
            table = quote(model._meta.db_table)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(head + placeholders, rows)


# --- A tiny valid PDF ---------------------------------------------------------------------


def minimal_pdf(lines: Sequence[str]) -> bytes:
    """A one-page A4 PDF with the given lines in Helvetica; small, valid, readable by pypdf."""

    def escape(text: str) -> str:
        return ascii_only(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for i, line in enumerate(lines):
        if i == 0:
            text_ops += ["/F1 16 Tf", f"({escape(line)}) Tj", "/F1 11 Tf", "T*", "T*"]
        else:
            text_ops += [f"({escape(line)}) Tj", "T*"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


# --- Seeding ------------------------------------------------------------------------------


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


def seed(
    *,
    merchants: int = 3,
    orders: int = 300,
    invoices: int = 60,
    receipts: int = 30,
    months: int = 3,
    invoices_this_month: int | None = None,
    receipts_this_month: int | None = None,
    orders_in_window: int | None = None,
    status_days: int = 60,
    api_invoices: int = 3,
    external_invoices: int = 3,
    external_accounting_merchants: Sequence[int] = (),
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    password: str = DEMO_PASSWORD,
    first_index: int = 0,
) -> list[Merchant]:
    """Create ``merchants`` demo merchants with their data; return them.

    Counts are per merchant. ``invoices`` counts the invoices kept by the platform (issued in
    the panel or sent through the API); ``external_invoices`` come on top. Defaults for the
    "this month" counts and the 30-day order window are proportional shares.
    ``external_accounting_merchants`` lists merchant indexes whose invoices all come from an
    external accounting system (S11: nothing to back up). ``first_index`` lets callers add
    merchants after existing ones (``merchant{n}@example.com``).
    """
    now = now or timezone.now()
    sizes = _sizes(
        orders=orders,
        orders_in_window=orders_in_window,
        status_days=status_days,
        invoices=invoices,
        invoices_this_month=invoices_this_month,
        receipts=receipts,
        receipts_this_month=receipts_this_month,
        months=months,
        api_invoices=api_invoices,
        external_invoices=external_invoices,
    )
    password_hash = make_password(password)  # hashed once: hashing is slow by design
    created = []
    with transaction.atomic():
        for index in range(first_index, first_index + merchants):
            gen = Generator(seed * 1_000_003 + index)
            external = index in external_accounting_merchants
            created.append(_seed_merchant(index, gen, sizes, now, password_hash, external))
    return created


def _sizes(**kw) -> Sizes:
    for name, value in kw.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    if kw["status_days"] <= settings.BACKUP_ORDERS_WINDOW_DAYS:
        raise ValueError("status_days must be longer than the backup's order window")
    window_share = settings.BACKUP_ORDERS_WINDOW_DAYS / kw["status_days"]
    orders_in_window = kw["orders_in_window"]
    if orders_in_window is None:
        orders_in_window = round(kw["orders"] * window_share)
    share_this_month = 1 / (kw["months"] + 1)
    invoices_this_month = kw["invoices_this_month"]
    if invoices_this_month is None:
        invoices_this_month = max(round(kw["invoices"] * share_this_month), kw["api_invoices"])
    receipts_this_month = kw["receipts_this_month"]
    if receipts_this_month is None:
        receipts_this_month = round(kw["receipts"] * share_this_month)
    if kw["months"] == 0:
        invoices_this_month, receipts_this_month = kw["invoices"], kw["receipts"]
    checks = (
        (orders_in_window, kw["orders"], "orders_in_window"),
        (invoices_this_month, kw["invoices"], "invoices_this_month"),
        (receipts_this_month, kw["receipts"], "receipts_this_month"),
        (kw["api_invoices"], invoices_this_month, "api_invoices (placed this month)"),
    )
    for part, whole, name in checks:
        if part > whole:
            raise ValueError(f"{name} ({part}) exceeds its total ({whole})")
    return Sizes(
        orders=kw["orders"],
        orders_in_window=orders_in_window,
        status_days=kw["status_days"],
        invoices=kw["invoices"],
        invoices_this_month=invoices_this_month,
        receipts=kw["receipts"],
        receipts_this_month=receipts_this_month,
        months=kw["months"],
        api_invoices=kw["api_invoices"],
        external_invoices=kw["external_invoices"],
    )


def _seed_merchant(
    index: int, gen: Generator, sizes: Sizes, now: datetime, password_hash: str, external: bool
) -> Merchant:
    profile = PROFILES[index % len(PROFILES)]
    name = profile.name if index < len(PROFILES) else f"{profile.name} #{index + 1}"
    merchant = Merchant.objects.create(
        name=name,
        external_accounting_enabled=external,
        language=profile.language,
        time_zone=profile.time_zone,
    )
    email = merchant_email(index)
    User.objects.create(email=email, username=email, password=password_hash, merchant=merchant)
    statuses = [
        OrderStatus(merchant=merchant, name=status_name, position=position)
        for position, status_name in enumerate(profile.statuses)
    ]
    OrderStatus.objects.bulk_create(statuses)
    statuses = list(OrderStatus.objects.filter(merchant=merchant).order_by("position"))

    order_index = _seed_orders(merchant, profile, statuses, gen, sizes, now)
    _seed_invoices(merchant, profile, gen, sizes, now, order_index, external)
    _seed_receipts(merchant, profile, gen, sizes, now, order_index)
    return merchant


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


def _seed_orders(
    merchant: Merchant,
    profile: Profile,
    statuses: list[OrderStatus],
    gen: Generator,
    sizes: Sizes,
    now: datetime,
) -> OrderIndex:
    window = settings.BACKUP_ORDERS_WINDOW_DAYS * 86400
    # A margin on both sides of the window's edge keeps the count exact for a run a little
    # after `now`.
    in_window = (60, window - 3600)
    before_window = (window + 3600, sizes.status_days * 86400)
    pairs: list[tuple[datetime, int]] = []

    def build() -> Iterator[tuple[Order, list[OrderItem]]]:
        for i in range(sizes.orders):
            span = in_window if i < sizes.orders_in_window else before_window
            yield _build_order(merchant, profile, statuses, gen, now, span)

    for batch in batched(build(), BATCH_SIZE):
        orders = [order for order, _ in batch]
        insert_rows(Order, orders)
        ids = dict(
            Order.objects.filter(uuid__in=[o.uuid for o in orders]).values_list("uuid", "pk")
        )
        for order in orders:
            order.pk = ids[order.uuid]
        items = []
        for order, order_items in batch:
            for item in order_items:
                item.order_id = order.pk
                items.append(item)
            pairs.append((order.created_at, order.pk))
        insert_rows(OrderItem, items)
    pairs.sort()
    return OrderIndex(days=[timezone.localdate(c) for c, _ in pairs], ids=[p for _, p in pairs])


def _build_order(
    merchant: Merchant,
    profile: Profile,
    statuses: list[OrderStatus],
    gen: Generator,
    now: datetime,
    span: tuple[int, int],
) -> tuple[Order, list[OrderItem]]:
    changed_at = seconds_ago(now, *span, gen)
    recent = now - changed_at < timedelta(days=3)
    status = gen.weighted(statuses, RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
    if status.position == 0:
        created_at = changed_at
    else:
        created_at = changed_at - timedelta(seconds=gen.rng.randrange(600, 14 * 86400))
    marketplace = gen.weighted(profile.marketplaces, [m.weight for m in profile.marketplaces])
    currency, country, _ = gen.weighted(profile.markets, [m[2] for m in profile.markets])
    buyer = gen.person(country)
    street, postcode, city = gen.address(country)
    company = gen.company(country) if gen.rng.random() < 0.2 else ""
    items = []
    for _ in range(gen.weighted((1, 2, 3, 4), (55, 28, 12, 5))):
        product = gen.pick(PRODUCTS)
        items.append(
            OrderItem(
                name=product.name,
                sku=product.sku,
                quantity=Decimal(gen.weighted((1, 2, 3, 5), (75, 17, 6, 2))),
                unit_price_gross=gen.money(product.price, currency),
                vat_rate=product.vat,
            )
        )
    delivery_price = gen.money(
        Decimal(gen.pick(("0", "9.99", "12.99", "16.50", "24.00"))), currency
    )
    total = sum((i.quantity * i.unit_price_gross for i in items), Decimal("0")) + delivery_price
    cancelled = status.position == 4
    paid = Decimal("0") if cancelled or status.position == 0 else total
    order = Order(
        merchant=merchant,
        uuid=gen.uuid(),
        source=marketplace.name,
        external_id=gen.digits(marketplace.external_id_format),
        created_at=created_at,
        status=status,
        status_changed_at=changed_at,
        buyer_name=buyer,
        buyer_email=gen.email(buyer),
        buyer_phone=gen.digits(country.phone_format),
        buyer_company=company,
        buyer_tax_id=gen.digits(country.tax_id_format) if company else "",
        delivery_name=buyer,
        delivery_company=company,
        delivery_street=street,
        delivery_postcode=postcode,
        delivery_city=city,
        delivery_country=country.code,
        invoice_name=buyer,
        invoice_company=company,
        invoice_street=street,
        invoice_postcode=postcode,
        invoice_city=city,
        invoice_country=country.code,
        payment_method=gen.pick(profile.payment_methods),
        delivery_method=gen.pick(profile.delivery_methods),
        delivery_price=delivery_price,
        currency=currency,
        total_gross=total,
        paid=paid,
    )
    return order, items


def _document_days(
    gen: Generator, today: date, total: int, this_month: int, months: int
) -> list[date]:
    first_this_month = today.replace(day=1)
    days = [random_day_in_month(first_this_month, today, gen) for _ in range(this_month)]
    earlier = total - this_month
    if months and earlier:
        for months_back, count in enumerate(spread_counts(earlier, months), start=1):
            first = month_start(today, months_back)
            days += [random_day_in_month(first, today, gen) for _ in range(count)]
    return days


def _numbered(prefix: str, days: list[date]) -> list[tuple[date, str]]:
    """Number documents per month in issue order: ``FV 1/11/2026``, ``FV 2/11/2026``..."""
    numbered = []
    sequence: dict[tuple[int, int], int] = {}
    for day in sorted(days):
        key = (day.year, day.month)
        sequence[key] = sequence.get(key, 0) + 1
        numbered.append((day, f"{prefix} {sequence[key]}/{day.month:02d}/{day.year}"))
    return numbered


def _party(gen: Generator, profile: Profile, company_share: float) -> tuple[str, str, str, str]:
    """Name, address, tax id and currency of a buyer."""
    currency, country, _ = gen.weighted(profile.markets, [m[2] for m in profile.markets])
    street, postcode, city = gen.address(country)
    if gen.rng.random() < company_share:
        name = gen.company(country)
        tax_id = gen.digits(country.tax_id_format)
    else:
        name, tax_id = gen.person(country), ""
    return name, f"{street}\n{postcode} {city}\n{country.code}", tax_id, currency


def _seed_invoices(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    sizes: Sizes,
    now: datetime,
    order_index: OrderIndex,
    external_only: bool,
) -> None:
    today = timezone.localdate(now)
    kept_days = _document_days(gen, today, sizes.invoices, sizes.invoices_this_month, sizes.months)
    this_month = today.replace(day=1)
    # External invoices sit in earlier months so that "this month" counts what can be backed up.
    external_days = _document_days(
        gen,
        today,
        sizes.external_invoices,
        0 if sizes.months else sizes.external_invoices,
        sizes.months,
    )
    sources = {}
    api_left = 0 if external_only else sizes.api_invoices
    tagged = [(d, "kept") for d in kept_days] + [(d, "external") for d in external_days]
    tagged.sort(key=lambda pair: (pair[0], pair[1]))
    numbered = _numbered("FV", [d for d, _ in tagged])
    kinds = [kind for _, kind in tagged]
    # The API invoices are the last ones of this month: the demo's first backup takes them.
    for position in range(len(numbered) - 1, -1, -1):
        day, _ = numbered[position]
        if external_only or kinds[position] == "external":
            sources[position] = Invoice.Source.EXTERNAL
        elif api_left and day >= this_month:
            sources[position] = Invoice.Source.API
            api_left -= 1
        else:
            sources[position] = Invoice.Source.PLATFORM

    invoices, all_items, pdfs = [], [], []
    for position, (day, number) in enumerate(numbered):
        invoice, items = _build_invoice(merchant, profile, gen, day, number, order_index)
        invoice.source = sources[position]
        invoices.append(invoice)
        all_items.append(items)
    for batch in batched(range(len(invoices)), BATCH_SIZE):
        Invoice.objects.bulk_create([invoices[i] for i in batch])
    items_to_create = []
    for invoice, items in zip(invoices, all_items, strict=True):
        for item in items:
            item.invoice_id = invoice.pk
            items_to_create.append(item)
        if invoice.source == Invoice.Source.API:
            pdfs.append(_api_pdf(invoice, items))
    InvoiceItem.objects.bulk_create(items_to_create, batch_size=BATCH_SIZE)
    ApiInvoicePdf.objects.bulk_create(pdfs)


def _build_invoice(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    day: date,
    number: str,
    order_index: OrderIndex,
) -> tuple[Invoice, list[InvoiceItem]]:
    buyer, address, tax_id, currency = _party(gen, profile, company_share=0.6)
    items = []
    for _ in range(gen.weighted((1, 2, 3, 5), (45, 30, 18, 7))):
        product = gen.pick(PRODUCTS)
        quantity = Decimal(gen.weighted((1, 2, 4, 10), (60, 20, 12, 8)))
        gross_unit = gen.money(product.price, currency)
        net_unit = (gross_unit * 100 / (100 + product.vat)).quantize(CENT, ROUND_HALF_UP)
        net = (net_unit * quantity).quantize(CENT, ROUND_HALF_UP)
        gross = (net * (100 + product.vat) / 100).quantize(CENT, ROUND_HALF_UP)
        items.append(
            InvoiceItem(
                name=product.name,
                quantity=quantity,
                unit=profile.unit,
                unit_price_net=net_unit,
                vat_rate=product.vat,
                total_net=net,
                total_gross=gross,
            )
        )
    sale_date = day - timedelta(days=gen.rng.randrange(0, 3))
    invoice = Invoice(
        merchant=merchant,
        uuid=gen.uuid(),
        number=number,
        issue_date=day,
        sale_date=sale_date,
        currency=currency,
        total_net=sum((i.total_net for i in items), Decimal("0")),
        total_gross=sum((i.total_gross for i in items), Decimal("0")),
        order_id=order_index.near(day, gen),
        seller_name=profile.name,
        seller_address=f"{profile.street}\n{profile.postcode_city}",
        seller_tax_id=profile.tax_id,
        buyer_name=buyer,
        buyer_address=address,
        buyer_tax_id=tax_id,
        payment_method=gen.pick(profile.payment_methods),
        payment_due=day + timedelta(days=gen.pick((0, 7, 14, 30))),
    )
    return invoice, items


def _api_pdf(invoice: Invoice, items: list[InvoiceItem]) -> ApiInvoicePdf:
    lines = [
        f"Invoice {invoice.number}",
        f"Issue date: {invoice.issue_date:%Y-%m-%d}   Sale date: {invoice.sale_date:%Y-%m-%d}",
        f"Seller: {invoice.seller_name}, {invoice.seller_tax_id}",
        f"Buyer: {invoice.buyer_name} {invoice.buyer_tax_id}".rstrip(),
        "",
    ]
    lines += [f"{i.quantity:g} x {i.name}: {i.total_gross} {invoice.currency}" for i in items]
    lines += [
        "",
        f"Total: {invoice.total_gross} {invoice.currency}",
        "Issued by the merchant's own system.",
    ]
    content = minimal_pdf(lines)
    return ApiInvoicePdf(
        invoice=invoice,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def _seed_receipts(
    merchant: Merchant,
    profile: Profile,
    gen: Generator,
    sizes: Sizes,
    now: datetime,
    order_index: OrderIndex,
) -> None:
    today = timezone.localdate(now)
    days = _document_days(gen, today, sizes.receipts, sizes.receipts_this_month, sizes.months)
    receipts, all_items = [], []
    for day, number in _numbered("PAR", days):
        buyer, address, _, currency = _party(gen, profile, company_share=0.0)
        items = []
        for _ in range(gen.weighted((1, 2, 3), (60, 30, 10))):
            product = gen.pick(PRODUCTS)
            quantity = Decimal(gen.weighted((1, 2, 3), (80, 15, 5)))
            unit = gen.money(product.price, currency)
            items.append(
                ReceiptItem(
                    name=product.name,
                    quantity=quantity,
                    unit_price_gross=unit,
                    vat_rate=product.vat,
                    total_gross=(unit * quantity).quantize(CENT),
                )
            )
        gross = sum((i.total_gross for i in items), Decimal("0"))
        net = sum(
            (
                (i.total_gross * 100 / (100 + i.vat_rate)).quantize(CENT, ROUND_HALF_UP)
                for i in items
            ),
            Decimal("0"),
        )
        receipts.append(
            Receipt(
                merchant=merchant,
                uuid=gen.uuid(),
                number=number,
                issue_date=day,
                currency=currency,
                total_net=net,
                total_gross=gross,
                order_id=order_index.near(day, gen),
                seller_name=profile.name,
                seller_address=f"{profile.street}\n{profile.postcode_city}",
                seller_tax_id=profile.tax_id,
                buyer_name=buyer,
                buyer_address=address,
                payment_method=gen.pick(profile.payment_methods),
            )
        )
        all_items.append(items)
    Receipt.objects.bulk_create(receipts, batch_size=BATCH_SIZE)
    items_to_create = []
    for receipt, items in zip(receipts, all_items, strict=True):
        for item in items:
            item.receipt_id = receipt.pk
            items_to_create.append(item)
    ReceiptItem.objects.bulk_create(items_to_create, batch_size=BATCH_SIZE)
