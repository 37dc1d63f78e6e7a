from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scanners", "0005_finding_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(fields=["type", "region", "uid", "id"], name="resource_list"),
        ),
    ]
