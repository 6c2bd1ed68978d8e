"""Forms: the seller's steps and the catalogue's filters. Money is typed in major
units (e.g. dollars) and stored in integer minor units; the conversion is exact
(``Decimal``), never through a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.validators import DecimalValidator, MaxValueValidator
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.money import UnknownCurrency, currency_exponent, minor_to_major

from .handles import HANDLE_MAX_LENGTH, PROFILE_URL_MAX_LENGTH, clean_handle_for  # noqa: F401
from .models import MAX_FOLLOWERS, MAX_MONTHLY_REVENUE, MAX_PRICE, Listing, Platform


def _to_minor(value: Decimal, currency: str) -> int:
    exp = currency_exponent(currency)
    scaled = (value * (10**exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


class MoneyField(forms.DecimalField):
    """A major-unit amount (e.g. 1,499.00) → integer minor units in ``cleaned_data``.

    The currency's digits are read when a value is cleaned or shown, not when the
    form class is defined: the settlement currency is a setting (checked at start-up
    by ``kernel.checks``), and JPY allows no decimals where USD allows two."""

    def __init__(self, *, currency: str | None = None, min_minor=0, max_minor=MAX_PRICE, **kw):
        self._currency = currency
        self.min_minor, self.max_minor = min_minor, max_minor
        kw.setdefault("max_digits", 15)
        super().__init__(**kw)
        self.widget.attrs.setdefault("inputmode", "decimal")

    @property
    def currency(self) -> str:
        return (self._currency or settings.SETTLEMENT_CURRENCY).upper()

    def _exponent(self) -> int | None:
        try:
            return currency_exponent(self.currency)
        except UnknownCurrency:  # refused by the system check; nothing to show here
            return None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        exp = self._exponent()
        if exp is not None and "step" not in widget.attrs:
            attrs["step"] = "1" if exp == 0 else f"0.{'0' * (exp - 1)}1"
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "").strip()
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        DecimalValidator(self.max_digits, currency_exponent(self.currency))(amount)
        try:
            minor = _to_minor(amount, self.currency)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount."), code="invalid")
        if minor < self.min_minor:
            raise forms.ValidationError(
                _("The amount must be at least %(min)s %(currency)s.")
                % {"min": minor_to_major(self.min_minor, self.currency), "currency": self.currency},
                code="too_small",
            )
        if minor > self.max_minor:
            raise forms.ValidationError(
                _("The amount must be at most %(max)s %(currency)s.")
                % {"max": minor_to_major(self.max_minor, self.currency), "currency": self.currency},
                code="too_large",
            )
        return minor

    def prepare_value(self, value):
        if isinstance(value, int):
            return minor_to_major(value, self.currency, grouping=False)
        return value


#: Average likes above this many times the follower count ask the seller to confirm.
LIKES_PER_FOLLOWER_WARNING = 1


class AccountStepForm(forms.ModelForm):
    """Step 1: the account and its figures."""

    confirm_figures = forms.BooleanField(
        label=_("These figures are right: I can show them in the account's analytics."),
        required=False,
        widget=forms.HiddenInput,
    )

    follower_count = forms.IntegerField(
        label=_("Followers"),
        min_value=0,
        max_value=MAX_FOLLOWERS,
        error_messages={
            "min_value": _("Followers cannot be negative."),
            "max_value": _("That follower count is not plausible (at most 2,000,000,000)."),
        },
    )
    avg_views = forms.IntegerField(
        label=_("Average views per post"), min_value=0, max_value=MAX_FOLLOWERS * 10, initial=0
    )
    avg_likes = forms.IntegerField(
        label=_("Average likes per post"), min_value=0, max_value=MAX_FOLLOWERS * 10, initial=0
    )
    monthly_revenue = MoneyField(
        label=_("Monthly revenue"),
        required=False,
        max_minor=MAX_MONTHLY_REVENUE,
        help_text=_("Average over the last three months, if monetised."),
    )

    class Meta:
        model = Listing
        fields = [
            "platform",
            "handle",
            "niche",
            "follower_count",
            "avg_views",
            "avg_likes",
            "account_created_on",
            "audience_region",
            "monetised",
            "monthly_revenue",
        ]
        widgets = {
            "account_created_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "handle": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's blank choice reads "---------"; say what to choose instead.
        self.fields["platform"].choices = [("", _("Choose a platform")), *Platform.choices]
        self.fields["handle"].required = True
        self.fields["handle"].max_length = 300
        self.fields["handle"].label = _("Account handle or profile URL")
        self.fields["handle"].help_text = _(
            "Private: buyers see it only after their payment is held in escrow."
        )

    def clean_handle(self):
        return clean_handle_for(self.data.get("platform", ""), self.cleaned_data.get("handle"))

    def clean_account_created_on(self):
        value = self.cleaned_data.get("account_created_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The account cannot be created in the future."))
        return value

    def clean_monthly_revenue(self):
        return self.cleaned_data.get("monthly_revenue") or 0

    def clean(self):
        data = super().clean()
        if data.get("monthly_revenue") and not data.get("monetised"):
            self.add_error(
                "monetised", _("Tick “monetisation enabled” if the account earns revenue.")
            )
        self._check_engagement(data)
        return data

    def _check_engagement(self, data: dict) -> None:
        """Likes above views are impossible (refused); likes above the follower
        count are unusual: the seller confirms them before they are saved."""
        followers, views, likes = (
            data.get("follower_count"),
            data.get("avg_views"),
            data.get("avg_likes"),
        )
        if likes is None or followers is None or "avg_likes" in self.errors:
            return
        if views and likes > views:
            self.add_error(
                "avg_likes",
                _("Average likes (%(likes)s) cannot be more than average views (%(views)s).")
                % {"likes": f"{likes:,}", "views": f"{views:,}"},
            )
            return
        if likes > max(followers, 1) * LIKES_PER_FOLLOWER_WARNING and not data.get(
            "confirm_figures"
        ):
            # Show the confirmation box from now on (it is hidden until needed).
            self.fields["confirm_figures"].widget = forms.CheckboxInput()
            self.add_error(
                "avg_likes",
                _(
                    "%(likes)s average likes on %(followers)s followers is unusual. Buyers and "
                    "moderators check it against your screenshots: correct it, or tick the box "
                    "below to confirm it."
                )
                % {"likes": f"{likes:,}", "followers": f"{followers:,}"},
            )


class OfferStepForm(forms.ModelForm):
    """Step 2: price and description."""

    price = MoneyField(
        label=_("Price"),
        min_minor=100,
        help_text=_("What the buyer pays you; the platform fee is added at checkout."),
    )

    class Meta:
        model = Listing
        fields = ["title", "price", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = settings.SETTLEMENT_CURRENCY
        self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}
        self.fields["description"].help_text = _(
            "What a buyer should know: content, audience, history, why you sell. "
            "Do not put contact details or the handle here."
        )

    def clean_price(self):
        price = self.cleaned_data.get("price")
        if price is None or price <= 0:
            raise forms.ValidationError(_("The price must be more than zero."))
        return price


class ScreenshotForm(forms.Form):
    image = forms.FileField(
        label=_("Screenshot"),
        help_text=_("JPEG, PNG or WebP, up to 5 MB: analytics, profile page, revenue."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the seller will see"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CatalogueFilterForm(forms.Form):
    """The catalogue's query parameters. Invalid values are dropped, not fatal."""

    #: Django's own Jinja2 widget templates: the form is on every catalogue and
    #: search page, and renders in half the time (docs/performance.md).
    default_renderer = Jinja2FormRenderer()

    SORT_CHOICES = [
        ("newest", _("Newest")),
        ("price_asc", _("Price: low to high")),
        ("price_desc", _("Price: high to low")),
        ("followers_desc", _("Most followers")),
        ("relevance", _("Best match")),
    ]

    #: Longer searches are cut to this many characters (with a notice), never dropped.
    Q_MAX_LENGTH = 100

    q = forms.CharField(label=_("Search"), required=False, widget=forms.SearchInput)
    platform = forms.MultipleChoiceField(
        label=_("Platform"),
        choices=Platform.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_followers = forms.IntegerField(
        label=_("Min. followers"), required=False, min_value=0, max_value=MAX_FOLLOWERS
    )
    max_followers = forms.IntegerField(
        label=_("Max. followers"), required=False, min_value=0, max_value=MAX_FOLLOWERS
    )
    # Whole units of the settlement currency; the cap follows its digits (__init__).
    min_price = forms.IntegerField(label=_("Min. price"), required=False, min_value=0)
    max_price = forms.IntegerField(label=_("Max. price"), required=False, min_value=0)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.notices: list[str] = []
        currency = settings.SETTLEMENT_CURRENCY
        self.fields["min_price"].label = _("Min. price (%(currency)s)") % {"currency": currency}
        self.fields["max_price"].label = _("Max. price (%(currency)s)") % {"currency": currency}
        cap = MAX_PRICE // 10 ** currency_exponent(currency)  # JPY: yen, USD: dollars
        for name in ("min_price", "max_price"):
            self.fields[name].max_value = cap
            self.fields[name].validators.append(MaxValueValidator(cap))
            self.fields[name].widget.attrs["max"] = cap
        for name in ("min_followers", "max_followers", "min_price", "max_price"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "placeholder": "0"})
        # Each example finds a demo listing (listings/seed.py); keep them in step.
        self.fields["q"].widget.attrs["placeholder"] = _("e.g. gaming, 美食, travel")

    def clean_q(self):
        """Cut an over-long search and drop one with nothing searchable; each case
        leaves a notice (``self.notices``) that the results page shows."""
        from .search import has_terms

        q = " ".join((self.cleaned_data.get("q") or "").split())
        if len(q) > self.Q_MAX_LENGTH:
            q = q[: self.Q_MAX_LENGTH].rstrip()
            self.notices.append(
                _("Your search was longer than %(n)s characters; only its start was used.")
                % {"n": self.Q_MAX_LENGTH}
            )
        if q and not has_terms(q):
            self.notices.append(
                _("Your search “%(q)s” has no letters or digits, so it was ignored.") % {"q": q}
            )
            q = ""
        return q

    def clean(self):
        data = super().clean()
        for low, high, message in (
            (
                "min_price",
                "max_price",
                _("The maximum price is below the minimum price (%(min)s), so it was ignored."),
            ),
            (
                "min_followers",
                "max_followers",
                _(
                    "The maximum followers are below the minimum (%(min)s), so the maximum "
                    "was ignored."
                ),
            ),
        ):
            lo, hi = data.get(low), data.get(high)
            if lo is not None and hi is not None and hi < lo:
                self.add_error(high, message % {"min": f"{lo:,}"})
        return data

    def safe_data(self) -> dict:
        """cleaned_data with invalid fields left out (a bad parameter is ignored)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
