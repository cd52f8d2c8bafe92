from django.urls import path

from . import fund_entry_views, fund_views, inspection_views, supervision_views, urls_remote, views

app_name = "audit"
urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("fund/", fund_views.fund_dashboard, name="fund_dashboard"),
    path("fund/entries/", fund_entry_views.manual_entries, name="fund_entries"),
    path("fund/entries/<int:entry_id>/reverse/", fund_entry_views.manual_entry_reverse_view, name="fund_entry_reverse"),
    path("inspections/", inspection_views.inspection_list, name="inspection_list"),
    path("inspections/new/", inspection_views.inspection_new, name="inspection_new"),
    path("inspections/<int:inspection_id>/", inspection_views.inspection_detail, name="inspection_detail"),
    path("credit-ratings/", inspection_views.credit_rating_list, name="credit_rating_list"),
    path("suspicions/", supervision_views.suspicion_list, name="suspicion_list"),
    path("suspicions/scan/", supervision_views.fraud_scan_run, name="fraud_scan_run"),
    path("suspicions/<int:suspicion_id>/", supervision_views.suspicion_detail, name="suspicion_detail"),
]
urlpatterns += urls_remote.urlpatterns
