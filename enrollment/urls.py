from django.urls import path

from . import views

app_name = "enrollment"
urlpatterns = [
    path("districts/", views.district_list, name="district_list"),
]
