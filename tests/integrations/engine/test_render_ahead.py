"""Render while uploading: the next batch of PDFs is made while the run sends the current one."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from documents import pdf
from integrations.engine import pipeline, plan
from integrations.engine.run import execute_run
from integrations.engine.upload import Uploader
from integrations.models import BackedUpFile, BackupRun
from integrations.runs import RunOutcome
from tests.integrations.conftest import NIGHT

from .helpers import NOV, documents_in_drive, invoice, run_backup

# Long enough never to be reached when the engine works; the test fails instead of hanging.
WAIT_S = 60


@pytest.fixture
def batches_of_two(monkeypatch):
    monkeypatch.setattr(plan, "RENDER_BATCH_SIZE", 2)


def five_invoices(merchant) -> list:
    return [invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n)) for n in range(1, 6)]


def test_the_next_batch_renders_while_the_first_uploads(
    engine, documents_only, merchant, batches_of_two, monkeypatch
):
    docs = five_invoices(merchant)
    second_batch_rendering = threading.Event()
    events: list[str] = []
    render_batch, upload = plan.render_batch, Uploader.upload

    def watched_render(batch):
        numbers = [doc.number for doc, _, _ in batch.pending]
        events.append("render " + ",".join(numbers))
        if docs[2].number in numbers:
            second_batch_rendering.set()
        return render_batch(batch)

    def first_upload_waits_for_the_next_render(self, item):
        if item.number == docs[0].number:
            # Without rendering ahead, the second batch would start only after this upload.
            assert second_batch_rendering.wait(WAIT_S), "the second batch did not render ahead"
        events.append("upload " + item.number)
        upload(self, item)

    monkeypatch.setattr(plan, "render_batch", watched_render)
    monkeypatch.setattr(Uploader, "upload", first_upload_waits_for_the_next_render)

    run, outcome = run_backup(documents_only)

    assert outcome == RunOutcome(BackupRun.Status.SUCCEEDED, message="backed up")
    assert run.files_uploaded == 5
    assert documents_in_drive(engine) == {str(d.uuid): 1 for d in docs}
    # Uploads keep the plan's order; every ledger row is reserved, then completed.
    assert [e for e in events if e.startswith("upload")] == [f"upload {d.number}" for d in docs]
    assert events.index(f"render {docs[2].number},{docs[3].number}") < events.index(
        f"upload {docs[0].number}"
    )
    assert set(BackedUpFile.objects.values_list("state", flat=True)) == {"done"}


def test_renders_run_one_step_ahead_of_the_uploads_not_one_batch(
    engine, documents_only, merchant, monkeypatch
):
    # Read in batches of four, rendered in steps of two. A whole batch ahead, every run left
    # at the end of a night held a rendered batch still to upload and nothing to render.
    monkeypatch.setattr(plan, "RENDER_BATCH_SIZE", 4)
    monkeypatch.setattr(pipeline, "RENDER_STEP_DOCUMENTS", 2)
    docs = [invoice(merchant, f"FV {n}/11/2026", NOV + dt.timedelta(days=n)) for n in range(1, 8)]
    events: list[tuple[str, int]] = []
    render_batch, upload = plan.render_batch, Uploader.upload

    def watched_render(batch):
        events.append(("render", len(batch.pending)))
        return render_batch(batch)

    def watched_upload(self, item):
        events.append(("upload", [d.number for d in docs].index(item.number)))
        upload(self, item)

    monkeypatch.setattr(plan, "render_batch", watched_render)
    monkeypatch.setattr(Uploader, "upload", watched_upload)

    run, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert run.files_uploaded == 7
    assert documents_in_drive(engine) == {str(d.uuid): 1 for d in docs}
    # Batches of 4 and 3 documents, each rendered in steps of at most two.
    assert [size for what, size in events if what == "render"] == [2, 2, 2, 1]
    assert [index for what, index in events if what == "upload"] == list(range(7))
    for position, (what, index) in enumerate(events):
        if what == "upload":
            started = sum(size for w, size in events[:position] if w == "render")
            # Renders started by then: the document's own step and at most the next one.
            assert started <= min(7, (index // 2 + 2) * 2), (index, events)


def test_a_document_that_cannot_be_rendered_fails_alone_in_a_later_batch(
    engine, documents_only, merchant, batches_of_two, monkeypatch
):
    docs = five_invoices(merchant)
    render_pdfs = pdf.render_pdfs

    def broken_fourth(documents):
        if any(d.pk == docs[3].pk for d in documents):
            raise ValueError("broken template")
        return render_pdfs(documents)

    monkeypatch.setattr(pdf, "render_pdfs", broken_fourth)

    run, outcome = run_backup(documents_only)

    assert outcome.status == BackupRun.Status.PARTIAL
    assert run.files_uploaded == 4
    assert [(e["code"], e["number"]) for e in run.errors] == [("render_failed", docs[3].number)]
    assert "broken template" in run.errors[0]["detail"]
    assert set(documents_in_drive(engine)) == {str(d.uuid) for d in docs} - {str(docs[3].uuid)}
    assert run.progress_done == run.progress_total == 5


def test_a_run_stopped_between_batches_leaves_no_render_behind(
    engine, documents_only, merchant, batches_of_two, monkeypatch
):
    docs = five_invoices(merchant)
    upload = Uploader.upload
    rendered: list[int] = []
    render_batch = plan.render_batch

    def counting_render(batch):
        rendered.append(len(batch.pending))
        return render_batch(batch)

    def killed_on_third(self, item):
        if item.number == docs[2].number:
            raise SystemError("worker killed")
        upload(self, item)

    monkeypatch.setattr(plan, "render_batch", counting_render)
    monkeypatch.setattr(Uploader, "upload", killed_on_third)

    with pytest.raises(SystemError):
        run_backup(documents_only)

    # The run's render thread is gone with the run; no batch beyond the next one was made.
    assert not [t for t in threading.enumerate() if t.name.startswith("render-ahead")]
    assert sum(rendered) <= 5
    monkeypatch.setattr(Uploader, "upload", upload)
    outcome = execute_run(BackupRun.objects.get().pk, now=NIGHT)
    assert outcome.status == BackupRun.Status.SUCCEEDED
    assert documents_in_drive(engine) == {str(d.uuid): 1 for d in docs}
