"""Order.save() stamps status_changed_at whenever the status changes (the 30-day window)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from documents.models import Order
from tests.factories import make_merchant, make_order, make_status

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=90)


@pytest.fixture
def order():
    merchant, _ = make_merchant()
    make_status(merchant, "Paid", 1)
    return make_order(merchant, status_changed_at=LONG_AGO)


def paid(order: Order):
    return make_status(order.merchant, "Paid", 1)


def test_a_new_order_keeps_the_given_stamp(order):
    order.refresh_from_db()
    assert order.status_changed_at == LONG_AGO


def test_changing_the_status_stamps_now(order):
    order = Order.objects.get(pk=order.pk)
    before = timezone.now()

    order.status = paid(order)
    order.save()

    order.refresh_from_db()
    assert order.status_changed_at >= before


def test_saving_without_a_status_change_keeps_the_stamp(order):
    order = Order.objects.get(pk=order.pk)

    order.buyer_name = "Someone else"
    order.save()

    order.refresh_from_db()
    assert order.status_changed_at == LONG_AGO
    assert order.buyer_name == "Someone else"


def test_update_fields_with_the_status_also_writes_the_stamp(order):
    order = Order.objects.get(pk=order.pk)
    before = timezone.now()

    order.status = paid(order)
    order.save(update_fields=["status"])

    order.refresh_from_db()
    assert order.status_changed_at >= before


def test_update_fields_without_the_status_keeps_the_stamp(order):
    order = Order.objects.get(pk=order.pk)

    order.buyer_name = "Only the name"
    order.save(update_fields=["buyer_name"])

    order.refresh_from_db()
    assert order.status_changed_at == LONG_AGO


def test_two_saves_after_one_change_stamp_once(order):
    order = Order.objects.get(pk=order.pk)
    order.status = paid(order)
    order.save()
    stamped = Order.objects.get(pk=order.pk).status_changed_at

    order.buyer_name = "Later edit"
    order.save()

    assert Order.objects.get(pk=order.pk).status_changed_at == stamped


def test_the_instance_that_created_the_order_tracks_later_changes(order):
    before = timezone.now()

    order.status = paid(order)
    order.save()

    order.refresh_from_db()
    assert order.status_changed_at >= before


def test_a_status_in_use_cannot_be_deleted_alone(order):
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        order.status.delete()


def test_deleting_a_merchant_removes_its_orders_and_statuses(order):
    from documents.models import OrderStatus

    order.merchant.delete()

    assert not Order.objects.exists()
    assert not OrderStatus.objects.exists()
