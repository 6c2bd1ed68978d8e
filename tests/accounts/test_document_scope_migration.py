"""Migration 0007 gives passports and other IDs verified before it their issuing scope."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.services import documents_hash

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0006_identity_document_types")]
AFTER = [("accounts", "0007_identity_document_scope")]


def test_existing_passports_get_their_country_and_chinese_numbers_none():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("accounts", "User")
    Verification = apps.get_model("accounts", "IdentityVerification")
    now = dt.datetime(2026, 6, 15, tzinfo=dt.UTC)
    rows = {}
    for i, (document_type, country, number) in enumerate(
        [
            ("passport", "US", "123456789"),
            ("passport", "HK", "K12345678"),
            ("other", "GB", "11010119900314106X"),  # a Chinese ID number typed as other
            ("cn_resident_id", "CN", "110101199003141238"),
        ]
    ):
        user = User.objects.create(email=f"m{i}@example.com")
        rows[document_type, country] = Verification.objects.create(
            user=user,
            state="rejected",
            provider="manual",
            legal_name="Li Hua",
            document_type=document_type,
            document_number=number,
            document_number_hash=documents_hash(number),
            document_last4=number[-4:],
            date_of_birth=dt.date(1990, 3, 14),
            country=country,
            submitted_at=now,
        ).pk

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Verification = apps.get_model("accounts", "IdentityVerification")
    scopes = {key: Verification.objects.get(pk=pk).document_scope for key, pk in rows.items()}
    assert scopes == {
        ("passport", "US"): "US",
        ("passport", "HK"): "CN+HK+MO",
        ("other", "GB"): "",
        ("cn_resident_id", "CN"): "",
    }
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
