# The e-mail outbox on Notification (escrow.notifications.send_due_emails).
# Every new column has a database default, so processes still running the code from
# before (during the deploy) keep inserting notifications; existing rows and those
# they write are "sent" (their e-mail went to a task message). The index comes in
# 0006, built CONCURRENTLY.

from django.db import migrations, models

STATES = [
    ("pending", "Pending"),
    ("sent", "Sent"),
    ("failed", "Given up"),
    ("skipped", "Not e-mailed"),
]


class Migration(migrations.Migration):
    dependencies = [("escrow", "0004_review_text_removal")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="email_state",
            field=models.CharField(
                choices=STATES, default="skipped", db_default="sent", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="email_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="email_attempts",
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="notification",
            name="email_receipt",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="notification",
            name="emailed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
