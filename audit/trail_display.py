"""How the audit trail (操作日志) reads on screen: objects by their Chinese model name and readable name,
linked to their page when the reader may open it; changes as "字段: 旧值 → 新值" with field names.

One query per model type on a page (never per row): the page's object ids of a type are looked up
together, scoped to the reader exactly as the target page scopes them, so a link never leads to a 404."""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from core.access import scope_to_user
from core.choices import choice_label, field_choice_label
from core.jobs import count_label, job_label
from core.models import AuditEvent, JournalEntry
from core.money import amount_text
from core.roles import Capability
from enrollment.validators import mask_id_number


@dataclass(frozen=True)
class ObjectPage:
    """Where an object's page is: a URL with one argument (`arg`, a value path of the object), and the
    district path and capability that page checks."""

    url_name: str
    arg: str = "pk"
    district: str = "district"
    capability: str = Capability.VIEW


OBJECT_PAGES: dict[str, ObjectPage] = {
    "enrollment.person": ObjectPage("enrollment:person_detail"),
    "enrollment.enrollment": ObjectPage("enrollment:person_detail", "person_id", "person__district"),
    "contributions.contributionbill": ObjectPage("enrollment:person_detail", "person_id", "person__district"),
    "contributions.contributionpayment": ObjectPage(
        "enrollment:person_detail", "bill__person_id", "bill__person__district"
    ),
    "benefits.settlement": ObjectPage("benefits:settlement_detail"),
    "benefits.institution": ObjectPage("benefits:institution_detail"),
    "benefits.chronicregistration": ObjectPage("enrollment:person_detail", "person_id", "person__district"),
    "benefits.personalaccount": ObjectPage("benefits:account_detail", "person_id", "person__district"),
    "assistance.aidrecipient": ObjectPage("assistance:recipient_detail"),
    "assistance.aidapplication": ObjectPage("assistance:application_detail"),
    "assistance.highcostalert": ObjectPage("enrollment:person_detail", "person_id", "person__district"),
    "assistance.aidenrollmentitem": ObjectPage("assistance:worklist_item"),
    "benefits.chronicapplication": ObjectPage("benefits:chronic_application_detail"),
    "benefits.remotecarefiling": ObjectPage("benefits:remote_filing_detail"),
    "benefits.inboundsettlement": ObjectPage("benefits:inbound_detail"),
    "audit.suspicion": ObjectPage("audit:suspicion_detail", capability=Capability.VIEW_AUDIT),
    "audit.inspection": ObjectPage("audit:inspection_detail", capability=Capability.VIEW_AUDIT),
    "core.importbatch": ObjectPage("core:import_detail"),
    "core.jobrun": ObjectPage("core:job_detail"),
}

# Keys of old/new values that are not model fields (counts of a batch, a reason...).
EXTRA_KEYS = {
    "reason": gettext_lazy("原因"),
    "counts": gettext_lazy("数量"),
    "created": gettext_lazy("新增"),
    "updated": gettext_lazy("更新"),
    "unchanged": gettext_lazy("未变"),
    "written": gettext_lazy("写入"),
    "credited": gettext_lazy("划入人数"),
    "start": gettext_lazy("开始日期"),
    "end": gettext_lazy("截止日期"),
    "run_id": gettext_lazy("批处理编号"),
    "batch_id": gettext_lazy("导入批次编号"),
    "file": gettext_lazy("文件"),
    "sha256": gettext_lazy("文件校验值"),
    "mode": gettext_lazy("导入方式"),
    "kind": gettext_lazy("类型"),
    "year": gettext_lazy("年度"),
    "coverage_year": gettext_lazy("参保年度"),
    "period": gettext_lazy("期间"),
    "threshold": gettext_lazy("预警线"),
    "rows": gettext_lazy("行数"),
    "id_number": gettext_lazy("身份证号"),
    "error": gettext_lazy("错误"),
    "fund": gettext_lazy("基金"),
    "account": gettext_lazy("科目"),
    "amount": gettext_lazy("金额"),
    "reverses": gettext_lazy("冲销凭证"),
    # 异地就医: the insured area's terms an inbound settlement was made under, and a clearing run's counts.
    "deductible": gettext_lazy("起付标准"),
    "ratio": gettext_lazy("支付比例"),
    "cap_remaining": gettext_lazy("年度支付限额剩余"),
    "critical_paid": gettext_lazy("大病保险支付"),
    "month": gettext_lazy("月份"),
    "areas": gettext_lazy("对方统筹区数"),
    "generated": gettext_lazy("生成"),
    "lines": gettext_lazy("明细行数"),
    "area_code": gettext_lazy("对方统筹区"),
    # A fund-books backfill counts the entries it posted per source.
    **{source.value: source.label for source in JournalEntry.Source},
}
HIDDEN_KEYS = {"created_at", "updated_at"}  # the event has its own time
# Extra keys whose values are yuan: shown to the fen like a money field ("293000" read as 293,000.00).
MONEY_KEYS = {"amount", "deductible", "cap_remaining", "critical_paid"}


