"""Field labels that read in the moderator's language.

A model field without ``verbose_name`` is labelled with its name ("created at") in
the admin's columns, filters ("以 kind") and forms, untranslated. At start-up each
such field of our apps gets its name as a lazy translation (the Chinese is in
``locale/zh_Hans``). Only the label is set, not the ``verbose_name`` argument that
migrations record (``Field._verbose_name``), so no migration changes.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy

APPS = ("accounts", "governance", "listings", "escrow")
#: Other apps whose models the admin shows (allauth's second factors: "Created
#: at", "Last used at" on a Chinese page).
LABELLED_APPS = (*APPS, "mfa")


def untranslated_fields():
    """(model, field) of our apps whose label is only their name."""
    for model in apps.get_models():
        if model._meta.app_label not in LABELLED_APPS:
            continue
        for field in model._meta.get_fields(include_hidden=False):
            if getattr(field, "_verbose_name", "") is None and isinstance(
                getattr(field, "verbose_name", None), str
            ):
                yield model, field


def translate_field_labels() -> None:
    for _model, field in list(untranslated_fields()):
        # The names themselves are the message ids, listed by hand in the catalogue.
        field.verbose_name = gettext_lazy(field.verbose_name)


def translate_boolean_icons() -> None:
    """The admin's yes/no icons say "True"/"False" to a screen reader whatever the
    language (``alt`` is the Python value); they say
    是/否 here. Django looks the helper up in its module at each call (list columns,
    read-only fields), so replacing it there covers every boolean the admin shows."""
    from django.contrib.admin.templatetags import admin_list
    from django.templatetags.static import static
    from django.utils.html import format_html
    from django.utils.translation import gettext

    def boolean_icon(field_val):
        icon = {True: "yes", False: "no", None: "unknown"}[field_val]
        alt = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[field_val]
        return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt)

    admin_list._boolean_icon = boolean_icon


def translate_model_names() -> None:
    """A model that declares no ``verbose_name`` (allauth's ``Authenticator``) is
    named by its class in the admin's menu and titles ("Authenticators"), in
    English whatever the language: it gets its name as a lazy translation, as the
    fields above do."""
    for model in apps.get_models():
        meta = model._meta
        if "verbose_name" in meta.original_attrs or not isinstance(meta.verbose_name, str):
            continue
        meta.verbose_name = gettext_lazy(meta.verbose_name)
        if "verbose_name_plural" not in meta.original_attrs:
            meta.verbose_name_plural = gettext_lazy(meta.verbose_name_plural)
