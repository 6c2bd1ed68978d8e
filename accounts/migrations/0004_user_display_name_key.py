from django.db import migrations, models


def fill_keys(apps, schema_editor):
    from accounts.display_names import name_key

    User = apps.get_model("accounts", "User")
    batch = []
    for user in User.objects.exclude(display_name="").only("pk", "display_name").iterator():
        user.display_name_key = name_key(user.display_name)
        batch.append(user)
        if len(batch) >= 1000:
            User.objects.bulk_update(batch, ["display_name_key"])
            batch = []
    if batch:
        User.objects.bulk_update(batch, ["display_name_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_identity_verification"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="display_name_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=200),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
