from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("governance.urls")),
    path("", include("listings.urls")),
    path("", include("escrow.urls")),
]

handler403 = "marketplace.views.error_403"
handler404 = "marketplace.views.error_404"
handler500 = "marketplace.views.error_500"
