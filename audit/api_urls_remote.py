"""REST routes of one 异地就医 part, appended to config/api_urls.py (namespace "api"), with their page titles."""

from django.urls import path
from django.utils.translation import gettext_noop as N_

from . import remote_api

urlpatterns: list = [
    path("remote-care/indicators/", remote_api.RemoteIndicatorsApi.as_view(), name="remote-care-indicators"),
]
API_NAMES: dict[str, str] = {"remote-care-indicators": N_("异地就医指标")}
