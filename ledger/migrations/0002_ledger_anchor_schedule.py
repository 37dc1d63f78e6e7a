"""The chain's head row (genesis), and the hourly anchor in django-celery-beat (data only).

The anchor task does nothing while LEDGER_ANCHOR_BUCKET is empty; as a migration it runs once per database,
so an operator's later edits of the schedule in the admin are kept.
"""

from django.db import migrations

TASK = "ledger.tasks.anchor_head"
NAME = "Anchor the ledger head"


def forwards(apps, schema_editor):
    apps.get_model("ledger", "LedgerHead").objects.get_or_create(pk=1)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "interval": hourly, "description": "Write the ledger head to the Object Lock bucket."},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_ledger_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
