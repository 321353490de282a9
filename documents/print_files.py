"""PDF prints of large documents, made by a worker and kept in Django's file storage.

A print of a few pages renders in well under a second, inside the request. One of hundreds
of items takes seconds (about 0.1 s of CPU per page), too long for a web request and an easy
way to tie up a web process: its PDF is rendered by the ``prepare_print_pdf`` task into the
default storage, under a name made of the document's fingerprint and the print's language,
and the PDF route serves that file once it is there. A changed document has another
fingerprint, so an outdated file is never served; the task deletes the document's older files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import current_app
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from documents.models import Invoice, Receipt
from documents.pdf import document_fingerprint, render_pdf

PREPARE_TASK_NAME = "documents.tasks.prepare_print_pdf"

Document = Invoice | Receipt

logger = logging.getLogger(__name__)

# Above this many items a PDF is not rendered inside a web request: about three pages,
# a third of a second of CPU on the machine the README's figures come from.
INLINE_PDF_MAX_ITEMS = 60
# A PDF asked for again within this many seconds is not queued a second time.
QUEUED_FOR_SECONDS = 300
STORAGE_FOLDER = "prints"


@dataclass(frozen=True)
class PrintFile:
    """Where the worker puts the PDF of one version of a document, in one language."""

    kind: str
    pk: int
    fingerprint: str
    language: str

    @classmethod
    def of(cls, doc: Document, language: str) -> PrintFile:
        kind = "invoice" if isinstance(doc, Invoice) else "receipt"
        return cls(kind, doc.pk, document_fingerprint(doc), language)

    @property
    def folder(self) -> str:
        return f"{STORAGE_FOLDER}/{self.kind}/{self.pk}"

    @property
    def name(self) -> str:
        return f"{self.folder}/{self.fingerprint}-{self.language}.pdf"


def renders_in_request(doc: Document) -> bool:
    return doc.items.count() <= INLINE_PDF_MAX_ITEMS


def stored_pdf(print_file: PrintFile) -> bytes | None:
    """The worker's PDF of this version, or ``None`` while it is not there."""
    if not default_storage.exists(print_file.name):
        return None
    with default_storage.open(print_file.name, "rb") as stored:
        return stored.read()


def queue_once(print_file: PrintFile) -> bool:
    """Queue the render unless it was queued in the last few minutes; True if queued now."""
    if not cache.add(f"print-pdf-queued:{print_file.name}", True, QUEUED_FOR_SECONDS):
        return False
    # By name through Celery's registry: documents.tasks imports this module.
    current_app.tasks[PREPARE_TASK_NAME].delay(print_file.kind, print_file.pk, print_file.language)
    return True


def store_pdf(doc: Document, language: str) -> PrintFile:
    """Render ``doc`` (in the active language) and keep it; drop its older versions' files."""
    print_file = PrintFile.of(doc, language)
    if default_storage.exists(print_file.name):
        return print_file
    content = render_pdf(doc).content
    default_storage.save(print_file.name, ContentFile(content))
    _delete_other_versions(print_file)
    logger.info("Stored the PDF print of %s %s (%d bytes)", print_file.kind, doc.pk, len(content))
    return print_file


def _delete_other_versions(print_file: PrintFile) -> None:
    try:
        _, files = default_storage.listdir(print_file.folder)
    except FileNotFoundError:
        return
    current = print_file.name.rsplit("/", 1)[1]
    for name in files:
        if name != current and name.endswith(f"-{print_file.language}.pdf"):
            default_storage.delete(f"{print_file.folder}/{name}")
