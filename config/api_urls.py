from django.urls import path

from audit import api as audit_api
from enrollment import api as enrollment_api

urlpatterns = [
    path("me/", audit_api.MeApi.as_view(), name="me"),
    path("districts/", enrollment_api.DistrictListApi.as_view(), name="district-list"),
    path("audit-events/", audit_api.AuditEventListApi.as_view(), name="auditevent-list"),
    path("audit-events/<int:pk>/", audit_api.AuditEventDetailApi.as_view(), name="auditevent-detail"),
    path("jobs/<int:pk>/", audit_api.JobRunDetailApi.as_view(), name="jobrun-detail"),
]
