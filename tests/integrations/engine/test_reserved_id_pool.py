"""The pool of reserved Drive ids on its own: refill sizes, order, claiming, expiry, refusal.

A stub stands in for Drive's generateIds, so each rule shows without a whole run.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Merchant
from integrations.engine.drive_ids import DriveIdPool
from integrations.models import GoogleDriveIntegration, ReservedDriveId

ACCOUNT = "acct-1"
MOMENT = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


class StubDrive:
    """generateIds that hands out id-0001, id-0002, ... and remembers each count asked."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.issued = 0

    def generate_ids(self, count: int) -> list[str]:
        self.asked.append(count)
        ids = [f"id-{self.issued + i + 1:04d}" for i in range(count)]
        self.issued += count
        return ids


@pytest.fixture
def integration(db) -> GoogleDriveIntegration:
    merchant = Merchant.objects.create(name="Loja Azul")
    return GoogleDriveIntegration.objects.create(merchant=merchant, google_account_id=ACCOUNT)


@pytest.fixture
def drive() -> StubDrive:
    return StubDrive()


@pytest.fixture
def pool_size(settings) -> int:
    settings.BACKUP_ID_POOL_SIZE = 5
    settings.BACKUP_ID_POOL_MAX_AGE_DAYS = 30
    return 5


def pool(drive, integration, account: str = ACCOUNT) -> DriveIdPool:
    return DriveIdPool(drive, integration, account)


def pooled(integration, account: str = ACCOUNT) -> list[str]:
    return list(
        ReservedDriveId.objects.filter(integration=integration, google_account_id=account)
        .order_by("created_at", "pk")
        .values_list("drive_id", flat=True)
    )


def reserve(integration, *ids: str, account: str = ACCOUNT, age: dt.timedelta | None = None):
    for drive_id in ids:
        row = ReservedDriveId.objects.create(
            integration=integration, google_account_id=account, drive_id=drive_id
        )
        if age is not None:
            ReservedDriveId.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)


def keep(drive_id: str) -> str:
    return drive_id


# --- refills ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "asked"),
    [(0, 5), (2, 5), (5, 5), (8, 8), (5000, 1000)],
)
def test_a_dry_pool_asks_for_what_the_run_needs_but_at_least_the_pool_size(
    drive, integration, pool_size, expected, asked
):
    ids = pool(drive, integration)
    ids.expect(expected)

    first = ids.take(keep)

    assert first == "id-0001"
    assert drive.asked == [asked]
    assert pooled(integration) == [f"id-{n:04d}" for n in range(2, asked + 1)]


def test_a_refill_asks_for_one_id_at_least(drive, integration, settings):
    settings.BACKUP_ID_POOL_SIZE = 0

    assert pool(drive, integration).take(keep) == "id-0001"
    assert drive.asked == [1]


def test_what_is_still_needed_shrinks_with_each_id_taken(drive, integration, pool_size):
    ids = pool(drive, integration)
    ids.expect(7)
    assert ids.still_needed == 7

    ids.take(keep)
    ids.take(keep)

    assert ids.still_needed == 5
    ids.expect(-3)
    assert ids.still_needed == 0
    ids.take(keep)
    assert ids.still_needed == 0


def test_a_pool_with_ids_left_asks_drive_for_nothing(drive, integration, pool_size):
    reserve(integration, "old-1", "old-2")
    ids = pool(drive, integration)

    assert [ids.take(keep), ids.take(keep)] == ["old-1", "old-2"]
    assert drive.asked == []
    assert ids.take(keep) == "id-0001"
    assert drive.asked == [5]


# --- taking ----------------------------------------------------------------------------


def test_ids_are_taken_oldest_first_and_leave_the_pool_with_the_row_that_holds_them(
    drive, integration, pool_size
):
    reserve(integration, "young", age=dt.timedelta(days=1))
    reserve(integration, "old", age=dt.timedelta(days=3))
    ids = pool(drive, integration)

    held = ids.take(lambda drive_id: f"row for {drive_id}")

    assert held == "row for old"
    assert pooled(integration) == ["young"]


def test_an_id_whose_row_could_not_be_written_stays_in_the_pool(drive, integration, pool_size):
    reserve(integration, "only")

    def failing(drive_id: str) -> str:
        raise RuntimeError(f"no row for {drive_id}")

    with pytest.raises(RuntimeError, match="no row for only"):
        pool(drive, integration).take(failing)

    assert pooled(integration) == ["only"]


