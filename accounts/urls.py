from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.profile, name="profile"),
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
