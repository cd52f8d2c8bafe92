"""GET /api/v1/fund-analysis/?year=2023[&district=500103]: the fund dashboard's figures as JSON."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .fund_selectors import fund_analysis
from .fund_views import FundFilterForm


def _plain(value: Any) -> Any:
    """Decimals as strings (exact to the fen), recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class FundAnalysisApi(APIView):
    permission_classes = [IsAuthenticated]  # the selector checks view_audit or supervise

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("district", str, description="6 位区县代码（仅全市用户）"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        form = FundFilterForm(request.query_params)
        if not request.user.is_city_wide:
            del form.fields["district"]
        if not form.is_valid():
            raise ValidationError(form.errors)
        analysis = fund_analysis(
            fetched_by=request.user, year=form.cleaned_data["year"], district=form.cleaned_data.get("district")
        )
        return Response(_plain(analysis))
