"""Celery tasks of the documents app: PDF prints too large to render in a web request."""

from __future__ import annotations

from celery import shared_task
from django.utils import translation

from documents.models import Invoice, Receipt
from documents.print_files import store_pdf

MODELS = {"invoice": Invoice, "receipt": Receipt}


@shared_task(ignore_result=True)
def prepare_print_pdf(kind: str, pk: int, language: str) -> None:
    """Render the print of one document in ``language`` into the file storage."""
    doc = MODELS[kind].objects.prefetch_related("items").filter(pk=pk).first()
    if doc is None:
        return  # deleted meanwhile: nothing to print
    with translation.override(language):
        store_pdf(doc, language)
