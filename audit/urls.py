from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:run_id>/", views.job_detail, name="job_detail"),
    path("jobs/start/<slug:kind>/", views.job_start, name="job_start"),
]
