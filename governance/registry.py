"""What can be reported: a whitelist of models, registered by the app that owns them.

governance knows users only; listings and escrow register their own models from
their ``AppConfig.ready`` (the dependency direction stays escrow → listings →
governance)::

    from governance.registry import register_reportable

    register_reportable(
        Listing,
        owner="seller",                       # attribute, or callable(obj) -> User | None
        label=_("listing"),
        categories=["listing_content", "behaviour", "admission"],
        text=lambda listing: f"{listing.title}\\n{listing.description}",
        queryset=lambda: Listing.objects.filter(state="published"),  # rescanned content
        visible_to=lambda user, listing: listing.is_visible_to(user),  # else 404
    )

A model may instead expose a ``governance_owner`` attribute or property; it is
used when ``owner`` is not given.

Members (users) are governance's own reportable. Their names are shown to others
only where apps above show them (a seller's public page, a deal's counterpart), so
those apps say where with ``register_user_visibility(seen)``: the report page of a
member opens for whoever one of these ``seen(viewer, member)`` admits, and answers
404 to anyone else, as for an unknown id (``shown_to``): no way to list names by
id. (The report service itself refuses only inactive members: moderators and the
detectors file reports on members without a page.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Category


@dataclass(frozen=True)
class Reportable:
    model: type[models.Model]
    label: str
    owner: Callable[[models.Model], object]
    owner_id: Callable[[models.Model], object]
    categories: tuple[str, ...]
    text: Callable[[models.Model], str] | None = None
    queryset: Callable[[], models.QuerySet] | None = None
    visible_to: Callable[[object, models.Model], bool] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def label_key(self) -> str:
        return self.model._meta.label_lower


_REGISTRY: dict[str, Reportable] = {}
_USER_VISIBILITY: list[Callable[[object, models.Model], bool]] = []


def register_user_visibility(seen: Callable[[object, models.Model], bool]) -> None:
    """Add where ``viewer`` sees ``member``'s name (idempotent)."""
    if seen not in _USER_VISIBILITY:
        _USER_VISIBILITY.append(seen)


def shown_to(viewer, obj) -> bool:
    """Whether the report page may show ``obj`` (its name) to ``viewer``: a member
    only where an app above shows their name to this viewer; anything else as its
    registration's ``visible_to`` says (checked beside it)."""
    from accounts.models import User

    if isinstance(obj, User):
        return obj.pk == viewer.pk or any(seen(viewer, obj) for seen in _USER_VISIBILITY)
    return True


def _owner_getter(owner) -> Callable[[models.Model], object]:
    if callable(owner):
        return owner
    if isinstance(owner, str):
        return lambda obj: getattr(obj, owner, None)
    return lambda obj: getattr(obj, "governance_owner", None)


def _owner_id_getter(model, owner) -> Callable[[models.Model], object]:
    """The owner's pk; read from the foreign key's column when ``owner`` names one,
    so asking "is this yours?" loads no user row."""
    if isinstance(owner, str):
        try:
            fk = model._meta.get_field(owner)
        except FieldDoesNotExist:
            fk = None
        if fk is not None and fk.many_to_one:
            attname = fk.attname
            return lambda obj: getattr(obj, attname, None)
    getter = _owner_getter(owner)
    return lambda obj: getattr(getter(obj), "pk", None)


def register_reportable(
    model: type[models.Model],
    *,
    owner: str | Callable[[models.Model], object] | None = None,
    label: str,
    categories: Iterable[str] | None = None,
    text: Callable[[models.Model], str] | None = None,
    queryset: Callable[[], models.QuerySet] | None = None,
    visible_to: Callable[[object, models.Model], bool] | None = None,
) -> Reportable:
    """Allow reports against ``model`` (idempotent: registering again replaces).

    ``owner`` names who answers for an object (the user sanctioned on a confirmed
    report; reporting it is refused to that user). ``text`` returns the object's
    text for the detectors and the rescan job; ``queryset`` the objects the rescan
    job walks. ``visible_to(user, obj)`` hides objects from reporters who may not
    see them (the report page then answers 404).
    """
    cats = tuple(categories) if categories is not None else tuple(Category.values)
    unknown = set(cats) - set(Category.values)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}")
    entry = Reportable(
        model=model,
        label=label,
        owner=_owner_getter(owner),
        owner_id=_owner_id_getter(model, owner),
        categories=cats,
        text=text,
        queryset=queryset,
        visible_to=visible_to,
    )
    _REGISTRY[entry.label_key] = entry
    return entry


def unregister_reportable(model: type[models.Model]) -> None:
    _REGISTRY.pop(model._meta.label_lower, None)


def get_reportable(model_or_obj) -> Reportable | None:
    return _REGISTRY.get(model_or_obj._meta.label_lower)


def reportables() -> list[Reportable]:
    return list(_REGISTRY.values())


def owner_of(obj) -> object | None:
    entry = get_reportable(obj)
    if entry is None:
        return None
    return entry.owner(obj)


def owner_id_of(obj) -> object | None:
    """The pk of who answers for ``obj`` (None when nobody or not reportable)."""
    entry = get_reportable(obj)
    if entry is None:
        return None
    return entry.owner_id(obj)


def text_of(obj) -> str:
    entry = get_reportable(obj)
    if entry is None or entry.text is None:
        return ""
    return entry.text(obj) or ""


def report_url(obj) -> str | None:
    """The URL of the report form for ``obj``, or None if it is not reportable."""
    if get_reportable(obj) is None:
        return None
    ct = ContentType.objects.get_for_model(obj)
    return reverse("governance:report", args=[ct.pk, obj.pk])


def _register_users() -> None:
    from accounts.models import User

    register_reportable(
        User,
        owner=lambda user: user,
        label=_("user"),
        categories=["admission", "behaviour", "transaction"],
        text=lambda user: user.display_name,
        queryset=lambda: User.objects.filter(is_active=True),
        visible_to=lambda viewer, user: user.is_active,
    )
