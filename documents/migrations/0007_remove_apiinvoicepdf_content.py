"""The PDFs' bytes live in the file storage now (0006): their database column goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0006_api_pdf_rows_to_files")]

    operations = [migrations.RemoveField(model_name="apiinvoicepdf", name="content")]
