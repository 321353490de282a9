"""The admin's integration and run lists: tonight's totals at the top, filters by state."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from integrations.models import BackupRun, GoogleDriveIntegration
from tests.factories import make_integration, make_run
from tests.integrations.conftest import WARSAW

NOV_23 = dt.date(2026, 11, 23)
# 06:30 in Warsaw on the 23rd: that night's window ended at 06:00.
MORNING = dt.datetime(2026, 11, 23, 6, 30, tzinfo=WARSAW)


@pytest.fixture
def a_night(db):
    """Tonight: 2 succeeded, 1 failed, 1 still running (overdue); one run of the night before;
    one manual run queued. Integrations: 5 fine, 1 failing, 1 access lost."""
    runs = {}
    for name, status in [
        ("A", BackupRun.Status.SUCCEEDED),
        ("B", BackupRun.Status.SUCCEEDED),
        ("C", BackupRun.Status.FAILED),
        ("D", BackupRun.Status.RUNNING),
    ]:
        integration = make_integration(name, consecutive_failures=int(name == "C"))
        runs[name] = make_run(
            integration, trigger=BackupRun.Trigger.SCHEDULED, night=NOV_23, status=status
        )
    runs["yesterday"] = make_run(
        runs["A"].integration,
        trigger=BackupRun.Trigger.SCHEDULED,
        night=NOV_23 - dt.timedelta(days=1),
        status=BackupRun.Status.FAILED,
    )
    runs["manual"] = make_run(make_integration("E"), status=BackupRun.Status.QUEUED)
    make_integration("F", status=GoogleDriveIntegration.Status.ACCESS_LOST)
    with time_machine.travel(MORNING, tick=False):
        yield runs


def totals(page) -> dict[str, str]:
    return dict(re.findall(r'data-total="(\w+)">(\d+)<', page.content.decode()))


@pytest.mark.parametrize(
    "url", ["/admin/integrations/backuprun/", "/admin/integrations/googledriveintegration/"]
)
def test_both_lists_show_tonights_totals(admin_client, a_night, url):
    page = admin_client.get(url)
    assert page.status_code == 200
    assert totals(page) == {
        "succeeded": "2",
        "partial": "0",
        "failed": "1",
        "queued": "1",
        "running": "1",
        "overdue": "1",
        "connected": "4",
        "failing": "1",
        "access_lost": "1",
    }


def listed_run_ids(page) -> set[int]:
    return {run.pk for run in page.context["cl"].result_list}


def test_runs_filter_by_outcome_and_night(admin_client, a_night):
    failed = admin_client.get("/admin/integrations/backuprun/?status=failed")
    assert listed_run_ids(failed) == {a_night["C"].pk, a_night["yesterday"].pk}

    tonight = admin_client.get("/admin/integrations/backuprun/?night=tonight")
    assert listed_run_ids(tonight) == {a_night[name].pk for name in "ABCD"}

    overdue = admin_client.get("/admin/integrations/backuprun/?night=overdue")
    assert listed_run_ids(overdue) == {a_night["D"].pk}


@pytest.mark.parametrize(
    ("state", "merchants"),
    [("connected", {"A", "B", "D", "E"}), ("failing", {"C"}), ("access_lost", {"F"})],
)
def test_integrations_filter_by_state(admin_client, a_night, state, merchants):
    page = admin_client.get(f"/admin/integrations/googledriveintegration/?state={state}")
    assert {i.merchant.name for i in page.context["cl"].result_list} == merchants
