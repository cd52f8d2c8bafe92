"""GET /api/v1/remote-care/indicators/?year=2023[&district=500103]: the 异地就医 indicators of a year as
JSON, with the same figures, definitions and scope as the page /audit/remote-care/.

Returns the totals, the indicators (name, unit, value, definition), and the rows by district and by area.
Amounts and rates are strings (exact to the fen; the rate to 0.01 %, null when there is nothing to
measure). `year` defaults to the latest year with 异地就医 data. District staff get their district
whatever they ask; city-wide users the city or one district. Roles without view_audit get 403."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import decimals_as_text

from .fund_selectors import require_fund_access
from .remote_indicators import remote_indicators
from .remote_views import RemoteFilterForm


class RemoteIndicatorsApi(APIView):
    permission_classes = [IsAuthenticated]  # the selector checks view_audit or supervise, as the fund books

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="年度（默认：有异地就医数据的最近年度）"),
            OpenApiParameter("district", str, description="6 位区县代码（仅全市用户）"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        require_fund_access(request.user)
        form = RemoteFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = remote_indicators(
            fetched_by=request.user, year=form.cleaned_data["year"], district=form.cleaned_data.get("district")
        )
        return Response(decimals_as_text(data))
