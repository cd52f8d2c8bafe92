import re

from django.urls import NoReverseMatch, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from assistance import api as assistance_api
from audit import api as audit_api
from audit import api_urls_remote as audit_remote_urls
from audit import fund_api, inspection_api, supervision_api
from benefits import api as benefits_api
from benefits import api_urls_clearing, api_urls_remote_filings, api_urls_remote_settlements, chronic_api
from contributions import api as contributions_api
from core import api as core_api
from core import import_api
from enrollment import api as enrollment_api

urlpatterns = [
    path("me/", core_api.MeApi.as_view(), name="me"),
    path("districts/", core_api.DistrictListApi.as_view(), name="district-list"),
    path("persons/", enrollment_api.PersonListApi.as_view(), name="person-list"),
    path("persons/<int:pk>/", enrollment_api.PersonDetailApi.as_view(), name="person-detail"),
    path("persons/<int:pk>/reveal-id/", enrollment_api.PersonRevealIdApi.as_view(), name="person-reveal-id"),
    path("persons/<int:pk>/enrollments/", enrollment_api.PersonEnrollApi.as_view(), name="person-enroll"),
    path("persons/<int:pk>/death/", enrollment_api.PersonDeathApi.as_view(), name="person-death"),
    path("enrollments/", enrollment_api.EnrollmentListApi.as_view(), name="enrollment-list"),
    path(
        "enrollments/<int:pk>/terminate/", enrollment_api.EnrollmentTerminateApi.as_view(), name="enrollment-terminate"
    ),
    path("enrollments/<int:pk>/transfer/", enrollment_api.EnrollmentTransferApi.as_view(), name="enrollment-transfer"),
    path("enrollments/<int:pk>/bills/", contributions_api.EnrollmentBillApi.as_view(), name="enrollment-bill"),
    path("employers/", enrollment_api.EmployerListApi.as_view(), name="employer-list"),
    path("bills/", contributions_api.BillListApi.as_view(), name="bill-list"),
    path("bills/<int:pk>/payments/", contributions_api.BillPaymentApi.as_view(), name="bill-payment"),
    path("imports/", import_api.ImportListApi.as_view(), name="import-list"),
    path("imports/<int:pk>/", import_api.ImportDetailApi.as_view(), name="import-detail"),
    path("imports/<int:pk>/errors/", import_api.ImportErrorListApi.as_view(), name="import-errors"),
    path("imports/<int:pk>/confirm/", import_api.ImportConfirmApi.as_view(), name="import-confirm"),
    path("imports/<int:pk>/revalidate/", import_api.ImportRevalidateApi.as_view(), name="import-revalidate"),
    path("institutions/", benefits_api.InstitutionListApi.as_view(), name="institution-list"),
    path("institutions/<int:pk>/", benefits_api.InstitutionDetailApi.as_view(), name="institution-detail"),
    path("settlements/", benefits_api.SettlementListApi.as_view(), name="settlement-list"),
    path("settlements/manual/", benefits_api.ManualSettlementApi.as_view(), name="settlement-manual"),
    path("settlements/<int:pk>/", benefits_api.SettlementDetailApi.as_view(), name="settlement-detail"),
    path("settlements/<int:pk>/reversal/", benefits_api.SettlementReversalApi.as_view(), name="settlement-reversal"),
    path("persons/<int:pk>/accumulators/", benefits_api.PersonAccumulatorApi.as_view(), name="person-accumulators"),
    path("persons/<int:pk>/chronic/", benefits_api.PersonChronicApi.as_view(), name="person-chronic"),
    path("chronic-applications/", chronic_api.ChronicApplicationListApi.as_view(), name="chronicapplication-list"),
    path(
        "chronic-applications/<int:pk>/",
        chronic_api.ChronicApplicationDetailApi.as_view(),
        name="chronicapplication-detail",
    ),
    path(
        "chronic-applications/<int:pk>/transition/",
        chronic_api.ChronicApplicationTransitionApi.as_view(),
        name="chronicapplication-transition",
    ),
    path("persons/<int:pk>/account/", benefits_api.PersonAccountApi.as_view(), name="person-account"),
    path("persons/<int:pk>/account/entries/", benefits_api.AccountEntryListApi.as_view(), name="account-entries"),
    path("persons/<int:pk>/account/family/", benefits_api.AccountFamilyApi.as_view(), name="account-family"),
    path("persons/<int:pk>/account/payments/", benefits_api.AccountPaymentApi.as_view(), name="account-payments"),
    path("aid-recipients/", assistance_api.AidRecipientListApi.as_view(), name="aidrecipient-list"),
    path("aid-recipients/import/", assistance_api.AidRecipientImportApi.as_view(), name="aidrecipient-import"),
    path("aid-applications/", assistance_api.AidApplicationListApi.as_view(), name="aidapplication-list"),
    path("aid-applications/<int:pk>/", assistance_api.AidApplicationDetailApi.as_view(), name="aidapplication-detail"),
    path(
        "aid-applications/<int:pk>/transition/",
        assistance_api.AidApplicationTransitionApi.as_view(),
        name="aidapplication-transition",
    ),
    path("high-cost-alerts/", assistance_api.HighCostAlertListApi.as_view(), name="highcostalert-list"),
    path("aid-worklist/", assistance_api.AidEnrollmentItemListApi.as_view(), name="aidenrollmentitem-list"),
    path(
        "aid-worklist/<int:pk>/", assistance_api.AidEnrollmentItemDetailApi.as_view(), name="aidenrollmentitem-detail"
    ),
    path(
        "aid-worklist/<int:pk>/enroll/",
        assistance_api.AidEnrollmentItemEnrollApi.as_view(),
        name="aidenrollmentitem-enroll",
    ),
    path(
        "aid-worklist/<int:pk>/dismiss/",
        assistance_api.AidEnrollmentItemDismissApi.as_view(),
        name="aidenrollmentitem-dismiss",
    ),
    path("aid-coverage-rate/", assistance_api.AidCoverageRateApi.as_view(), name="aidcoveragerate"),
    path("audit-events/", audit_api.AuditEventListApi.as_view(), name="auditevent-list"),
    path("audit-events/<int:pk>/", audit_api.AuditEventDetailApi.as_view(), name="auditevent-detail"),
    path("jobs/<int:pk>/", core_api.JobRunDetailApi.as_view(), name="jobrun-detail"),
    path("suspicions/", supervision_api.SuspicionListApi.as_view(), name="suspicion-list"),
    path("suspicions/<int:pk>/", supervision_api.SuspicionDetailApi.as_view(), name="suspicion-detail"),
    path("suspicions/<int:pk>/review/", supervision_api.SuspicionReviewApi.as_view(), name="suspicion-review"),
    path("fraud-scans/", supervision_api.FraudScanApi.as_view(), name="fraud-scan"),
    path("inspections/", inspection_api.InspectionListApi.as_view(), name="inspection-list"),
    path("inspections/<int:pk>/", inspection_api.InspectionDetailApi.as_view(), name="inspection-detail"),
    path("credit-ratings/", inspection_api.CreditRatingListApi.as_view(), name="creditrating-list"),
    path("fund/books/", fund_api.FundBooksApi.as_view(), name="fund-books"),
]
# 异地就医: filings, cross-region settlements, clearing, indicators (each part keeps its own routes).
REMOTE_PARTS = (api_urls_remote_filings, api_urls_remote_settlements, api_urls_clearing, audit_remote_urls)
for _part in REMOTE_PARTS:
    urlpatterns += _part.urlpatterns


