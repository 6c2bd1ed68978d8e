"""factory-boy factories. Build state the way users create it; these cover the rows
a service needs to start from."""

import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


def document_photo(color=(40, 120, 90)):
    """A small real PNG, cleaned the way the /verify/ form cleans uploads."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from kernel.uploads import clean_image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), color).save(buffer, "PNG")
    upload = SimpleUploadedFile("document.png", buffer.getvalue(), content_type="image/png")
    return clean_image(upload).content


class VerifiedUserFactory(UserFactory):
    """A verified adult: real-name verification submitted and approved through
    ``accounts.services`` (as an identity provider would approve it), with a unique
    passport number and a 1990 birth date. ``governance.policy.can`` lets them buy,
    sell and list."""

    @factory.post_generation
    def identity_verification(self, create, extracted, **kwargs):
        if not create:
            return
        from accounts import services

        verification = services.submit_verification(
            user=self,
            submission=services.VerificationSubmission(
                legal_name=kwargs.get("legal_name", f"Test Person {self.pk}"),
                document_type="passport",
                document_number=kwargs.get("document_number", f"T{self.pk:08d}"[-9:]),
                date_of_birth=kwargs.get("date_of_birth", datetime.date(1990, 1, 1)),
                country="GB",
            ),
            document_image=document_photo(),
        )
        from django.test import override_settings

        # Set-up, not the behaviour under test: no "verified" e-mail in the outbox.
        with override_settings(NOTIFICATION_EMAILS=False):
            services.approve_verification(
                verification_id=verification.pk, actor=None, reason="test factory"
            )
        self.refresh_from_db()


class ListingFactory(factory.django.DjangoModelFactory):
    """A listing row in any state (for tests of reads and of escrow). Tests of the
    seller's flow build listings through ``listings.services`` instead."""

    class Meta:
        model = "listings.Listing"

    seller = factory.SubFactory(UserFactory)
    state = "PUBLISHED"
    platform = "youtube"
    niche = "gaming"
    title = factory.Sequence(lambda n: f"Gaming channel number {n}")
    description = "An established channel with a loyal audience."
    follower_count = 12_000
    avg_views = 3_000
    avg_likes = 250
    price = 150_000
    handle = factory.Sequence(lambda n: f"@private-handle-{n}")
    published_at = factory.LazyFunction(timezone.now)
