from django.urls import path

from . import views  # noqa: F401  (the staff pages land here)

app_name = "benefits"
urlpatterns: list = []
