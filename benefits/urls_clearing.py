"""Web routes of 异地就医清算, included by the app's urls.py (the app namespace applies)."""

from django.urls import path

from . import clearing_views

urlpatterns: list = [
    path("clearing/", clearing_views.clearing_list, name="clearing_list"),
    path("clearing/<int:clearing_id>/", clearing_views.clearing_detail, name="clearing_detail"),
    path("clearing/<int:clearing_id>/confirm/", clearing_views.clearing_confirm_view, name="clearing_confirm"),
    path("clearing/<int:clearing_id>/pay/", clearing_views.clearing_pay_view, name="clearing_pay"),
    path("clearing/<int:clearing_id>/print/", clearing_views.clearing_print, name="clearing_print"),
]
