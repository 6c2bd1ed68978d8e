from django.urls import path

from . import views, views_media, views_watch

app_name = "listings"
urlpatterns = [
    path("listings/", views.catalogue, name="catalogue"),
    path("listings/<int:pk>/", views.detail, name="detail"),
    path("listings/<int:pk>/watch/", views_watch.watch_listing, name="watch"),
    path(
        "listings/<int:pk>/screenshots/<int:shot_pk>/<str:kind>",
        views_media.screenshot_file,
        name="screenshot_file",
    ),
    path("listings/saved-searches/", views_watch.save_search, name="save_search"),
    path(
        "listings/saved-searches/<int:search_id>/",
        views_watch.saved_search_action,
        name="saved_search_action",
    ),
    path("watchlist/", views_watch.watchlist, name="watchlist"),
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
