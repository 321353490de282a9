from django.db import migrations, models

# Frozen here: a migration must not change with later edits of accounts.time_zones.
SAO_PAULO_LANGUAGES = ("pt-br",)


def take_the_zone_merchants_already_chose(apps, schema_editor):
    """An existing merchant's zone: the one its Drive backup runs in, else its language's."""
    Merchant = apps.get_model("accounts", "Merchant")
    GoogleDriveIntegration = apps.get_model("integrations", "GoogleDriveIntegration")
    for merchant_id, zone in GoogleDriveIntegration.objects.values_list("merchant_id", "time_zone"):
        Merchant.objects.filter(pk=merchant_id).update(time_zone=zone)
    Merchant.objects.filter(language__in=SAO_PAULO_LANGUAGES).exclude(
        pk__in=GoogleDriveIntegration.objects.values("merchant_id")
    ).update(time_zone="America/Sao_Paulo")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_merchant_language"),
        ("integrations", "0005_reserved_drive_ids_and_in_trash_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="time_zone",
            field=models.CharField(
                default="Europe/Warsaw",
                help_text=(
                    "The panel shows times in this time zone. Google Drive backups run during "
                    "its night, unless the Google Drive page names another time zone."
                ),
                max_length=64,
                verbose_name="time zone",
            ),
        ),
        migrations.RunPython(
            take_the_zone_merchants_already_chose, migrations.RunPython.noop, elidable=True
        ),
    ]
