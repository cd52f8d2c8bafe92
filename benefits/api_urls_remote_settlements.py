"""REST routes of cross-region direct settlement, appended to config/api_urls.py (namespace "api"), with
their page titles."""

from django.urls import path
from django.utils.translation import gettext_noop as N_

from . import remote_settlement_api as api

urlpatterns: list = [
    path("remote/outbound-settlements/", api.OutboundSettlementApi.as_view(), name="remote-outbound-settlement-list"),
    path(
        "remote/outbound-settlements/<str:platform_number>/reversal/",
        api.OutboundReversalApi.as_view(),
        name="remote-outbound-settlement-reversal",
    ),
    path("remote/inbound-settlements/", api.InboundSettlementListApi.as_view(), name="remote-inbound-settlement-list"),
    path(
        "remote/inbound-settlements/<int:pk>/",
        api.InboundSettlementDetailApi.as_view(),
        name="remote-inbound-settlement-detail",
    ),
    path(
        "remote/inbound-settlements/<int:pk>/reversal/",
        api.InboundReversalApi.as_view(),
        name="remote-inbound-settlement-reversal",
    ),
]
API_NAMES: dict[str, str] = {
    "remote-outbound-settlement-list": N_("异地就医直接结算（参保地）"),
    "remote-outbound-settlement-reversal": N_("异地就医直接结算冲正（参保地）"),
    "remote-inbound-settlement-list": N_("异地就医人员结算（就医地）"),
    "remote-inbound-settlement-detail": N_("异地就医人员结算详情"),
    "remote-inbound-settlement-reversal": N_("异地就医人员结算冲正"),
}
