from django.urls import path

from . import views

app_name = "escrow"
urlpatterns = [
    path("listings/<int:listing_id>/buy/", views.buy, name="buy"),
    path("deals/", views.my_deals, name="my_deals"),
    path("deals/<int:pk>/", views.detail, name="detail"),
    path("deals/<int:pk>/pay/", views.pay, name="pay"),
    path("deals/<int:pk>/pay/authenticate/", views.authenticate, name="authenticate"),
    path("deals/<int:pk>/pay/return/", views.pay_return, name="pay_return"),
    path("deals/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("deals/<int:pk>/handover/", views.handover, name="handover"),
    path("deals/<int:pk>/credentials/", views.credentials, name="credentials"),
    path("deals/<int:pk>/accept/", views.accept, name="accept"),
    path("deals/<int:pk>/extend/", views.extend, name="extend"),
    path("payouts/", views.payouts, name="payouts"),
    path("payouts/connect/", views.payouts_connect, name="payouts_connect"),
    path("payouts/manual/", views.payouts_manual, name="payouts_manual"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
