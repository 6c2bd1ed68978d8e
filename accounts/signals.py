from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import Standing, User

#: Sent (after commit) when a document number already verified for one account is
#: submitted by another. Receivers get ``flag`` (an ``accounts.ImpersonationFlag``,
#: carrying only the number's hash and last 4 characters) and ``user`` (who submitted
#: it). Governance subscribes to open a report; accounts itself only queues the flag
#: for moderators.
possible_impersonation = Signal()


@receiver(post_save, sender=User, dispatch_uid="accounts-create-standing")
def create_standing(sender, instance: User, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        Standing.objects.get_or_create(user=instance)
