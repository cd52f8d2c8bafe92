from django.urls import path

from . import import_views, views

app_name = "enrollment"
urlpatterns = [
    path("districts/", views.district_list, name="district_list"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_register, name="person_register"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/reveal-id/", views.person_reveal_id, name="person_reveal_id"),
    path("people/<int:person_id>/enroll/", views.enrollment_add, name="enrollment_add"),
    path("enrollments/<int:enrollment_id>/edit/", views.enrollment_edit, name="enrollment_edit"),
    path("enrollments/<int:enrollment_id>/terminate/", views.enrollment_terminate, name="enrollment_terminate"),
    path("enrollments/<int:enrollment_id>/transfer/", views.enrollment_transfer, name="enrollment_transfer"),
    path("enrollments/<int:enrollment_id>/bill/", views.bill_issue, name="bill_issue"),
    path("bills/<int:bill_id>/pay/", views.payment_record, name="payment_record"),
    path("employers/", views.employer_list, name="employer_list"),
    path("employers/new/", views.employer_register, name="employer_register"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/template.csv", import_views.import_template, name="import_template"),
    path("imports/<int:batch_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:batch_id>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/<int:batch_id>/revalidate/", import_views.import_revalidate, name="import_revalidate"),
    path("imports/<int:batch_id>/errors.csv", import_views.import_errors_csv, name="import_errors_csv"),
]
