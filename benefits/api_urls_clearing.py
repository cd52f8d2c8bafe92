"""REST routes of 异地就医清算, appended to config/api_urls.py (namespace "api"), with their page titles."""

from django.urls import path
from django.utils.translation import gettext_noop as N_

from . import clearing_api

urlpatterns: list = [
    path("clearing/", clearing_api.ClearingListApi.as_view(), name="clearing-list"),
    path("clearing/<int:pk>/", clearing_api.ClearingDetailApi.as_view(), name="clearing-detail"),
    path("clearing/<int:pk>/confirm/", clearing_api.ClearingConfirmApi.as_view(), name="clearing-confirm"),
    path("clearing/<int:pk>/pay/", clearing_api.ClearingPayApi.as_view(), name="clearing-pay"),
]
API_NAMES: dict[str, str] = {
    "clearing-list": N_("异地就医清算单"),
    "clearing-detail": N_("异地就医清算单详情"),
    "clearing-confirm": N_("确认清算单"),
    "clearing-pay": N_("登记清算资金划拨"),
}
