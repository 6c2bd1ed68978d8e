"""PostgreSQL guards for the ledger.

- A deferrable constraint trigger (checked at COMMIT) refuses any ledger
  transaction whose entries do not sum to zero per currency.
- Ledger entries are append-only: UPDATE and DELETE are refused.

SQLite (the zero-setup default) relies on the Python-side checks in escrow.ledger.
"""

from django.db import migrations

BALANCED_SQL = """
CREATE OR REPLACE FUNCTION escrow_ledger_check_balanced() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    SELECT transaction_id, currency, SUM(amount) AS total INTO bad
      FROM escrow_ledgerentry
     WHERE transaction_id = NEW.transaction_id
     GROUP BY transaction_id, currency
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in % (sum %)',
            bad.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER escrow_ledgerentry_balanced
    AFTER INSERT ON escrow_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION escrow_ledger_check_balanced();

CREATE OR REPLACE FUNCTION escrow_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only' USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER escrow_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON escrow_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION escrow_ledger_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS escrow_ledgerentry_append_only ON escrow_ledgerentry;
DROP FUNCTION IF EXISTS escrow_ledger_append_only();
DROP TRIGGER IF EXISTS escrow_ledgerentry_balanced ON escrow_ledgerentry;
DROP FUNCTION IF EXISTS escrow_ledger_check_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("escrow", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
