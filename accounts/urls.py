from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/export/", views.export_data, name="export_data"),
    path("me/close/", views.close_account, name="close_account"),
    path("verify/", views.verify, name="verify"),
    path(
        "verify/documents/<int:pk>/<str:kind>/",
        views.verification_image,
        name="verification_image",
    ),
    path(
        "webhooks/stripe/identity/",
        views.stripe_identity_webhook,
        name="stripe_identity_webhook",
    ),
]
