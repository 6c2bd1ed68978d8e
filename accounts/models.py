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
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField
from kernel.outbox import OutboxFields
from kernel.private_files import private_storage

from .display_names import name_key


class VerificationStatus(models.TextChoices):
    """A user's real-name verification standing, as ``governance.policy.can`` reads it.

    Denormalised onto ``User`` by ``accounts.services`` (in the same transaction as the
    ``IdentityVerification`` change) so that the permission gate reads a field instead
    of running a query on every hot page.
    """

    UNVERIFIED = "unverified", _("Not verified")
    PENDING = "pending", _("Under review")
    VERIFIED = "verified", pgettext_lazy("identity verification", "Verified")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


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
    # The display name as accounts.display_names compares names (case, width, spaces,
    # look-alikes set aside): kept by save(), so "is this name taken?" is one lookup.
    display_name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    # Real-name verification, kept current by accounts.services (never set by hand).
    verification_status = models.CharField(
        _("verification status"),
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
    )
    verified_until = models.DateTimeField(
        _("verified until"),
        null=True,
        blank=True,
        help_text=_("When the current real-name verification expires."),
    )
    is_minor = models.BooleanField(
        _("marked as a minor"),
        default=False,
        help_text=_(
            "Set when the user declared a date of birth under 18. Only a moderator can lift it."
        ),
    )
    minor_marked_at = models.DateTimeField(_("marked as a minor at"), null=True, blank=True)
    #: The language the user last chose (the language menu) or signed in with; their
    #: e-mails are written in it. Empty: never told (the site's default is used).
    language = models.CharField(_("language"), max_length=10, blank=True, default="", db_default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("lift_minor_mark", _("Can lift the minor mark"))]
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

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        saves_name = "display_name" not in self.get_deferred_fields() and (
            update_fields is None or "display_name" in update_fields
        )
        if saves_name:
            self.display_name_key = name_key(self.display_name)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "display_name_key"}
        super().save(*args, **kwargs)

    def is_verified_adult(self, *, now=None) -> bool:
        """Verified real name, currently valid, and not marked as a minor. No query."""
        if self.is_minor or self.verification_status != VerificationStatus.VERIFIED:
            return False
        return self.verified_until is not None and self.verified_until > (now or timezone.now())


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
        from kernel.admin_display import when

        from .audit_display import action_label  # labels import the app registry

        target = self.target if self.target_type_id else None
        name = str(target) if target is not None else self.target_repr
        return f"{when(self.created_at)} {action_label(self.action)} {name}"

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
        default=0, help_text=_("Deals as seller that reached a final state.")
    )
    disputes = models.PositiveIntegerField(
        default=0, help_text=_("Deals as seller that were disputed.")
    )
    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0, help_text=_("Sum of 1–5 star ratings."))
    median_release_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Median time from funding to release, seconds.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("standing record")
        verbose_name_plural = _("standing records")

    def __str__(self) -> str:
        return gettext("standing of user %(user)s") % {"user": self.user_id}

    @property
    def rating(self) -> float | None:
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    @property
    def dispute_rate(self) -> float | None:
        return round(self.disputes / self.deals_ended, 3) if self.deals_ended else None


def _document_upload_to(instance, filename: str) -> str:
    # Names come from clean_image (uuid); the folder groups a user's files.
    return f"identity/{instance.user_id}/{filename}"


