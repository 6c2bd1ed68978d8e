"""Users, the one audit log, and the per-user standing record.

accounts knows nothing of listings, deals or governance (DESIGN.md dependency
direction); other apps write to ``AuditEntry`` and ``Standing`` through
``accounts.services``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person using Handoff. Logs in with an e-mail address (django-allauth)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        blank=True,
        help_text=_("Shown to other users instead of your e-mail address."),
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """A name safe to show other users: never the e-mail address."""
        return self.display_name or f"user{self.pk}"

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class AuditEntry(models.Model):
    """Append-only record of a staff or moderator action (and other sensitive reads).

    Written only through ``accounts.services.record_audit``. Rows are never updated
    or deleted: ``save`` refuses updates and, on PostgreSQL, a trigger refuses
    UPDATE and DELETE.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")


class Standing(models.Model):
    """What buyers see of a user's track record; escrow's services keep it current.

    Money-free summary figures only; listings read it without reaching into escrow.
    """

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="standing")
    completed_sales = models.PositiveIntegerField(default=0)
    completed_purchases = models.PositiveIntegerField(default=0)
    deals_ended = models.PositiveIntegerField(
        default=0, help_text="Deals as seller that reached a final state."
    )
    disputes = models.PositiveIntegerField(
        default=0, help_text="Deals as seller that were disputed."
    )
    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0, help_text="Sum of 1–5 star ratings.")
    median_release_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Median time from funding to release, seconds."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("standing record")
        verbose_name_plural = _("standing records")

    def __str__(self) -> str:
        return f"standing of {self.user_id}"

    @property
    def rating(self) -> float | None:
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    @property
    def dispute_rate(self) -> float | None:
        return round(self.disputes / self.deals_ended, 3) if self.deals_ended else None
