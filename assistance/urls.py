from django.urls import path

from . import views

app_name = "assistance"
urlpatterns = [
    path("", views.recipient_list, name="recipient_list"),
    path("recipients/new/", views.recipient_register, name="recipient_register"),
    path("recipients/import/", views.recipient_import, name="recipient_import"),
    path("recipients/<int:recipient_id>/", views.recipient_detail, name="recipient_detail"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/<int:item_id>/", views.worklist_item, name="worklist_item"),
    path("worklist/<int:item_id>/enroll/", views.worklist_enroll, name="worklist_enroll"),
    path("worklist/<int:item_id>/dismiss/", views.worklist_dismiss, name="worklist_dismiss"),
    path("coverage-rate/", views.coverage_rate, name="coverage_rate"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_submit, name="application_submit"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path(
        "applications/<int:application_id>/transition/",
        views.application_transition,
        name="application_transition",
    ),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/handle/", views.alert_handle, name="alert_handle"),
]
