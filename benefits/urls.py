from django.urls import path

from . import chronic_views, person_views, urls_clearing, urls_remote_filings, urls_remote_settlements, views

app_name = "benefits"
urlpatterns = [
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/new/", views.institution_register, name="institution_register"),
    path("institutions/<int:institution_id>/", views.institution_detail, name="institution_detail"),
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/manual/", views.settlement_manual, name="settlement_manual"),
    path("settlements/<int:settlement_id>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:settlement_id>/reverse/", views.settlement_reverse, name="settlement_reverse"),
    path("people/<int:person_id>/panel/", person_views.person_panel, name="person_panel"),
    path("people/<int:person_id>/chronic/", person_views.chronic_add, name="chronic_add"),
    path(
        "people/<int:person_id>/chronic/<int:registration_id>/revoke/",
        person_views.chronic_revoke,
        name="chronic_revoke",
    ),
    path("chronic-applications/", chronic_views.chronic_application_list, name="chronic_application_list"),
    path("chronic-applications/new/", chronic_views.chronic_application_submit, name="chronic_application_submit"),
    path(
        "chronic-applications/<int:application_id>/",
        chronic_views.chronic_application_detail,
        name="chronic_application_detail",
    ),
    path(
        "chronic-applications/<int:application_id>/transition/",
        chronic_views.chronic_application_transition,
        name="chronic_application_transition",
    ),
    path("people/<int:person_id>/account/", person_views.account_detail, name="account_detail"),
    path("people/<int:person_id>/account/family/", person_views.family_add, name="family_add"),
    path("people/<int:person_id>/account/family/<int:binding_id>/end/", person_views.family_end, name="family_end"),
    path("people/<int:person_id>/account/pay/", person_views.account_pay, name="account_pay"),
]
urlpatterns += urls_remote_filings.urlpatterns + urls_remote_settlements.urlpatterns + urls_clearing.urlpatterns
