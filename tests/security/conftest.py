from __future__ import annotations

import pytest

from accounts.models import Merchant


@pytest.fixture
def merchant(db) -> Merchant:
    return Merchant.objects.create(name="Loja Azul")
