from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Standing, User


@receiver(post_save, sender=User, dispatch_uid="accounts-create-standing")
def create_standing(sender, instance: User, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        Standing.objects.get_or_create(user=instance)
