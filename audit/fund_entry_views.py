"""手工记账 (/audit/fund/entries/): municipal administrators post what no record in Yibao causes (interest,
other income or expense, the prior year's closing balance, the aid fund's fiscal allocation) and 冲销 an
entry posted in error. Every entry and reversal names its reason and is in the audit trail."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.access import require_capability
from core.forms import DateField, DistrictChoiceField
from core.ledger import manual_entry_post, manual_entry_reverse
from core.models import District, JournalEntry, LedgerAccount
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import action_submit, form_submit


class ManualAccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LedgerAccount) -> str:
        return f"{obj.fund.name} · {obj.name}"


class ManualEntryForm(forms.Form):
    account = ManualAccountField(
        label=_("基金与科目"),
        queryset=LedgerAccount.objects.filter(manual=True)
        .select_related("fund")
        .order_by("fund__position", "position"),
        help_text=_("对方科目为该基金的银行存款，系统自动生成"),
    )
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全市（不分区县）")
    )
    year = forms.IntegerField(label=_("所属年度"), min_value=2000, max_value=2100)
    accounting_date = DateField(label=_("记账日期"))
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=16, decimal_places=2, min_value=0.01,
        error_messages={"max_decimal_places": _("金额最多两位小数"), "max_digits": _("金额过大")},
    )  # fmt: skip
    reason = forms.CharField(label=_("记账事由"), max_length=200)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲销原因"), max_length=200)


@login_required
def manual_entries(request):
    require_capability(request.user, Capability.ADMINISTER)
    initial = {"year": timezone.localdate().year, "accounting_date": timezone.localdate()}
    form = ManualEntryForm(request.POST or None, initial=initial)

    def post(data):
        account = data["account"]
        return manual_entry_post(
            actor=request.user, fund=account.fund, account=account, district=data["district"], year=data["year"],
            accounting_date=data["accounting_date"], amount=data["amount"], reason=data["reason"],
        )  # fmt: skip

    if response := form_submit(
        request, form, call=post, success=_("已记账"), then=lambda entry: redirect("audit:fund_entries")
    ):
        return response
    entries = JournalEntry.objects.filter(source=JournalEntry.Source.MANUAL).prefetch_related(
        "lines__account__fund", "lines__district"
    )
    page = keyset_page(entries, after=request.GET.get("after"), size=30)
    reversed_ids = set(
        JournalEntry.objects.filter(reverses__in=[e.pk for e in page.items]).values_list("reverses_id", flat=True)
    )
    context = {"form": form, "page": page, "reversed_ids": reversed_ids, "query": "", "reverse_form": ReverseForm()}
    return render(request, "audit/fund_entries.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def manual_entry_reverse_view(request, entry_id: int):
    require_capability(request.user, Capability.ADMINISTER)
    entry = get_object_or_404(JournalEntry, pk=entry_id, source=JournalEntry.Source.MANUAL)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        action_submit(request, lambda: manual_entry_reverse(actor=request.user, entry=entry, reason=""))
    else:
        action_submit(
            request,
            lambda: manual_entry_reverse(actor=request.user, entry=entry, reason=form.cleaned_data["reason"]),
            success=_("已冲销"),
        )
    return redirect("audit:fund_entries")
