"""``manage.py rotate_keys``: re-encrypt every encrypted column with the newest key,
and recompute keyed hashes after ``DOCUMENT_HASH_KEY`` changed.

Without downtime:

1. Put the new Fernet key first in ``FIELD_ENCRYPTION_KEYS`` and keep the old ones
   after it (MultiFernet: new data uses the newest key, every listed key still
   decrypts, so reads keep working throughout). For hashes, set the new
   ``DOCUMENT_HASH_KEY`` and the previous one in ``DOCUMENT_HASH_KEY_OLD``.
2. Deploy, then run ``manage.py rotate_keys`` (batches, each in its own short
   transaction with its rows locked, so concurrent writes are never overwritten).
3. When it reports 0 rows left on the old key, drop the old key(s) and
   ``DOCUMENT_HASH_KEY_OLD``.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from kernel.crypto import EncryptedTextField, keyed_hash


def encrypted_fields() -> list[tuple[type, list[str]]]:
    out = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        names = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        if names:
            out.append((model, names))
    return out


def reencrypt(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every non-empty encrypted value with the newest key."""
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        done, last = 0, 0
        while True:
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")
                    .only("pk", *names)[:batch]
                )
                for row in rows:
                    values = {n: getattr(row, n) for n in names if getattr(row, n)}
                    if values:
                        # get_prep_value encrypts with the newest key.
                        model._default_manager.filter(pk=row.pk).update(**values)
                        done += 1
            if len(rows) < batch:
                break
            last = rows[-1].pk
        counts[model._meta.label] = done
    counts["second factors (mfa.Authenticator)"] = reencrypt_second_factors(batch=batch)
    return counts


def reencrypt_second_factors(*, batch: int = 500) -> int:
    """allauth's second factors keep their secrets in a JSON column, encrypted by
    ``accounts.adapter.MFAAdapter``: re-encrypt those with the newest key."""
    from allauth.mfa.models import Authenticator

    from kernel.crypto import rotate

    done, last = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                Authenticator.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:batch]
            )
            for row in rows:
                data = dict(row.data or {})
                secrets = [key for key in ("secret", "seed") if data.get(key)]
                for key in secrets:
                    data[key] = rotate(data[key])
                if secrets:
                    Authenticator.objects.filter(pk=row.pk).update(data=data)
                    done += 1
        if len(rows) < batch:
            return done
        last = rows[-1].pk


def rehash(*, old_key: str, batch: int = 500) -> dict[str, int]:
    """Recompute the keyed hashes (document numbers, listing handles) with the
    current ``DOCUMENT_HASH_KEY``; impersonation flags follow their documents."""
    from accounts.documents import normalise_document_number
    from accounts.models import IdentityVerification, ImpersonationFlag
    from accounts.services import documents_hash
    from listings.models import Listing
    from listings.services import handle_fingerprint

    mapping: dict[str, str] = {}
    counts = {"verifications": 0, "flags": 0, "listings": 0}
    with transaction.atomic():
        for v in IdentityVerification.objects.select_for_update().order_by("pk").iterator():
            normalised = normalise_document_number(v.document_number)
            new = documents_hash(normalised)
            old = keyed_hash(f"identity-document:{normalised}", key=old_key)
            mapping[old] = new
            mapping[v.document_number_hash] = new
            if v.document_number_hash != new:
                IdentityVerification.objects.filter(pk=v.pk).update(document_number_hash=new)
                counts["verifications"] += 1
        for flag in ImpersonationFlag.objects.select_for_update().order_by("pk"):
            new = mapping.get(flag.document_number_hash)
            if new and new != flag.document_number_hash:
                ImpersonationFlag.objects.filter(pk=flag.pk).update(document_number_hash=new)
                counts["flags"] += 1
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Listing.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "platform", "handle", "handle_fingerprint")[:batch]
            )
            for row in rows:
                new = handle_fingerprint(row.platform, row.handle) if row.handle else ""
                if new != row.handle_fingerprint:
                    Listing.objects.filter(pk=row.pk).update(handle_fingerprint=new)
                    counts["listings"] += 1
        if len(rows) < batch:
            break
        last = rows[-1].pk
    return counts


class Command(BaseCommand):
    help = "Re-encrypt encrypted columns with the newest key; recompute keyed hashes."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--skip-hashes", action="store_true", help="Only re-encrypt (no hash key change)."
        )

    def handle(self, *args, batch: int, skip_hashes: bool, **options):
        for label, n in reencrypt(batch=batch).items():
            self.stdout.write(f"re-encrypted {n} {label} row(s) with the newest key")
        old_key = getattr(settings, "DOCUMENT_HASH_KEY_OLD", "")
        if skip_hashes or not old_key:
            self.stdout.write("hashes: DOCUMENT_HASH_KEY_OLD not set, nothing to recompute")
            return
        for label, n in rehash(old_key=old_key, batch=batch).items():
            self.stdout.write(f"recomputed {n} {label} hash(es) with the new DOCUMENT_HASH_KEY")
