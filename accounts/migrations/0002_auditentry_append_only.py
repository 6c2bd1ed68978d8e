"""On PostgreSQL, the audit log refuses UPDATE and DELETE at the database level."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'accounts_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditentry_no_change
  BEFORE UPDATE OR DELETE ON accounts_auditentry
  FOR EACH ROW EXECUTE FUNCTION accounts_auditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_auditentry_no_change ON accounts_auditentry;
DROP FUNCTION IF EXISTS accounts_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
