from django.urls import path

from . import import_views, views

app_name = "core"
urlpatterns = [
    path("districts/", views.district_list, name="district_list"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:run_id>/", views.job_detail, name="job_detail"),
    path("jobs/start/<slug:kind>/", views.job_start, name="job_start"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/template.csv", import_views.import_template, name="import_template"),
    path("imports/<int:batch_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:batch_id>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/<int:batch_id>/revalidate/", import_views.import_revalidate, name="import_revalidate"),
    path("imports/<int:batch_id>/errors.csv", import_views.import_errors_csv, name="import_errors_csv"),
]
