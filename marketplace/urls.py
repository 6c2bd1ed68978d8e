from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from listings.views import home as listings_home

from . import metrics, pages, views
from .sitemaps import SITEMAPS

page_patterns = (
    [
        path("terms/", pages.terms, name="terms"),
        path("privacy/", pages.privacy, name="privacy"),
        path("how-it-works/", pages.how_it_works, name="how_it_works"),
        path("contact/", pages.contact, name="contact"),
    ],
    "pages",
)

urlpatterns = [
    path("", listings_home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", pages.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("", include(page_patterns)),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/switch/", views.switch_language, name="switch_language"),
    path("i18n/setlang/", views.set_language, name="set_language"),
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
            views.serve_public_media,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

if getattr(settings, "BENCH_ENDPOINTS", False):
    # The benchmark's ceiling (make bench only): a fixed page, no database.
    from .ceiling import ceiling

    urlpatterns += [path("_bench/ceiling", ceiling, name="bench_ceiling")]

handler400 = "marketplace.views.error_400"
handler403 = "marketplace.views.error_403"
handler404 = "marketplace.views.error_404"
handler500 = "marketplace.views.error_500"
