from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as serve_media

from listings.views import home as listings_home

from . import metrics, views

urlpatterns = [
    path("", listings_home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/switch/", views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("governance.urls")),
    path("", include("listings.urls")),
    path("", include("escrow.urls")),
]

if getattr(settings, "SERVE_MEDIA", settings.DEBUG):
    # Public media only (listing screenshots); private files have no URL at all.
    urlpatterns += [
        re_path(
            r"^" + settings.MEDIA_URL.lstrip("/") + r"(?P<path>.*)$",
            serve_media,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

if getattr(settings, "BENCH_ENDPOINTS", False):
    # The benchmark's ceiling (make bench only): a fixed page, no database.
    from .ceiling import ceiling

    urlpatterns += [path("_bench/ceiling", ceiling, name="bench_ceiling")]

handler403 = "marketplace.views.error_403"
handler404 = "marketplace.views.error_404"
handler500 = "marketplace.views.error_500"