class IdentityVerification(models.Model):
    """One real-name verification submission and its review.

    States (``TRANSITIONS`` is the single source of truth)::

        pending --approve--> verified --revoke--> revoked
        pending --reject---> rejected
        verified --job: validity ends--> expired
        verified --a renewal is approved--> superseded

    The document number is kept only encrypted (``document_number``), with a keyed
    hash of its normalised form for duplicate searches and its last 4 characters for
    display. Nothing else may show more than those 4 characters.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Under review")
        VERIFIED = "verified", pgettext_lazy("identity verification", "Verified")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Replaced by a renewal")

    TRANSITIONS: dict[str, frozenset[str]] = {
        State.PENDING: frozenset({State.VERIFIED, State.REJECTED}),
        State.VERIFIED: frozenset({State.REVOKED, State.EXPIRED, State.SUPERSEDED}),
        State.REJECTED: frozenset(),
        State.REVOKED: frozenset(),
        State.EXPIRED: frozenset(),
        State.SUPERSEDED: frozenset(),
    }

    class DocumentType(models.TextChoices):
        CN_RESIDENT_ID = "cn_resident_id", _("Mainland China resident ID card")
        CN_RESIDENCE_PERMIT = (
            "cn_residence_permit",
            _("Residence permit for Hong Kong, Macao and Taiwan residents"),
        )
        CN_PERMANENT_RESIDENCE = "cn_permanent_res", _("Foreigners' Permanent Residence ID card")
        HKMO_TRAVEL_PERMIT = (
            "hkmo_travel_permit",
            _("Mainland Travel Permit for Hong Kong and Macao Residents"),
        )
        TW_TRAVEL_PERMIT = "tw_travel_permit", _("Mainland Travel Permit for Taiwan Residents")
        PASSPORT = "passport", _("Passport")
        OTHER = "other", _("Other government-issued ID")

    class Provider(models.TextChoices):
        MANUAL = "manual", _("Manual review")
        STRIPE = "stripe_identity", _("Stripe Identity")

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="identity_verifications"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    provider = models.CharField(
        _("identity provider"), max_length=20, choices=Provider.choices, default=Provider.MANUAL
    )
    provider_reference = models.CharField(
        _("provider reference"),
        max_length=100,
        blank=True,
        help_text=_("The provider's id for this check (e.g. a Stripe VerificationSession)."),
    )
    legal_name = models.CharField(_("legal name"), max_length=120)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_number = EncryptedTextField(
        _("document number"), help_text=_("Encrypted at rest; never displayed in full.")
    )
    document_number_hash = models.CharField(
        _("document number hash"),
        max_length=64,
        db_index=True,
        help_text=_("Keyed HMAC-SHA256 of the normalised number, to find duplicates."),
    )
    document_scope = models.CharField(
        _("document scope"),
        max_length=20,
        blank=True,
        default="",
        help_text=_(
            "Issuing countries within which the number names one document (passports "
            "and other IDs); empty when the number is unique everywhere."
        ),
    )
    document_last4 = models.CharField(_("last 4 characters"), max_length=4)
    date_of_birth = models.DateField(_("date of birth"))
    country = models.CharField(_("issuing country"), max_length=2)
    document_image = models.FileField(
        _("photo of the document"),
        storage=private_storage,
        upload_to=_document_upload_to,
        blank=True,
        max_length=200,
    )
    selfie_image = models.FileField(
        _("selfie"),
        storage=private_storage,
        upload_to=_document_upload_to,
        blank=True,
        max_length=200,
    )
    language = models.CharField(
        max_length=10, blank=True, help_text=_("Language for e-mails about this check.")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="identity_decisions",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(
        _("reason given to the user"), blank=True, help_text=_("Shown to the user.")
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("revoked or expired at"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")
        permissions = [
            ("review_identityverification", _("Can approve, reject or revoke verifications")),
            ("view_identity_document", _("Can view identity document images")),
        ]
        constraints = [
            # One document number is verified for one account at a time (impersonation).
            # (The same passport number from two countries is two documents.)
            models.UniqueConstraint(
                fields=["document_number_hash", "document_scope"],
                condition=models.Q(state="verified"),
                name="identity_one_verified_owner_per_document",
            ),
            # A user has at most one live verification and at most one pending review.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state="verified"),
                name="identity_one_verified_per_user",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state="pending"),
                name="identity_one_pending_per_user",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="identity_unique_provider_reference",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="verified") | models.Q(expires_at__isnull=False),
                name="identity_verified_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} ···{self.document_last4} ({self.user_id})"

    @property
    def masked_number(self) -> str:
        return f"···{self.document_last4}"


class PendingVerification(IdentityVerification):
    """The moderators' review queue (pending verifications only) in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("verification to review")
        verbose_name_plural = _("verification queue")


class ImpersonationFlag(models.Model):
    """A document number already verified for one account was submitted by another.

    Raised to moderators (admin queue) and announced with the
    ``accounts.signals.possible_impersonation`` signal so that governance can open a
    report. Holds only the hash and last 4 characters of the number.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="impersonation_flags",
        verbose_name=_("account that submitted the document"),
    )
    attempt = models.ForeignKey(
        IdentityVerification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("refused submission"),
    )
    existing = models.ForeignKey(
        IdentityVerification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verification it collides with"),
    )
    existing_user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account already verified with it"),
    )
    document_number_hash = models.CharField(max_length=64, db_index=True)
    document_last4 = models.CharField(_("last 4 characters"), max_length=4)
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    resolution = models.TextField(_("moderator's note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("possible impersonation")
        verbose_name_plural = _("possible impersonations")

    def __str__(self) -> str:
        return f"possible impersonation ···{self.document_last4} by {self.user_id}"


class Email(OutboxFields):
    """An e-mail in the outbox (``kernel.outbox``) that is not a deal
    notification: governance decisions, verification news, operator alerts.

    Written by ``accounts.outbox.queue_email`` in the transaction of the step that
    caused it; rendered when it is sent, from ``kind`` and ``params`` (ids), in the
    recipient's language (``User.language``). Rows with no ``kind`` carry their
    text already (``subject``/``body``, e.g. an operator alert)."""

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    #: The address when the recipient is not a user (operators).
    to = models.EmailField(_("recipient address"), blank=True)
    kind = models.CharField(_("kind"), max_length=60, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    subject = models.CharField(_("subject line"), max_length=255, blank=True)
    body = models.TextField(_("message text"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        indexes = [
            models.Index(
                fields=["email_due_at", "id"],
                name="accounts_email_due",
                condition=models.Q(email_state="pending"),
            ),
        ]

    def __str__(self) -> str:
        # Read in the admin in either language: an arrow, not the word "to".
        subject = Truncator(self.subject).chars(40)
        return f"{self.kind or subject} → {self.user_id or self.to}"
