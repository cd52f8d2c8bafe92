"""异地就医备案: file, change and revoke a filing of one of our insured for care outside the city.

The rules differ by filing type and come from RemoteCareRule (the policy file's `remote_care`): how long a
temporary filing is valid, how long a long-term filing must stand before it may change or end, and which
documents the counter (or the self-service channel) must have checked. Every write locks the person's row
first, so two clerks (or a clerk and the person's app) filing at once cannot leave overlapping filings.

002: "取消市内跨区县三级医疗机构住院备案手续": within the city no filing is needed, so a home-city destination
is refused. 004: "简化异地就医备案要件、精简备案流程、拓宽备案渠道、规范备案管理": the self-service channel
checks its own, shorter list of documents (the person's 承诺书).
"""

import calendar
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.access import require_capability
from core.areas import area_code_clean, area_name, is_home_area
from core.models import AuditEvent, User
from core.roles import Capability
from core.scope import require_edit_in_district
from core.services import acting_user, audit_event_record, status_change_record
from enrollment.models import Enrollment, Person
from enrollment.services import death_refusal

from ..models import RemoteCareFiling, RemoteCareRule
from ..models.remote import FilingType
from ..remote_selectors import remote_care_rule

Channel = RemoteCareFiling.Channel
Status = RemoteCareFiling.Status
MAX_DOCUMENTS = 20
MAX_TEXT = 200
HOME_AREA_REFUSAL = "{where}属于本市统筹区，市内就医无需办理异地就医备案（“取消市内跨区县三级医疗机构住院备案手续”）"
DEFAULT_MARK = "可配置默认值"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def filing_period_end(*, rule: RemoteCareRule, valid_from: dt.date) -> dt.date | None:
    """The last day a filing under `rule` may run (None: open-ended until revoked)."""
    if not rule.valid_months:
        return None
    return add_months(valid_from, rule.valid_months) - dt.timedelta(days=1)


def filing_changeable_from(*, filing: RemoteCareFiling) -> dt.date | None:
    """The first day a filing may change or end (None: any day). The rule's minimum applies to long-term
    filings (the seed policy gives temporary types 0 months)."""
    months = filing.rule.min_months_before_change
    if not filing.long_term or not months:
        return None
    return add_months(filing.valid_from, months)


def required_documents(*, rule: RemoteCareRule, channel: str) -> list[str]:
    """What must have been checked: the counter's list, or the self-service channel's shorter one."""
    return list(rule.self_service_documents if channel == Channel.SELF_SERVICE else rule.required_documents)


def _text(value: Any, field: str, label: str, *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}"})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"{label}不超过{MAX_TEXT}个字"})
    return text


def _destination(value: Any) -> str:
    code = area_code_clean(str(value or ""), field="destination_code", allow_home=True)
    if is_home_area(code):
        raise ValidationError({"destination_code": HOME_AREA_REFUSAL.format(where=area_name(code))})
    return code


def _documents(items: Any, *, rule: RemoteCareRule, channel: str) -> list[str]:
    """The documents checked, in the rule's order; every one the channel requires, none it does not know."""
    if isinstance(items, str):
        items = items.splitlines()
    if not isinstance(items, list | tuple):
        raise ValidationError({"documents_checked": "已查验材料应为清单，每项一份材料"})
    given = [str(i).strip() for i in items if str(i).strip()]
    if len(given) > MAX_DOCUMENTS:
        raise ValidationError({"documents_checked": f"已查验材料不超过{MAX_DOCUMENTS}项"})
    known = list(dict.fromkeys([*rule.required_documents, *rule.self_service_documents]))
    unknown = [d for d in given if d not in known]
    if unknown:
        raise ValidationError(
            {"documents_checked": f"不是该备案类型的备案材料：{'、'.join(unknown)}（可选：{'、'.join(known)}）"}
        )
    missing = [d for d in required_documents(rule=rule, channel=channel) if d not in given]
    if missing:
        who = "自助办理须提供" if channel == Channel.SELF_SERVICE else "窗口办理须查验"
        raise ValidationError({"documents_checked": f"{who}以下材料，尚缺：{'、'.join(missing)}"})
    return [d for d in known if d in given]


