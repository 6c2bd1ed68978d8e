from django.urls import path

from . import views

app_name = "listings"
urlpatterns = [
    path("listings/", views.catalogue, name="catalogue"),
    path("listings/<int:pk>/", views.detail, name="detail"),
    path("sell/", views.sell, name="sell"),
    path("sell/new/", views.create, name="create"),
    path("sell/<int:pk>/account/", views.edit_account, name="edit_account"),
    path("sell/<int:pk>/offer/", views.edit_offer, name="edit_offer"),
    path("sell/<int:pk>/screenshots/", views.edit_screenshots, name="edit_screenshots"),
    path(
        "sell/<int:pk>/screenshots/<int:shot_pk>/delete/",
        views.delete_screenshot,
        name="delete_screenshot",
    ),
    path("sell/<int:pk>/review/", views.edit_review, name="edit_review"),
    path("sell/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
