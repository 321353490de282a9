from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from accounts.models import User
from accounts.tenancy import (
    current_merchant,
    get_for_merchant,
    merchant_required,
    scope_to_merchant,
)
from documents.models import Order
from tests.factories import make_merchant, make_order

pytestmark = pytest.mark.django_db


def request_for(user):
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = user
    return request


def test_current_merchant():
    merchant, user = make_merchant()
    staff = User.objects.create_user(email="staff@example.com", password="x", is_staff=True)

    assert current_merchant(request_for(user)) == merchant
    assert current_merchant(request_for(staff)) is None
    assert current_merchant(request_for(AnonymousUser())) is None


def test_scope_and_get_for_merchant():
    mine, me = make_merchant()
    theirs, _ = make_merchant()
    own = make_order(mine)
    foreign = make_order(theirs)
    request = request_for(me)

    assert list(scope_to_merchant(request, Order)) == [own]
    assert list(scope_to_merchant(request, Order.objects.filter(pk=foreign.pk))) == []
    assert get_for_merchant(request, Order, pk=own.pk) == own
    with pytest.raises(Http404):
        get_for_merchant(request, Order, pk=foreign.pk)
    with pytest.raises(Http404):
        get_for_merchant(request_for(AnonymousUser()), Order, pk=own.pk)


def test_merchant_required_sets_request_merchant():
    merchant, user = make_merchant()
    seen = {}

    @merchant_required
    def view(request):
        seen["merchant"] = request.merchant
        return HttpResponse("ok")

    assert view(request_for(user)).status_code == 200
    assert seen["merchant"] == merchant
    anonymous = view(request_for(AnonymousUser()))
    assert anonymous.status_code == 302
    assert "next=/somewhere/%3Fx%3D1" in anonymous["Location"]
