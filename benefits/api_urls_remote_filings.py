"""REST routes of 异地就医备案, appended to config/api_urls.py (namespace "api"), with their page titles."""

from django.urls import path
from django.utils.translation import gettext_noop as N_

from . import remote_filing_api as api

urlpatterns: list = [
    path("remote-filings/", api.RemoteFilingListApi.as_view(), name="remotefiling-list"),
    path("remote-filings/<int:pk>/", api.RemoteFilingDetailApi.as_view(), name="remotefiling-detail"),
    path("remote-filings/<int:pk>/revoke/", api.RemoteFilingRevokeApi.as_view(), name="remotefiling-revoke"),
    path(
        "self-service/remote-filings/",
        api.SelfServiceRemoteFilingApi.as_view(),
        name="selfservice-remotefiling-list",
    ),
]
API_NAMES: dict[str, str] = {
    "remotefiling-list": N_("异地就医备案"),
    "remotefiling-detail": N_("异地就医备案详情"),
    "remotefiling-revoke": N_("撤销异地就医备案"),
    "selfservice-remotefiling-list": N_("自助办理异地就医备案"),
}
