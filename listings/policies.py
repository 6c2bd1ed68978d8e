"""What each platform's own rules say about transferring an account.

Shown to buyers on every listing, before the buy button, so the risk is visible
before paying. Neutral summaries of the platforms' published terms; they are not
legal advice, and the platforms can change their terms at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Platform


@dataclass(frozen=True)
class TransferPolicy:
    #: "official" (the platform has a transfer path), "forbidden" (its terms forbid
    #: transfers), "unclear" (no published position known to us).
    stance: str
    summary: str
    detail: str

    @property
    def badge_class(self) -> str:
        return {"official": "badge-success", "forbidden": "badge-danger"}.get(
            self.stance, "badge-warning"
        )

    @property
    def stance_label(self) -> str:
        return {
            "official": _("Official transfer path"),
            "forbidden": _("Platform terms forbid transfers"),
        }.get(self.stance, _("Check the platform's terms"))


_CN_TERMS = _(
    "Its user agreement says the account remains the platform's property, that users only "
    "hold a right to use it, and that accounts may not be given, lent, rented, transferred "
    "or sold. Accounts are bound to a real-name identity, which cannot be handed over. The "
    "platform may restrict or close an account it finds was transferred."
)

POLICIES: dict[str, TransferPolicy] = {
    Platform.YOUTUBE: TransferPolicy(
        "official",
        _(
            "YouTube channels linked to a Brand Account can change owner through Google's "
            "official process (the new owner is added, then made primary owner)."
        ),
        _(
            "A channel on a personal Google Account must first be moved to a Brand Account. "
            "Monetisation (YouTube Partner Programme, AdSense) does not move with the channel: "
            "the buyer applies or links their own."
        ),
    ),
    Platform.TIKTOK: TransferPolicy(
        "forbidden",
        _("TikTok's Terms of Service do not allow selling or transferring an account."),
        _(
            "TikTok may suspend or ban an account it finds was sold. Creator monetisation "
            "programmes are tied to the original holder's identity and do not transfer."
        ),
    ),
    Platform.DOUYIN: TransferPolicy(
        "forbidden",
        _("Douyin's user agreement forbids transferring or selling accounts."),
        _CN_TERMS,
    ),
    Platform.INSTAGRAM: TransferPolicy(
        "forbidden",
        _(
            "Instagram's Terms of Use say users may not buy, sell or transfer any aspect of an "
            "account, including the username."
        ),
        _("Instagram may disable an account it finds was transferred."),
    ),
    Platform.BILIBILI: TransferPolicy(
        "forbidden",
        _("Bilibili's user agreement forbids transferring or selling accounts."),
        _CN_TERMS,
    ),
    Platform.XIAOHONGSHU: TransferPolicy(
        "forbidden",
        _("Xiaohongshu's user agreement forbids transferring or selling accounts."),
        _CN_TERMS,
    ),
    Platform.KUAISHOU: TransferPolicy(
        "forbidden",
        _("Kuaishou's user agreement forbids transferring or selling accounts."),
        _CN_TERMS,
    ),
    Platform.WEIBO: TransferPolicy(
        "forbidden",
        _("Weibo's user agreement forbids transferring or selling accounts."),
        _CN_TERMS,
    ),
    Platform.X: TransferPolicy(
        "forbidden",
        _("X's rules prohibit buying and selling accounts and usernames."),
        _("X may suspend accounts involved in such sales."),
    ),
    Platform.TWITCH: TransferPolicy(
        "forbidden",
        _("Twitch's Terms of Service do not allow selling or transferring an account."),
        _(
            "Affiliate and Partner agreements and their payouts belong to the original holder "
            "and do not transfer."
        ),
    ),
    Platform.OTHER: TransferPolicy(
        "unclear",
        _("Read this platform's terms of service on account transfers before you buy."),
        _("Many platforms forbid transferring accounts and may close one that was sold."),
    ),
}

GENERAL_NOTE = _(
    "Escrow protects your money during the handover; it cannot make the platform accept "
    "the transfer. Summaries of the platforms' published terms, not legal advice."
)


def policy_for(platform: str) -> TransferPolicy:
    return POLICIES.get(platform, POLICIES[Platform.OTHER])
