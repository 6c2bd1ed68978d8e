"""Sellers' payout accounts: provider onboarding or the manual rail."""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.models import User
from accounts.services import record_audit
from escrow import gateways
from escrow.countries import PAYOUT_COUNTRIES
from escrow.exceptions import PayoutAccountReady, PayoutCountryUnsupported
from escrow.models import (
    Deal,
    Payout,
    SellerPayoutAccount,
)

logger = logging.getLogger(__name__)
State = Deal.State

# ------------------------------------------------------------ seller payouts


def connect_payout_account(
    *, user: User, country: str, return_url: str, refresh_url: str
) -> tuple[SellerPayoutAccount, str]:
    """Start (or resume) provider onboarding; returns the account and the URL to
    send the seller to. A country the provider cannot pay gets the manual rail.

    Raises ``PayoutCountryUnsupported`` for a country outside ``PAYOUT_COUNTRIES``
    and ``PayoutAccountReady`` rather than move a ready provider account to
    another country or to the manual rail (payouts would stop without a word)."""
    gateway = gateways.get_gateway()
    country = country.upper()
    if country not in dict(PAYOUT_COUNTRIES):
        raise PayoutCountryUnsupported()
    existing = SellerPayoutAccount.objects.filter(user=user).first()
    if (
        existing is not None
        and existing.rail == SellerPayoutAccount.Rail.PROVIDER
        and existing.can_receive
        and existing.country != country
    ):
        raise PayoutAccountReady()
    account, _created = SellerPayoutAccount.objects.get_or_create(
        user=user, defaults={"country": country, "provider": gateway.name}
    )
    if country not in gateway.payout_countries:
        with transaction.atomic():
            account = SellerPayoutAccount.objects.select_for_update().get(pk=account.pk)
            if account.rail == SellerPayoutAccount.Rail.PROVIDER and account.can_receive:
                raise PayoutAccountReady()
            account.country, account.rail = country, SellerPayoutAccount.Rail.MANUAL
            account.save()
        return account, ""
    remote = gateway.onboard_seller(
        email=user.email,
        country=country,
        account_ref=account.account_ref if account.provider == gateway.name else "",
        return_url=return_url,
        refresh_url=refresh_url,
    )
    with transaction.atomic():
        account = SellerPayoutAccount.objects.select_for_update().get(pk=account.pk)
        account.country = country
        account.rail = SellerPayoutAccount.Rail.PROVIDER
        account.provider = gateway.name
        account.account_ref = remote.ref
        account.payouts_enabled = remote.payouts_enabled
        account.save()
    _release_held_payouts(user_id=user.pk, now=None)
    return account, remote.onboarding_url


def save_manual_payout_details(
    *, user: User, country: str, bank_details: str
) -> SellerPayoutAccount:
    """Bank details for the manual rail (encrypted at rest). Refused
    (``PayoutAccountReady``) while a provider account is ready to receive."""
    if country.upper() not in dict(PAYOUT_COUNTRIES):
        raise PayoutCountryUnsupported()
    with transaction.atomic():
        account, _created = SellerPayoutAccount.objects.select_for_update().get_or_create(
            user=user, defaults={"country": country.upper()}
        )
        if account.rail == SellerPayoutAccount.Rail.PROVIDER and account.can_receive:
            raise PayoutAccountReady()
        account.country = country.upper()
        account.rail = SellerPayoutAccount.Rail.MANUAL
        account.bank_details = bank_details.strip()
        account.save()
        record_audit(actor=user, action="escrow.payout_details_changed", target=account)
    _release_held_payouts(user_id=user.pk, now=None)
    return account


def refresh_payout_account(*, user: User) -> SellerPayoutAccount | None:
    """Re-read ``payouts_enabled`` from the provider (return from onboarding)."""
    account = SellerPayoutAccount.objects.filter(user=user).first()
    if account is None or not account.account_ref:
        return account
    remote = gateways.get_gateway().retrieve_seller_account(ref=account.account_ref)
    return set_payouts_enabled(account_ref=account.account_ref, enabled=remote.payouts_enabled)


def set_payouts_enabled(*, account_ref: str, enabled: bool) -> SellerPayoutAccount | None:
    with transaction.atomic():
        account = (
            SellerPayoutAccount.objects.select_for_update().filter(account_ref=account_ref).first()
        )
        if account is None:
            return None
        account.payouts_enabled = enabled
        account.save(update_fields=["payouts_enabled", "updated_at"])
    if enabled:
        _release_held_payouts(user_id=account.user_id, now=None)
    return account


def _release_held_payouts(*, user_id: int, now) -> None:
    """Payouts waiting for payout details become due again."""
    Payout.objects.filter(seller_id=user_id, status=Payout.Status.ON_HOLD).update(
        status=Payout.Status.PENDING, next_attempt_at=None
    )
