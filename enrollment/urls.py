from django.urls import path

from enrollment import views

app_name = "enrollment"
urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_register, name="person_register"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/reveal-id/", views.person_reveal_id, name="person_reveal_id"),
    path("people/<int:person_id>/death/", views.person_death, name="person_death"),
    path("people/<int:person_id>/enroll/", views.enrollment_add, name="enrollment_add"),
    path("enrollments/<int:enrollment_id>/edit/", views.enrollment_edit, name="enrollment_edit"),
    path("enrollments/<int:enrollment_id>/terminate/", views.enrollment_terminate, name="enrollment_terminate"),
    path("enrollments/<int:enrollment_id>/transfer/", views.enrollment_transfer, name="enrollment_transfer"),
    path("employers/", views.employer_list, name="employer_list"),
    path("employers/new/", views.employer_register, name="employer_register"),
]
