"""Media on S3-compatible storage (django-storages) against a local S3 server:
public media under plain URLs, private files in a private bucket, reachable only
through the permission-checked views (streamed), any URL the storage makes for them
signed and short-lived."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import environ
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from accounts.models import AuditEntry
from kernel.private_files import private_storage
from marketplace.settings_env import media_storages
from tests.accounts.identity_helpers import moderator, submit
from tests.factories import UserFactory, VerifiedUserFactory
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_storages(s3_endpoint, tmp_path, monkeypatch):
    """STORAGES as settings.py builds them from an operator's S3_* variables."""
    names = {"S3_BUCKET": "handoff-media", "S3_PRIVATE_BUCKET": "handoff-private"}
    values = {
        **names,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "S3_SIGNED_URL_SECONDS": "45",
        "S3_PUBLIC_URL": f"{s3_endpoint}/handoff-media",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    default, private, on_s3 = media_storages(environ.Env(), var_dir=tmp_path)
    assert on_s3
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local server's
    )
    for bucket in names.values():
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
    from django.conf import settings

    storages = {**settings.STORAGES, "default": default, "private": private}
    with override_settings(STORAGES=storages):
        yield client


def _keys(client, bucket):
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_identity_documents_go_to_the_private_bucket_and_only_the_views_serve_them(
    client, s3_storages
):
    owner = UserFactory()
    verification = submit(owner, selfie=True)
    name = verification.document_image.name
    assert f"private/{name}" in _keys(s3_storages, "handoff-private")
    assert not any(k.endswith(name) for k in _keys(s3_storages, "handoff-media"))
    url = f"/verify/documents/{verification.pk}/document/"

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    stored = s3_storages.get_object(Bucket="handoff-private", Key=f"private/{name}")
    assert body == stored["Body"].read()  # streamed from S3 through the view
    assert "no-store" in response["Cache-Control"]
    assert "X-Amz" not in response.get("Location", "")

    mod = moderator()
    force_login_with_second_factor(client, mod)
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(action="accounts.verification.document_viewed").exists()
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_private_urls_are_signed_and_short_lived_and_unsigned_access_is_refused(s3_storages):
    saved = private_storage().save("evidence/x.png", ContentFile(b"secret bytes"))
    signed = private_storage().url(saved)
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["45"] and "X-Amz-Signature" in query
    with urllib.request.urlopen(signed, timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.read() == b"secret bytes"
    acl = s3_storages.get_object_acl(Bucket="handoff-private", Key=f"private/{saved}")
    assert not [g for g in acl["Grants"] if "AllUsers" in str(g.get("Grantee"))]
    unsigned = signed.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=5)  # noqa: S310 - loopback
    assert refused.value.code == 403


def test_public_media_has_plain_urls_on_the_media_bucket(s3_storages, s3_endpoint):
    saved = default_storage.save("screenshots/a.png", ContentFile(b"public bytes"))
    url = default_storage.url(saved)
    assert url == f"{s3_endpoint}/handoff-media/media/{saved}"
    assert "Signature" not in url
    assert f"media/{saved}" in _keys(s3_storages, "handoff-media")
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.read() == b"public bytes"


def test_listing_screenshots_move_between_the_buckets_with_the_listings_visibility(
    client, s3_storages, s3_endpoint
):
    """On S3 too: a draft's screenshot is in the private bucket and streamed by the
    view to its seller only; publishing copies it to the public prefix under a new
    name (a plain URL); a removal copies it back and deletes the public object."""
    from listings import media, services
    from listings.services.media import sync_listing_media
    from tests.listings.helpers import draft, moderator, published

    seller = VerifiedUserFactory()
    listing = draft(seller)
    shot = listing.screenshots.get()
    private_key = f"private/{shot.image.name}"
    assert shot.image.name.startswith(media.PRIVATE_PREFIX)
    assert private_key in _keys(s3_storages, "handoff-private")
    assert not any(k.endswith(shot.image.name) for k in _keys(s3_storages, "handoff-media"))
    view = f"/listings/{listing.pk}/screenshots/{shot.pk}/image"
    assert client.get(view).status_code == 404
    client.force_login(seller)
    stored = s3_storages.get_object(Bucket="handoff-private", Key=private_key)["Body"].read()
    assert b"".join(client.get(view).streaming_content) == stored
    client.logout()

    mod = moderator()
    listing = published(seller, mod, handle="@on_s3")
    assert sync_listing_media(listing_id=listing.pk) is True
    shot = listing.screenshots.get()
    assert shot.image.name.startswith(media.PUBLIC_PREFIX)
    public_key = f"media/{shot.image.name}"
    assert public_key in _keys(s3_storages, "handoff-media")
    url = default_storage.url(shot.image.name)
    assert url == f"{s3_endpoint}/handoff-media/{public_key}"
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
        body = answer.read()
    assert body.startswith(b"\x89PNG")
    private_after_publish = set(_keys(s3_storages, "handoff-private"))

    services.remove_listing(actor=mod, listing_id=listing.pk, reason="rules")
    assert sync_listing_media(listing_id=listing.pk) is True
    shot.refresh_from_db()
    assert shot.image.name.startswith(media.PRIVATE_PREFIX)
    assert public_key not in _keys(s3_storages, "handoff-media")  # the old URL is dead
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback
    assert gone.value.code in (403, 404)
    assert f"private/{shot.image.name}" in _keys(s3_storages, "handoff-private")
    assert f"private/{shot.image.name}" not in private_after_publish  # a new name
    view = f"/listings/{listing.pk}/screenshots/{shot.pk}/image"
    assert client.get(view).status_code == 404
    client.force_login(seller)
    assert b"".join(client.get(view).streaming_content) == body