@dataclass
class Change:
    label: str
    old: str | None  # None: the key was not in the old values (a new value)
    new: str | None


@dataclass
class EventRow:
    event: AuditEvent
    type_label: str
    name: str
    url: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_html(self) -> str:
        return changes_html(self.changes)

    @property
    def html(self) -> str:
        """The event's row of the list, as templates/audit/event_list.html wrote it (tests/test_audit_trail_view.py
        compares the two byte for byte). A page of 50 rows resolved some 800 template variables; written here,
        the rows take a tenth of that time."""
        e = self.event
        when = timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S") if e.occurred_at else ""
        kind = f'<span class="hint">{escape(self.type_label)}</span> ' if self.type_label else ""
        name = f'<a href="{escape(self.url)}">{escape(self.name)}</a>' if self.url else escape(self.name or "—")
        note = f'<p class="hint">{escape(e.note)}</p>' if e.note else ""
        district = escape(e.district.name) if e.district_id and e.district.name else "—"
        return mark_safe(  # noqa: S308  (every value escaped here)
            f"\n  <tr><td>{when}</td><td>{escape(e.actor_username or '—')}</td>"
            f"<td>{escape(str(choice_label(e, 'action')))}</td>\n"
            f'      <td data-testid="event-object">{kind}{name}</td><td>{district}</td>\n'
            f'      <td class="diff" data-testid="event-changes">{self.changes_html}{note}</td>\n'
            f"      <td>{escape(e.ip_address or '')}</td></tr>\n    "
        )


def changes_html(changes: list[Change]) -> str:
    """The list of changes of one event, as the page shows it. Written here, not as a loop in the template: a
    page of 50 events holds some 500 changes, and the template engine took two thirds of the page's time."""
    if not changes:
        return ""
    missing = f'<span class="hint">{escape(_("（无）"))}</span>'
    items = []
    for c in changes:
        if c.old is not None and c.new is not None:
            value = escape(c.new) if c.old == c.new else f"<del>{escape(c.old)}</del> → <ins>{escape(c.new)}</ins>"
        elif c.old is not None:
            value = f"<del>{escape(c.old)}</del> → {missing}"
        else:
            value = escape(c.new)
        items.append(f'<li><span class="field-name">{escape(c.label)}</span>：{value}</li>')
    return mark_safe(f'<ul class="changes">{"".join(items)}</ul>')  # noqa: S308  (every value escaped above)


@lru_cache(maxsize=256)
def model_for(object_type: str) -> type[models.Model] | None:
    """The model an object_type names ("benefits.settlement"); a label from before the apps were
    split ("audit.user") resolves by its model name when that is unique."""
    if "." not in object_type:
        return None
    app_label, model_name = object_type.split(".", 1)
    try:
        return apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        found = [m for m in apps.get_models() if m._meta.model_name == model_name]
        return found[0] if len(found) == 1 else None


def type_label(object_type: str) -> str:
    return _type_label_in(object_type, get_language())


