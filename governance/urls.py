from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("report/<int:content_type_id>/<str:object_id>/", views.report_subject, name="report"),
    path("reports/mine/", views.my_reports, name="my_reports"),
    path("standing/", views.standing, name="standing"),
    path("standing/statements/<int:pk>/", views.statement_detail, name="statement"),
    path("standing/decisions/<int:violation_id>/appeal/", views.appeal_create, name="appeal"),
    path("appeals/files/<int:pk>/", views.appeal_file, name="appeal_file"),
    path("transparency/", views.transparency, name="transparency"),
]
