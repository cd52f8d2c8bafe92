"""Web routes of one 异地就医 part, included by the app's urls.py (the app namespace applies)."""

from django.urls import path

from . import remote_views

urlpatterns: list = [
    path("remote-care/", remote_views.remote_dashboard, name="remote_dashboard"),
]
