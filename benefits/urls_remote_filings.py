"""Web routes of 异地就医备案, included by the app's urls.py (the app namespace applies)."""

from django.urls import path

from . import remote_filing_views as views

urlpatterns: list = [
    path("remote-filings/", views.remote_filing_list, name="remote_filing_list"),
    path("remote-filings/new/", views.remote_filing_create, name="remote_filing_create"),
    path("remote-filings/<int:filing_id>/", views.remote_filing_detail, name="remote_filing_detail"),
    path("remote-filings/<int:filing_id>/change/", views.remote_filing_change, name="remote_filing_change"),
    path("remote-filings/<int:filing_id>/revoke/", views.remote_filing_revoke, name="remote_filing_revoke"),
]