def _valid_to(*, rule: RemoteCareRule, valid_from: dt.date, valid_to: dt.date | None) -> dt.date | None:
    latest = filing_period_end(rule=rule, valid_from=valid_from)
    if valid_to is None:
        return latest
    if valid_to < valid_from:
        raise ValidationError({"valid_to": f"备案截止日期不能早于开始日期（{valid_from:%Y-%m-%d}）"})
    if latest is not None and valid_to > latest:
        label = FilingType(rule.filing_type).label
        raise ValidationError(
            {
                "valid_to": f"{label}备案有效期不超过{rule.valid_months}个月，"
                f"自 {valid_from:%Y-%m-%d} 起最晚至 {latest:%Y-%m-%d}（{rule.source or DEFAULT_MARK}）"
            }
        )
    return valid_to


def _covering_enrollment(*, person: Person, on: dt.date) -> Enrollment:
    if death_refusal(person=person, on=on):
        raise ValidationError(
            {"valid_from": f"备案开始日期晚于参保人死亡日期（{person.death_date:%Y-%m-%d}），不能办理异地就医备案"}
        )
    enrollment = (
        Enrollment.objects.filter(person=person, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .exclude(status=Enrollment.Status.SUSPENDED)
        .order_by("-start_date", "-id")
        .first()
    )
    if enrollment is None:
        raise ValidationError({"valid_from": f"该参保人在 {on:%Y-%m-%d} 没有有效的参保登记，不能办理异地就医备案"})
    return enrollment


def _period(filing: RemoteCareFiling) -> str:
    end = f"{filing.valid_to:%Y-%m-%d}" if filing.valid_to else "长期"
    return f"{filing.valid_from:%Y-%m-%d} 至 {end}"


def _refuse_overlap(
    *, person_id: int, valid_from: dt.date, valid_to: dt.date | None, exclude_id: int | None = None
) -> None:
    """One active filing at a time: a second one overlapping would make the settlement's rule ambiguous."""
    overlapping = RemoteCareFiling.objects.filter(person_id=person_id, status=Status.ACTIVE).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    existing = overlapping.order_by("valid_from", "id").first()
    if existing is not None:
        raise ValidationError(
            {
                "valid_from": f"与已有的有效备案（备案号 {existing.pk}，{existing.get_filing_type_display()}，"
                f"{area_name(existing.destination_code)}，{_period(existing)}）时间重叠；请先变更或撤销该备案"
            }
        )


def _refuse_too_early(*, filing: RemoteCareFiling, what: str) -> None:
    start = filing_changeable_from(filing=filing)
    if start is None or timezone.localdate() >= start:
        return
    months = filing.rule.min_months_before_change
    default = f"（{months}个月为{DEFAULT_MARK}）" if DEFAULT_MARK in (filing.rule.source or "") else ""
    raise ValidationError(
        f"{filing.get_filing_type_display()}备案自 {filing.valid_from:%Y-%m-%d} 起须满{months}个月方可{what}，"
        f"{start:%Y-%m-%d} 起可以{what}{default}"
    )


def _lock_person(person_id: int) -> None:
    # Serialise one person's filings: the overlap check below holds when two channels file at once.
    Person.objects.select_for_update().filter(pk=person_id).first()


def _snapshot(filing: RemoteCareFiling) -> dict[str, Any]:
    return {
        "destination_code": filing.destination_code,
        "valid_from": filing.valid_from.isoformat(),
        "valid_to": filing.valid_to.isoformat() if filing.valid_to else None,
        "documents_checked": list(filing.documents_checked),
    }


def _require_staff_edit(*, actor: User | None, district_id: int | None, field: str = "district") -> None:
    if actor is not None:
        require_capability(actor, Capability.EDIT)
    require_edit_in_district(actor=actor, district_id=district_id, field=field)


@transaction.atomic
def filing_create(
    *,
    actor: User | None,
    person: Person,
    filing_type: str,
    destination_code: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    documents_checked: Any,
    channel: str,
    note: str = "",
) -> RemoteCareFiling:
    """File 异地就医备案 for `person`; the filing belongs to the district and scheme of the enrollment that
    covers `valid_from`. Staff (counter, api) need edit rights in that district and may backdate (补办备案);
    the self-service channel needs its own capability and files from today on."""
    if channel not in Channel.values:
        raise ValidationError({"channel": "办理渠道无效"})
    if channel == Channel.SELF_SERVICE and actor is not None:
        require_capability(actor, Capability.SELF_SERVICE)
    if filing_type not in FilingType.values:
        raise ValidationError({"filing_type": "备案类型无效"})
    if not isinstance(valid_from, dt.date):
        raise ValidationError({"valid_from": "请填写备案开始日期"})
    destination = _destination(destination_code)
    note = _text(note, "note", "备注", required=False)
    staff = channel != Channel.SELF_SERVICE
    if staff:
        # Before anything about the person is read: another district learns nothing from the answer.
        _require_staff_edit(actor=actor, district_id=person.district_id, field="person")
    _lock_person(person.pk)
    person.refresh_from_db(fields=["death_date"])
    enrollment = _covering_enrollment(person=person, on=valid_from)
    if staff:
        _require_staff_edit(actor=actor, district_id=enrollment.district_id, field="person")
    if not staff and valid_from < timezone.localdate():
        raise ValidationError({"valid_from": "自助办理的备案开始日期不能早于今天；补办备案请到经办窗口办理"})
    rule = remote_care_rule(year=valid_from.year, filing_type=filing_type)
    end = _valid_to(rule=rule, valid_from=valid_from, valid_to=valid_to)
    documents = _documents(documents_checked, rule=rule, channel=channel)
    _refuse_overlap(person_id=person.pk, valid_from=valid_from, valid_to=end)
    filing = RemoteCareFiling.objects.create(
        person=person,
        district_id=enrollment.district_id,
        scheme=enrollment.scheme,
        filing_type=filing_type,
        destination_code=destination,
        valid_from=valid_from,
        valid_to=end,
        documents_checked=documents,
        channel=channel,
        rule=rule,
        note=note,
        created_by=acting_user(actor),
    )
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=filing,
        new_values={
            "person_id": person.pk,
            "filing_type": filing_type,
            "scheme": enrollment.scheme,
            "channel": channel,
            "rule_id": rule.pk,
            "status": Status.ACTIVE,
            **_snapshot(filing),
        },
        note=note,
    )
    return filing


