"""GET /api/v1/fund/books/?year=2023[&district=500103]: the fund books of a year, per fund, as JSON.

Per fund: opening balance, income and expense by line, closing balance, months of payment, months, the
budget's execution (city-wide) and the warnings with the rule that raised each. Amounts are strings, exact
to the fen. District staff get their district whatever they ask; city-wide users the city or one district."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import decimals_as_text

from .fund_indicators import fund_indicators
from .fund_selectors import fund_books
from .fund_views import FundFilterForm


class FundBooksApi(APIView):
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
        year, district = form.cleaned_data["year"], form.cleaned_data.get("district")
        books = fund_books(fetched_by=request.user, year=year, district=district)
        books["indicators"] = fund_indicators(fetched_by=request.user, year=year, district=district)
        return Response(decimals_as_text(books))
