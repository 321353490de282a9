"""The admin names the document models in proper English."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_admin_index_says_order_statuses():
    admin = User.objects.create_superuser(email="admin@platform.example", password="x")
    browser = Client()
    browser.force_login(admin)

    html = browser.get("/admin/").content.decode()

    assert ">Order statuses</a>" in html
    assert "statuss" not in html
