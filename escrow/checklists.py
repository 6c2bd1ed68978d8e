"""The per-platform handover checklist the seller confirms item by item."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COMMON = [
    (
        "login_email",
        _("The login e-mail is changed to one the buyer controls (or handed over with it)."),
    ),
    ("phone", _("The phone number is removed or changed to the buyer's.")),
    ("two_factor", _("Two-factor authentication is reset so the buyer can set up their own.")),
    ("sessions", _("All other sessions and devices are logged out.")),
    ("managers", _("Other managers, editors and linked apps are removed.")),
]

EXTRA = {
    "youtube": [
        (
            "brand_owner",
            _(
                "The buyer is invited as primary owner of the brand account (YouTube's official path)."
            ),
        ),
    ],
    "douyin": [
        ("real_name", _("The real-name binding is released as far as the platform allows."))
    ],
    "kuaishou": [
        ("real_name", _("The real-name binding is released as far as the platform allows."))
    ],
    "bilibili": [
        ("real_name", _("The real-name binding is released as far as the platform allows."))
    ],
    "xiaohongshu": [
        ("real_name", _("The real-name binding is released as far as the platform allows."))
    ],
    "instagram": [("business", _("Linked Facebook pages and business tools are unlinked."))],
    "tiktok": [("creator_fund", _("Monetisation and payout settings are cleared for the buyer."))],
    "twitch": [("payout", _("Affiliate/partner payout details are removed."))],
}


def checklist_for(platform: str) -> list[tuple[str, str]]:
    return [*COMMON, *EXTRA.get(platform, [])]
