"""Every merchant-facing page: anonymous users log in, staff without a merchant get a clear
page, another merchant's object is a 404 and lists never show another merchant's rows."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests.factories import make_invoice, make_merchant, make_order, make_receipt

pytestmark = pytest.mark.django_db

PUBLIC = {
    "accounts:login",
    "accounts:signup",
    "accounts:signup_sent",
    "accounts:signup_confirm",
    "accounts:logout",
}
LISTS = ["documents:orders", "documents:invoices", "documents:receipts", "accounts:settings"]
# Views taking the pk of one of the merchant's objects, and how to make that object.
OBJECT_VIEWS = {
    "documents:order_detail": make_order,
    "documents:invoice_print": make_invoice,
    "documents:invoice_pdf": make_invoice,
    "documents:receipt_print": make_receipt,
    "documents:receipt_pdf": make_receipt,
}
POST_ONLY = {"accounts:rotate_api_token"}


def named_patterns(namespace: str) -> set[str]:
    resolver = get_resolver()
    names: set[str] = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or prefix
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name and prefix == namespace:
                names.add(f"{namespace}:{pattern.name}")

    walk(resolver.url_patterns, None)
    return names


def test_every_view_of_accounts_and_documents_is_covered_here():
    names = named_patterns("accounts") | named_patterns("documents")
    covered = PUBLIC | set(LISTS) | set(OBJECT_VIEWS) | POST_ONLY
    assert names - covered == set(), "add the new view to the tenancy tests"


def existing(names):
    available = named_patterns("accounts") | named_patterns("documents")
    return [name for name in names if name in available]


@pytest.fixture
def two_merchants():
    mine, me = make_merchant(name="Mine Ltd")
    theirs, _ = make_merchant(name="Theirs GmbH")
    return mine, me, theirs


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_users_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(OBJECT_VIEWS))
def test_anonymous_users_are_sent_to_log_in_from_object_views(client, name):
    if not existing([name]):
        pytest.skip(f"{name} is not routed")
    merchant, _ = make_merchant()
    obj = OBJECT_VIEWS[name](merchant)

    response = client.get(reverse(name, args=[obj.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", LISTS + sorted(POST_ONLY))
def test_staff_without_merchant_get_a_clear_page(client, name):
    staff = User.objects.create_user(email="staff@example.com", password="x", is_staff=True)
    client.force_login(staff)

    response = client.post(reverse(name)) if name in POST_ONLY else client.get(reverse(name))

    assert response.status_code == 403
    assert "no merchant account" in response.content.decode()


@pytest.mark.parametrize("name", sorted(OBJECT_VIEWS))
def test_another_merchants_object_is_not_found(client, two_merchants, name):
    if not existing([name]):
        pytest.skip(f"{name} is not routed")
    _, me, theirs = two_merchants
    foreign = OBJECT_VIEWS[name](theirs)
    client.force_login(me)

    response = client.get(reverse(name, args=[foreign.pk]))

    assert response.status_code == 404


def test_own_order_detail_is_shown(client, two_merchants):
    mine, me, theirs = two_merchants
    order = make_order(mine, buyer_name="Zofia Wójcik")
    make_invoice(mine, number="FV 7/11/2026", order=order)
    make_invoice(theirs, number="FV 8/11/2026", order=order)  # a wrong link must not leak
    client.force_login(me)

    page = client.get(reverse("documents:order_detail", args=[order.pk])).content.decode()

    assert "Zofia Wójcik" in page
    assert "FV 7/11/2026" in page
    assert "FV 8/11/2026" not in page


@pytest.mark.parametrize(
    ("name", "maker", "marker"),
    [
        ("documents:orders", make_order, "buyer_name"),
        ("documents:invoices", make_invoice, "buyer_name"),
        ("documents:receipts", make_receipt, "buyer_name"),
    ],
)
def test_lists_show_only_the_own_merchants_rows(client, two_merchants, name, maker, marker):
    mine, me, theirs = two_merchants
    maker(mine, **{marker: "Visible Buyer"})
    maker(theirs, **{marker: "Hidden Buyer"})
    client.force_login(me)

    response = client.get(reverse(name))

    page = response.content.decode()
    assert "Visible Buyer" in page
    assert "Hidden Buyer" not in page
    assert response.context["paginator"].count == 1


def test_settings_page_shows_only_the_own_merchant(client, two_merchants):
    _, me, theirs = two_merchants
    theirs.rotate_api_token()
    client.force_login(me)

    page = client.get(reverse("accounts:settings")).content.decode()

    assert "Mine Ltd" in page
    assert "Theirs GmbH" not in page
    assert theirs.api_token_prefix not in page
