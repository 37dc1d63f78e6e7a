"""Schedule the dashboard's daily snapshot in django-celery-beat (data only; no schema change).
Five past midnight in TIME_ZONE, the zone `timezone.localdate()` uses to name the snapshot's day.

Done as a migration rather than a post_migrate hook so it runs exactly once per database and an
operator's later edits in the admin (another time, disabled) are never overwritten.
"""

from django.conf import settings
from django.db import migrations

TASK = "compliance.tasks.snapshot_daily"
NAME = "Daily compliance snapshot"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="5", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "crontab": crontab, "description": "Counts per framework for the dashboard trend."},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
