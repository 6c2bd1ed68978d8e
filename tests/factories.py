"""factory-boy factories. Build state the way users create it; these cover the rows
a service needs to start from."""

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
