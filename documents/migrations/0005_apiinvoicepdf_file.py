"""PDFs received through the API move from database rows to the file storage: the column
for the stored file's name first (then 0006 moves the bytes, 0007 drops the old column; three
migrations, so that on PostgreSQL no table is altered in the transaction that updated it)."""

from django.db import migrations, models

import documents.models


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_invoice_api_index")]

    operations = [
        migrations.AddField(
            model_name="apiinvoicepdf",
            name="file",
            field=models.FileField(
                default="", max_length=255, upload_to=documents.models.api_pdf_path
            ),
            preserve_default=False,
        ),
    ]