def test_an_id_another_worker_claimed_meanwhile_is_passed_over(drive, integration, pool_size):
    reserve(integration, "a", "b", "c")
    ids = pool(drive, integration)
    assert ids.take(keep) == "a"
    ReservedDriveId.objects.filter(drive_id="b").delete()  # taken by a worker that lost its lock

    assert ids.take(keep) == "c"
    assert pooled(integration) == []


# --- what is not used ------------------------------------------------------------------


def test_ids_of_another_account_are_thrown_away(drive, integration, pool_size):
    reserve(integration, "mine")
    reserve(integration, "theirs", account="acct-2")

    assert pool(drive, integration).take(keep) == "mine"
    assert not ReservedDriveId.objects.filter(drive_id="theirs").exists()


def test_ids_older_than_the_maximum_age_are_thrown_away(drive, integration, pool_size):
    with time_machine.travel(MOMENT, tick=False):
        reserve(integration, "too-old", age=dt.timedelta(days=30, seconds=1))
        reserve(integration, "just-in-time", age=dt.timedelta(days=30))
        reserve(integration, "fresh", age=dt.timedelta(days=1))

        ids = pool(drive, integration)

        assert [ids.take(keep), ids.take(keep)] == ["just-in-time", "fresh"]
    assert not ReservedDriveId.objects.filter(drive_id="too-old").exists()


def test_another_integrations_pool_is_left_alone(drive, integration, pool_size):
    other = GoogleDriveIntegration.objects.create(
        merchant=Merchant.objects.create(name="Outra Loja"), google_account_id="acct-2"
    )
    reserve(other, "other-old", account="acct-2", age=dt.timedelta(days=90))
    reserve(integration, "mine")

    pool(drive, integration).take(keep)

    assert pooled(other, "acct-2") == ["other-old"]


# --- refusals --------------------------------------------------------------------------


def test_a_refused_id_of_an_older_pool_drops_that_pool(drive, integration, pool_size, caplog):
    reserve(integration, "old-1", "old-2", "old-3")
    ids = pool(drive, integration)
    refused = ids.take(keep)

    with caplog.at_level("WARNING", logger="integrations.engine.drive_ids"):
        assert ids.refused(refused) is True

    assert [r.getMessage() for r in caplog.records] == [
        f"Drive refused reserved id old-1 of integration {integration.pk}; dropped 2 pooled ids"
    ]
    assert pooled(integration) == []
    assert ids.take(keep) == "id-0001"
    assert drive.asked == [5]


def test_a_refused_id_of_this_runs_own_refill_is_not_answered_by_another(
    drive, integration, pool_size
):
    ids = pool(drive, integration)
    fresh = ids.take(keep)

    assert ids.refused(fresh) is False

    assert pooled(integration) == ["id-0002", "id-0003", "id-0004", "id-0005"]
    assert ids.take(keep) == "id-0002"
    assert drive.asked == [5]


def test_a_refusal_drops_only_this_integrations_pool_of_this_account(drive, integration, pool_size):
    # Two merchants may connect the same Google account; the integration switched accounts.
    neighbour = GoogleDriveIntegration.objects.create(
        merchant=Merchant.objects.create(name="Outra Loja"), google_account_id=ACCOUNT
    )
    reserve(neighbour, "neighbour-1")
    reserve(integration, "old-1", "old-2")
    ids = pool(drive, integration)
    refused = ids.take(keep)
    reserve(integration, "earlier-account-1", account="acct-0")

    assert ids.refused(refused) is True

    assert pooled(neighbour) == ["neighbour-1"]
    assert pooled(integration, "acct-0") == ["earlier-account-1"]
    assert pooled(integration) == []


def test_after_a_refusal_the_next_id_comes_from_a_refill_without_reading_the_pool_again(
    drive, integration, pool_size, django_assert_num_queries
):
    reserve(integration, "old-1", "old-2")
    ids = pool(drive, integration)
    assert ids.refused(ids.take(keep)) is True

    # The refill's insert and the claim of its first id (savepoint, delete, release), nothing
    # more: the dropped pool is known to be empty, so it is not read again.
    with django_assert_num_queries(4):
        assert ids.take(keep) == "id-0001"