# What the browsable API calls each endpoint (its page title), instead of the class name in English.
API_NAMES = {
    "root": N_("接口目录"),
    "person-death": N_("死亡登记"),
    "aidenrollmentitem-list": N_("待参保名单"),
    "aidenrollmentitem-detail": N_("待参保人员"),
    "aidenrollmentitem-enroll": N_("办理参保"),
    "aidenrollmentitem-dismiss": N_("核销待参保事项"),
    "aidcoveragerate": N_("资助参保率"),
    "me": N_("当前用户"),
    "district-list": N_("区县"),
    "person-list": N_("参保人"),
    "person-detail": N_("参保人详情"),
    "person-reveal-id": N_("查看完整身份证号"),
    "person-enroll": N_("新增参保登记"),
    "enrollment-list": N_("参保登记"),
    "enrollment-terminate": N_("终止参保"),
    "enrollment-transfer": N_("转移接续"),
    "enrollment-bill": N_("生成缴费单"),
    "employer-list": N_("参保单位"),
    "bill-list": N_("缴费单"),
    "bill-payment": N_("记录缴费"),
    "import-list": N_("批量导入"),
    "import-detail": N_("导入批次"),
    "import-errors": N_("导入错误行"),
    "import-confirm": N_("确认导入"),
    "import-revalidate": N_("重新校验"),
    "institution-list": N_("定点机构"),
    "institution-detail": N_("定点机构详情"),
    "settlement-list": N_("医保结算"),
    "settlement-manual": N_("零星报销"),
    "settlement-detail": N_("结算详情"),
    "settlement-reversal": N_("冲正"),
    "person-accumulators": N_("年度累计"),
    "person-chronic": N_("门诊慢特病登记"),
    "chronicapplication-list": N_("门诊慢特病申请"),
    "chronicapplication-detail": N_("门诊慢特病申请详情"),
    "chronicapplication-transition": N_("门诊慢特病评定与审批"),
    "person-account": N_("个人账户"),
    "account-entries": N_("个人账户明细"),
    "account-family": N_("家庭共济"),
    "account-payments": N_("个人账户支付"),
    "aidrecipient-list": N_("医疗救助对象"),
    "aidrecipient-import": N_("救助对象名单导入"),
    "aidapplication-list": N_("依申请救助"),
    "aidapplication-detail": N_("救助申请详情"),
    "aidapplication-transition": N_("救助申请审批"),
    "highcostalert-list": N_("高额费用负担预警"),
    "auditevent-list": N_("操作日志"),
    "auditevent-detail": N_("操作日志详情"),
    "jobrun-detail": N_("批处理"),
    "suspicion-list": N_("疑点"),
    "suspicion-detail": N_("疑点详情"),
    "suspicion-review": N_("疑点核查"),
    "fraud-scan": N_("疑点筛查"),
    "inspection-list": N_("监督检查"),
    "inspection-detail": N_("检查详情"),
    "creditrating-list": N_("信用评价"),
    "fund-books": N_("基金账簿"),
}
for _part in REMOTE_PARTS:
    API_NAMES.update(_part.API_NAMES)