@lru_cache(maxsize=512)
def _type_label_in(object_type: str, language: str | None) -> str:
    model = model_for(object_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return object_type or "—"


@lru_cache(maxsize=4096)
def _field(model: type[models.Model] | None, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _key_label(model, key: str) -> str:
    return _key_label_in(model, key, get_language())


@lru_cache(maxsize=4096)
def _key_label_in(model, key: str, language: str | None) -> str:
    """A key's label in one language: the same few keys come back on every row of every page."""
    model_field = _field(model, key)
    if model_field is not None and getattr(model_field, "verbose_name", None):
        return str(model_field.verbose_name)
    return str(EXTRA_KEYS.get(key, key))


def _shown(model, key: str, value: Any, kind: str, language: str | None) -> str:
    """`_value_text`, remembered for the plain values (text, numbers, yes/no) that come back row after row and
    page after page: statuses, kinds, districts' codes. The language is part of the key; so is the type (1 and
    True are equal in Python, and read 1 and 是)."""
    if value is None or isinstance(value, str | int | float):
        return _shown_plain(model, key, value, kind, language)
    return _value_text(model, key, value, kind=kind)


@lru_cache(maxsize=8192, typed=True)
def _shown_plain(model, key: str, value: Any, kind: str, language: str | None) -> str:
    return _value_text(model, key, value, kind=kind)


def _value_text(model, key: str, value: Any, *, kind: str = "") -> str:
    """`kind` is the job kind the event's values name, so a batch's counts read with that job's labels."""
    if value is None or value == "":
        return "—"
    if key == "id_number" and isinstance(value, str):
        return mask_id_number(value)
    if key == "kind" and model is not None and model._meta.label_lower == "core.jobrun":
        return job_label(str(value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict) and key == "counts":
        return "；".join(
            f"{count_label(str(k), kind=kind, default=EXTRA_KEYS.get(k))}：{_value_text(None, str(k), v)}"
            for k, v in value.items()
        )
    if isinstance(value, dict):
        return "；".join(f"{_key_label(None, str(k))}：{_value_text(None, str(k), v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value_text(None, "", v) for v in value)
    model_field = _field(model, key)
    if model_field is not None and model_field.choices:
        return str(field_choice_label(model_field, value))
    if isinstance(model_field, models.ForeignKey):
        return f"#{value}"  # the related record's number (its name is not looked up row by row)
    money = model_field is None and key in MONEY_KEYS and isinstance(value, str | int)
    if money or (isinstance(model_field, models.DecimalField) and model_field.decimal_places == 2):
        try:
            return amount_text(str(value))
        except ArithmeticError:
            return str(value)
    if key == "kind" and model is None:
        return job_label(str(value))
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:  # an ISO timestamp, shown like every other time on the page
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def event_changes(event: AuditEvent) -> list[Change]:
    model = model_for(event.object_type)
    old = event.old_values if isinstance(event.old_values, dict) else {}
    new = event.new_values if isinstance(event.new_values, dict) else {}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in HIDDEN_KEYS]
    kind = str(new.get("kind") or old.get("kind") or "")
    if event.action == AuditEvent.Action.JOB:
        # A batch names its job kind; the values are about that job, not a field of the object type.
        model = None
    language = get_language()
    changes = [
        Change(
            # A status change's "reason" is the reason for the move, whatever field the model calls so.
            label=str(EXTRA_KEYS[key])
            if event.action == AuditEvent.Action.STATUS and key == "reason"
            else (_key_label_in(model, key, language)),
            old=_shown(model, key, old[key], kind, language) if key in old else None,
            new=_shown(model, key, new[key], kind, language) if key in new else None,
        )
        for key in keys
    ]
    # Values that are not a dict (never written today, but the column allows it) still show as text.
    for label, value in ((gettext_noop("原值"), event.old_values), (gettext_noop("新值"), event.new_values)):
        if value not in (None, {}, []) and not isinstance(value, dict):
            changes.append(Change(label=_(label), old=None, new=_value_text(None, "", value)))
    return changes


def _links(*, object_type: str, ids: set[int], user: Any) -> dict[int, str]:
    """The page of each object of one type the user may open: one query for the whole page."""
    page = OBJECT_PAGES.get(object_type)
    model = model_for(object_type)
    if page is None or model is None or not ids or not user.has_capability(page.capability):
        return {}
    qs = scope_to_user(model._default_manager.filter(pk__in=ids), user=user, district_field=page.district)
    return {pk: reverse(page.url_name, args=[arg]) for pk, arg in qs.values_list("pk", page.arg) if arg is not None}


def _policy_name(policy) -> str:
    parts = [_("%(year)s年度") % {"year": policy.year}, choice_label(policy, "scheme")]
    if getattr(policy, "benefit_type", ""):
        parts.append(choice_label(policy, "benefit_type"))
    else:
        parts.append(_("大病保险"))
    parts.append(_("第%(version)s版") % {"version": policy.version})
    return " ".join(str(p) for p in parts)


# Types whose stored name (object_repr) is written for developers: the current name is read instead, from the
# fields the name needs (a policy's row holds its whole rule set, which the name does not).
READABLE_NAMES = {
    "core.jobrun": (("kind",), lambda run: f"{job_label(run.kind)} #{run.pk}"),
    "benefits.benefitpolicy": (("year", "scheme", "benefit_type", "version"), _policy_name),
    "benefits.criticalillnesspolicy": (("year", "scheme", "version"), _policy_name),
}


def _names(*, object_type: str, ids: set[int]) -> dict[int, str]:
    readable = READABLE_NAMES.get(object_type)
    model = model_for(object_type)
    if readable is None or model is None or not ids:
        return {}
    fields, name = readable
    return {obj.pk: name(obj) for obj in model._default_manager.filter(pk__in=ids).only(*fields)}


def event_rows(*, events: list[AuditEvent], user: Any) -> list[EventRow]:
    """The page's events ready to show: one query per object type present on the page, none per row."""
    ids_by_type: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id.isdigit():
            ids_by_type.setdefault(event.object_type, set()).add(int(event.object_id))
    links = {t: _links(object_type=t, ids=ids, user=user) for t, ids in ids_by_type.items()}
    names = {t: _names(object_type=t, ids=ids) for t, ids in ids_by_type.items()}
    rows = []
    for event in events:
        pk = int(event.object_id) if event.object_id.isdigit() else None
        name = names.get(event.object_type, {}).get(pk) or event.object_repr
        name = name or (f"#{event.object_id}" if event.object_id else "")
        rows.append(
            EventRow(
                event=event,
                type_label=type_label(event.object_type) if event.object_type else "",
                name=name,
                url=links.get(event.object_type, {}).get(pk, "") if pk is not None else "",
                changes=event_changes(event),
            )
        )
    return rows
