"""Groups: the permission picker in the reader's language.

Django writes a permission's name into its row once, in English, when it creates
it ("Can add user", and each model's ``Meta.permissions``), so the picker would
show English to a Chinese-speaking administrator. The label is made when shown
instead: the model's own (translated) names and the action, or the model's
declared name for a permission of its own; a row with no model left in the code
shows as stored.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: Django's four default permissions, by the codename's first word.
DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_name(permission: Permission) -> str:
    """What the permission allows, in the active language."""
    model = permission.content_type.model_class()
    if model is None:  # a model since removed: only the stored name is left
        return permission.name
    opts = model._meta
    declared = dict(opts.permissions)
    if permission.codename in declared:
        return gettext(str(declared[permission.codename]))
    action, _sep, model_name = permission.codename.partition("_")
    if action in DEFAULT_ACTIONS and model_name == opts.model_name:
        return DEFAULT_ACTIONS[action] % {"model": opts.verbose_name}
    return permission.name


def permission_label(permission: Permission) -> str:
    """The picker's line: app | model | what it allows."""
    return f"{permission.content_type} | {permission_name(permission)}"


admin.site.unregister(Group)


@admin.register(Group)
class TranslatedGroupAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions":
            field.label_from_instance = permission_label
        return field
