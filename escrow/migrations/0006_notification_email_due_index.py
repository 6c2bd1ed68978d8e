"""The outbox's index of due e-mails, built CONCURRENTLY on PostgreSQL (the
migration is not atomic): deal steps write notifications meanwhile."""

from django.db import migrations, models

from kernel.indexes import create_index_concurrently

NAME = "notification_email_due"
INDEX = models.Index(
    fields=["email_due_at", "id"], name=NAME, condition=models.Q(email_state="pending")
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(apps.get_model("escrow", "Notification"), INDEX)
        return
    create_index_concurrently(
        schema_editor, NAME, "escrow_notification", "(email_due_at, id) WHERE email_state = 'pending'"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("escrow", "0005_notification_email_outbox")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create, drop)],
            state_operations=[migrations.AddIndex(model_name="notification", index=INDEX)],
        )
    ]
