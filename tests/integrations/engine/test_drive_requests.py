"""What a night costs in Drive requests: one per uploaded file once the tree and ids exist."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from integrations import connection
from integrations.models import DriveFolder, GoogleDriveIntegration
from tests.factories import connect_integration
from tests.integrations.conftest import FIRST_NIGHT, SECOND_NIGHT, WARSAW

from .helpers import (
    MONTH,
    NOV,
    ROOT,
    counter,
    drive_files,
    drive_requests,
    folder_paths,
    invoice,
    receipt,
    run_backup,
)


class Requests:
    """The Drive requests the fake answered since the last `since()`, by endpoint."""

    ENDPOINTS = (
        "drive.files.list",
        "drive.files.generateIds",
        "drive.files.create",
        "drive.files.get",
        "upload.create",
    )

    def __init__(self, fake) -> None:
        self.fake = fake
        self.since()

    def since(self) -> None:
        self._total = drive_requests(self.fake)
        self._by_endpoint = self._counts()

    def _counts(self) -> Counter:
        return Counter({name: counter(self.fake, name) for name in self.ENDPOINTS})

    @property
    def total(self) -> int:
        return drive_requests(self.fake) - self._total

    def by_endpoint(self) -> dict[str, int]:
        spent = self._counts() - self._by_endpoint
        return {name: spent[name] for name in self.ENDPOINTS}


def a_regular_day(merchant, day: int) -> None:
    """Two invoices and a receipt issued on `day` of November."""
    issued = NOV.replace(day=day)
    invoice(merchant, f"FV {day}a/11/2026", issued)
    invoice(merchant, f"FV {day}b/11/2026", issued)
    receipt(merchant, f"PAR {day}/11/2026", issued)


def test_a_regular_night_costs_one_drive_request_per_file(engine, integration, merchant):
    a_regular_day(merchant, 21)
    run_backup(integration, now=FIRST_NIGHT)
    a_regular_day(merchant, 22)
    requests = Requests(engine)

    run, outcome = run_backup(integration, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    # The orders CSV and three PDFs: four uploads, and nothing else at all.
    assert run.files_uploaded == 4
    assert requests.by_endpoint() == {
        "drive.files.list": 0,
        "drive.files.generateIds": 0,
        "drive.files.create": 0,
        "drive.files.get": 0,
        "upload.create": 4,
    }
    assert run.drive_calls == requests.total == 4


def test_the_first_night_lists_nothing_and_reserves_ids_once(engine, integration, merchant):
    a_regular_day(merchant, 21)
    requests = Requests(engine)

    run, outcome = run_backup(integration, now=FIRST_NIGHT)

    assert outcome.succeeded, outcome.message
    assert folder_paths(engine) == [
        ROOT,
        f"{ROOT}/2026",
        MONTH,
        f"{MONTH}/Invoices",
        f"{MONTH}/Orders",
        f"{MONTH}/Receipts",
    ]
    assert requests.by_endpoint() == {
        "drive.files.list": 0,
        "drive.files.generateIds": 1,
        "drive.files.create": 6,
        "drive.files.get": 0,
        "upload.create": 4,
    }
    assert run.drive_calls == requests.total == 11


def test_a_new_month_lists_the_tree_once_and_creates_only_its_folders(
    engine, integration, merchant
):
    a_regular_day(merchant, 21)
    run_backup(integration, now=FIRST_NIGHT)
    invoice(merchant, "FV 1/12/2026", dt.date(2026, 12, 1))
    requests = Requests(engine)

    run, outcome = run_backup(integration, now=dt.datetime(2026, 12, 2, 2, tzinfo=WARSAW))

    assert outcome.succeeded, outcome.message
    assert run.files_uploaded == 2
    assert requests.by_endpoint() == {
        "drive.files.list": 1,
        "drive.files.generateIds": 0,
        "drive.files.create": 3,
        "drive.files.get": 0,
        "upload.create": 2,
    }
    december = f"{ROOT}/2026/12"
    assert set(folder_paths(engine)) - {
        ROOT,
        f"{ROOT}/2026",
        MONTH,
        f"{MONTH}/Invoices",
        f"{MONTH}/Orders",
        f"{MONTH}/Receipts",
    } == {december, f"{december}/Invoices", f"{december}/Orders"}


def test_sixty_files_on_a_regular_night_cost_sixty_requests(engine, integration, merchant):
    a_regular_day(merchant, 21)
    run_backup(integration, now=FIRST_NIGHT)
    for n in range(1, 40):
        invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n % 20))
    for n in range(1, 21):
        receipt(merchant, f"PAR {n}/11/2026", NOV + dt.timedelta(days=n))
    requests = Requests(engine)

    run, outcome = run_backup(integration, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert run.files_uploaded == 60
    assert run.drive_calls == requests.total == 60


# --- the assumption behind creating a tree without looking for one --------------------------


def test_a_reconnect_of_the_same_account_reuses_its_tree(engine, integration, merchant):
    """No DriveFolder row for an integration must mean it never made a tree: a first night
    creates folders without listing. So the cache outlives a disconnect (and an account
    switch), and nothing but deleting the integration deletes it."""
    a_regular_day(merchant, 21)
    run_backup(integration, now=FIRST_NIGHT)
    cached = set(DriveFolder.objects.values_list("google_account_id", "path", "drive_id"))

    connection.disconnect(merchant)
    assert set(DriveFolder.objects.values_list("google_account_id", "path", "drive_id")) == (cached)
    again = connect_integration(engine, merchant)
    a_regular_day(merchant, 22)
    requests = Requests(engine)
    _run, outcome = run_backup(again, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert requests.by_endpoint()["drive.files.create"] == 0
    roots = [f for f in drive_files(engine) if f["path"] == ROOT]
    assert len(roots) == 1
    GoogleDriveIntegration.objects.all().delete()
    assert not DriveFolder.objects.exists()


def test_folders_cached_for_another_account_make_a_first_night_list_first(
    engine, integration, merchant
):
    # Another account's cache proves nothing about this Drive, but it shows the integration
    # made a tree somewhere: the new account's first night looks before it creates.
    invoice(merchant, "FV 1/11/2026", NOV)
    run_backup(integration, now=FIRST_NIGHT)
    switched = connect_integration(
        engine, merchant, email="other.account@example.com", documents_since=None
    )
    requests = Requests(engine)

    _run, outcome = run_backup(switched, now=SECOND_NIGHT)

    assert outcome.succeeded, outcome.message
    assert requests.by_endpoint()["drive.files.list"] == 1
    assert folder_paths(engine, "other.account@example.com")[0] == ROOT