@transaction.atomic
def filing_change(
    *,
    actor: User | None,
    filing: RemoteCareFiling,
    destination_code: str | None = None,
    valid_to: dt.date | None = None,
    documents_checked: Any = None,
    reason: str,
) -> RemoteCareFiling:
    """变更: another destination, end date or documents (None leaves a value as it is). A long-term filing
    changes only after the rule's minimum months; the old and new values go to the audit trail."""
    _require_staff_edit(actor=actor, district_id=filing.district_id)
    reason = _text(reason, "reason", "变更原因", required=True)
    _lock_person(filing.person_id)
    filing = RemoteCareFiling.objects.select_related("rule", "person").get(pk=filing.pk)
    if filing.status == Status.REVOKED:
        raise ValidationError("该备案已撤销，不能变更；请重新办理备案")
    _refuse_too_early(filing=filing, what="变更")
    old = _snapshot(filing)
    if destination_code is not None:
        filing.destination_code = _destination(destination_code)
    if valid_to is not None:
        filing.valid_to = _valid_to(rule=filing.rule, valid_from=filing.valid_from, valid_to=valid_to)
    if documents_checked is not None:
        filing.documents_checked = _documents(documents_checked, rule=filing.rule, channel=filing.channel)
    new = _snapshot(filing)
    if new == old:
        raise ValidationError("没有需要变更的内容")
    _refuse_overlap(
        person_id=filing.person_id, valid_from=filing.valid_from, valid_to=filing.valid_to, exclude_id=filing.pk
    )
    filing.changed_at = timezone.now()
    filing.save(update_fields=["destination_code", "valid_to", "documents_checked", "changed_at", "updated_at"])
    changed = [k for k in new if new[k] != old[k]]
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=filing,
        old_values={k: old[k] for k in changed},
        new_values={**{k: new[k] for k in changed}, "reason": reason},
        note=reason,
    )
    return filing


@transaction.atomic
def filing_revoke(*, actor: User | None, filing: RemoteCareFiling, reason: str) -> RemoteCareFiling:
    """撤销: the filing stops covering care from now on. Revoking a revoked filing changes nothing."""
    _require_staff_edit(actor=actor, district_id=filing.district_id)
    _lock_person(filing.person_id)
    filing = RemoteCareFiling.objects.select_related("rule", "person").get(pk=filing.pk)
    if filing.status == Status.REVOKED:
        return filing
    reason = _text(reason, "reason", "撤销原因", required=True)
    _refuse_too_early(filing=filing, what="撤销")
    filing.status = Status.REVOKED
    filing.revoked_at = timezone.now()
    filing.revoke_reason = reason
    filing.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
    status_change_record(
        actor=actor, obj=filing, old_status=Status.ACTIVE, new_values={"status": Status.REVOKED}, reason=reason
    )
    return filing
