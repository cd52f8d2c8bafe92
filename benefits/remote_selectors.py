"""Reads of 异地就医: the rule of a year and filing type, the filing that covers a day and area, and the
terms a settlement of care outside the city is made under ("参保地政策": our policy, reduced by the rule)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q

from core.areas import area_name

from .models import RemoteCareFiling, RemoteCareRule, RemoteRule
from .models.remote import LONG_TERM_TYPES


@dataclass(frozen=True)
class RemoteTerms:
    """How a settlement of care in `care_area_code` is made: which rule, under which filing (None: unfiled),
    and the percentage points taken off the pooled ratio, with the sentence the statement prints."""

    care_area_code: str
    rule: str  # RemoteRule
    reduction: Decimal
    filing: RemoteCareFiling | None
    policy_rule: RemoteCareRule
    platform_number: str = ""

    @property
    def note(self) -> str:
        where = area_name(self.care_area_code)
        if self.filing is not None:
            said = f"{RemoteRule(self.rule).label}（{self.filing.get_filing_type_display()}，备案号 {self.filing.pk}）"
        else:
            said = str(RemoteRule.UNFILED.label)
        points = (self.reduction * 100).normalize()
        cut = f"统筹基金支付比例降低 {points:f} 个百分点" if self.reduction else "统筹基金支付比例不降低"
        source = self.policy_rule.source or "可配置默认值"
        return f"异地就医（{where}）：{said}，执行参保地待遇政策，{cut}（{source}）"


def remote_care_rule(*, year: int, filing_type: str) -> RemoteCareRule:
    """The rule in force for a filing type (or "unfiled") in `year`: the current version of the latest year
    that is not later (a filing made before next year's policy file is loaded follows this year's rules)."""
    rule = RemoteCareRule.objects.filter(year__lte=year, filing_type=filing_type).order_by("-year", "-version").first()
    if rule is None:
        raise ValidationError({"filing_type": f"{year}年度没有异地就医政策（请先载入当年待遇清单的异地就医政策）"})
    return rule


def filing_destination_matches(*, destination_code: str, care_area_code: str) -> bool:
    """A filing to a province (xx0000) covers all of it; one to a city covers that city."""
    if destination_code == care_area_code:
        return True
    return destination_code.endswith("0000") and care_area_code[:2] == destination_code[:2]


def covering_filing(*, person_id: int, on: dt.date, care_area_code: str) -> RemoteCareFiling | None:
    """The person's filing standing on `on` for the care area; long-term filings first. A revocation stops
    covering care from the day after it: care while the filing stood, reimbursed later, keeps its rule."""
    standing = Q(status=RemoteCareFiling.Status.ACTIVE) | Q(
        status=RemoteCareFiling.Status.REVOKED, revoked_at__date__gt=on
    )
    candidates = (
        RemoteCareFiling.objects.filter(standing, person_id=person_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("valid_from", "id")
    )
    fitting = [
        f
        for f in candidates
        if filing_destination_matches(destination_code=f.destination_code, care_area_code=care_area_code)
    ]
    fitting.sort(key=lambda f: f.filing_type not in LONG_TERM_TYPES)
    return fitting[0] if fitting else None


def remote_terms_for(*, person_id: int, on: dt.date, care_area_code: str, platform_number: str = "") -> RemoteTerms:
    """The filing status decides the reduction: a long-term filing's rule, a temporary filing's, or unfiled."""
    filing = covering_filing(person_id=person_id, on=on, care_area_code=care_area_code)
    if filing is None:
        rule = remote_care_rule(year=on.year, filing_type=RemoteCareRule.UNFILED)
        kind = RemoteRule.UNFILED
    else:
        rule = remote_care_rule(year=on.year, filing_type=filing.filing_type)
        kind = RemoteRule.LONG_TERM if filing.long_term else RemoteRule.TEMPORARY
    return RemoteTerms(
        care_area_code=care_area_code,
        rule=kind,
        reduction=rule.ratio_reduction,
        filing=filing,
        policy_rule=rule,
        platform_number=platform_number,
    )
