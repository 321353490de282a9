"""The demo data's vocabulary: countries, products, marketplaces and the merchant profiles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
