from django.urls import path

from . import views, views_protection

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
    path("deals/<int:pk>/messages/", views_protection.chat, name="chat"),
    path(
        "deals/<int:pk>/messages/<int:message_id>/attachment/",
        views_protection.message_attachment,
        name="message_attachment",
    ),
    path(
        "deals/<int:pk>/dispute/",
        views_protection.open_case,
        {"kind": "dispute"},
        name="open_dispute",
    ),
    path(
        "deals/<int:pk>/recovery/",
        views_protection.open_case,
        {"kind": "recovery"},
        name="open_recovery",
    ),
    path("deals/<int:pk>/dispute/answer/", views_protection.answer_case, name="answer_case"),
    path(
        "deals/<int:pk>/evidence/<int:evidence_id>/",
        views_protection.evidence_file,
        name="evidence_file",
    ),
    path("deals/<int:pk>/refund/", views_protection.request_refund, name="request_refund"),
    path("deals/<int:pk>/review/", views_protection.review, name="review"),
    path("deals/<int:pk>/review/reply/", views_protection.review_reply, name="review_reply"),
    path("sellers/<int:user_id>/", views_protection.seller_profile, name="seller_profile"),
    path("payouts/", views.payouts, name="payouts"),
    path("payouts/connect/", views.payouts_connect, name="payouts_connect"),
    path("payouts/manual/", views.payouts_manual, name="payouts_manual"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
