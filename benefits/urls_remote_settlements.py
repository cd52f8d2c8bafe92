"""Web routes of inbound cross-region settlement, included by the app's urls.py (namespace "benefits")."""

from django.urls import path

from . import remote_settlement_views as views

urlpatterns: list = [
    path("remote-inbound/", views.inbound_list, name="inbound_list"),
    path("remote-inbound/<int:inbound_id>/", views.inbound_detail, name="inbound_detail"),
]
