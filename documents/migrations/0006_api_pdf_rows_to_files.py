"""Each PDF kept in a database row is written to the file storage; the row keeps its name."""

from django.core.files.base import ContentFile
from django.db import migrations

import documents.models


def rows_to_files(apps, schema_editor):
    ApiInvoicePdf = apps.get_model("documents", "ApiInvoicePdf")
    field = ApiInvoicePdf._meta.get_field("file")
    rows = ApiInvoicePdf.objects.select_related("invoice").only(
        "id", "content", "invoice__uuid", "invoice__merchant_id"
    )
    for row in rows.iterator(chunk_size=50):
        name = documents.models.api_pdf_path(row, "invoice.pdf")
        stored = field.storage.save(name, ContentFile(bytes(row.content)))
        ApiInvoicePdf.objects.filter(pk=row.pk).update(file=stored, content=b"")


def files_to_rows(apps, schema_editor):
    ApiInvoicePdf = apps.get_model("documents", "ApiInvoicePdf")
    field = ApiInvoicePdf._meta.get_field("file")
    for row in ApiInvoicePdf.objects.only("id", "file").iterator(chunk_size=50):
        with field.storage.open(row.file.name, "rb") as stored:
            content = stored.read()
        ApiInvoicePdf.objects.filter(pk=row.pk).update(content=content)


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_apiinvoicepdf_file")]

    operations = [migrations.RunPython(rows_to_files, files_to_rows)]