def api_view_name(view) -> str:
    """REST_FRAMEWORK["VIEW_NAME_FUNCTION"]: the endpoint's Chinese name (translated when shown)."""
    match = getattr(getattr(view, "request", None), "resolver_match", None)
    name = API_NAMES.get(match.url_name) if match else None
    return _(name) if name else _("接口")


def api_view_description(view, html=False) -> str:
    """REST_FRAMEWORK["VIEW_DESCRIPTION_FUNCTION"]: the docstrings are notes for developers (and the
    OpenAPI schema), not text for the browsable page."""
    return ""


@extend_schema(exclude=True)  # a directory of the API, not part of it
class ApiRootView(APIView):
    """GET /api/v1/: every endpoint of this version, by name; URLs with an id show it as {pk}, as in the schema.

    Same authentication and role check as the rest of the API (the DRF defaults)."""

    def get_view_name(self) -> str:
        return _("接口目录")

    def get_view_description(self, html=False) -> str:
        # The browsable page shows this instead of the docstring.
        return _("本版本的全部接口。地址中的 {pk} 为记录编号；每个接口只返回调用者角色和辖区内的数据。")

    def get(self, request, format=None):
        endpoints = {}
        for pattern in urlpatterns:
            if not pattern.name or pattern.name == "root":
                continue
            try:
                endpoints[pattern.name] = reverse(f"api:{pattern.name}", request=request, format=format)
            except NoReverseMatch:
                template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
                endpoints[pattern.name] = request.build_absolute_uri(request.path) + template
        return Response(endpoints)


urlpatterns.insert(0, path("", ApiRootView.as_view(), name="root"))
