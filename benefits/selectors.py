"""Reads of the benefits app: the current policy, and the terms the settlement calculator needs."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from enrollment.models import Person

from .calculator import CriticalBand, CriticalTerms, PooledTerms
from .models import (
    AccountEntry,
    AnnualAccumulator,
    BenefitPolicy,
    ChronicDisease,
    ChronicRegistration,
    CriticalIllnessPolicy,
    FamilyBinding,
    Institution,
    PersonalAccount,
    Settlement,
)
from .policy_format import BENEFIT_KEY, BENEFIT_VALUES, CRITICAL_VALUES, FORMAT


def _current(rows):
    """The highest version of each key."""
    latest: dict = {}
    for row in rows:
        key = tuple(getattr(row, k) for k in ("year", *BENEFIT_KEY)) if isinstance(row, BenefitPolicy) else (
            row.year, row.scheme
        )  # fmt: skip
        if key not in latest or row.version > latest[key].version:
            latest[key] = row
    return list(latest.values())


def benefit_policy_for(
    *, year: int, scheme: str, category: str, tier: int | None, benefit_type: str, institution_level: int | None
) -> BenefitPolicy:
    """The most specific current line: an exact category beats "any", then tier, then level."""
    candidates = _current(BenefitPolicy.objects.filter(year=year, scheme=scheme, benefit_type=benefit_type))
    fitting = [
        p
        for p in candidates
        if p.category in ("", category)
        and p.tier in (0, tier or 0)
        and p.institution_level in (0, institution_level or 0)
    ]
    if not fitting:
        raise LookupError(f"no benefit policy for {year} {scheme} {category} {benefit_type}")
    return max(fitting, key=lambda p: (p.category != "", p.tier != 0, p.institution_level != 0))


def pooled_terms(policy: BenefitPolicy) -> PooledTerms:
    return PooledTerms(
        deductible=policy.deductible,
        ratio=policy.ratio,
        annual_cap=policy.annual_cap,
        deductible_per_admission=policy.deductible_per == BenefitPolicy.DeductiblePer.ADMISSION,
    )


def benefit_terms(
    *, year: int, scheme: str, category: str, tier: int | None, benefit_type: str, institution_level: int | None
) -> PooledTerms:
    return pooled_terms(
        benefit_policy_for(
            year=year,
            scheme=scheme,
            category=category,
            tier=tier,
            benefit_type=benefit_type,
            institution_level=institution_level,
        )
    )


def critical_terms(*, year: int, scheme: str) -> CriticalTerms | None:
    current = _current(CriticalIllnessPolicy.objects.filter(year=year, scheme=scheme))
    if not current:
        return None
    policy = current[0]
    return CriticalTerms(
        deductible=policy.deductible,
        bands=tuple(
            CriticalBand(upper=Decimal(b["upper"]) if b["upper"] is not None else None, ratio=Decimal(b["ratio"]))
            for b in policy.bands
        ),
        annual_cap=policy.annual_cap,
        tilt_deductible_factor=policy.tilt_deductible_factor,
        tilt_ratio_bonus=policy.tilt_ratio_bonus,
    )


def benefit_policy_document(*, year: int) -> dict:
    """The current policy of a year in the file format `benefit_policy_load` reads."""

    def plain(value):
        return str(value) if isinstance(value, Decimal) else value

    benefits = sorted(
        _current(BenefitPolicy.objects.filter(year=year)), key=lambda p: tuple(str(getattr(p, k)) for k in BENEFIT_KEY)
    )
    critical = sorted(_current(CriticalIllnessPolicy.objects.filter(year=year)), key=lambda p: p.scheme)
    return {
        "format": FORMAT,
        "year": year,
        "benefits": [{k: plain(getattr(p, k)) for k in (*BENEFIT_KEY, *BENEFIT_VALUES)} for p in benefits],
        "critical_illness": [{k: plain(getattr(p, k)) for k in ("scheme", *CRITICAL_VALUES)} for p in critical],
    }


# --- Institutions, settlements, accounts: always scoped to the user who asks. ---


def institution_list(*, fetched_by: Any, query: str = "") -> QuerySet[Institution]:
    """By code (whole or leading characters) or name (leading characters), in the user's district."""
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(Institution.objects.select_related("district"), user=fetched_by)
    query = (query or "").strip()
    if not query:
        return qs
    if query[:1].upper() in ("H", "P") and query[1:].isdigit():
        return qs.filter(code__startswith=query.upper())
    return qs.filter(name__startswith=query)


def get_institution_for_user_or_404(*, fetched_by: Any, institution_id: int) -> Institution:
    return get_scoped_or_404(
        Institution.objects.select_related("district"), user=fetched_by, capability=Capability.VIEW, pk=institution_id
    )


def institution_by_code(*, code: str) -> Institution | None:
    """Reference lookup (a patient of one district may be treated in any district's hospital)."""
    return Institution.objects.filter(code=(code or "").strip().upper()).first()


def settlement_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Settlement]:
    """Settlements of the user's district (the patient's insuring district); an institution's system
    account sees its own institution's settlements only."""
    filters = filters or {}
    user = fetched_by
    base = Settlement.objects.select_related("institution", "person")
    if getattr(user, "is_authenticated", False) and user.has_capability(Capability.SETTLE):
        qs = base.filter(institution_id=user.institution_id)
    else:
        require_capability(user, Capability.VIEW)
        qs = scope_to_user(base, user=user)
    if filters.get("settlement_number"):
        qs = qs.filter(settlement_number=filters["settlement_number"])
    if filters.get("institution"):
        qs = qs.filter(institution__code=str(filters["institution"]).upper())
    for key in ("person_id", "year"):
        value = int_filter(filters, key)
        if value is not None:
            qs = qs.filter(**{key: value})
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs


def get_settlement_for_user_or_404(*, fetched_by: Any, settlement_id: int) -> Settlement:
    qs = settlement_list(fetched_by=fetched_by).select_related("policy", "chronic_disease", "enrollment", "district")
    settlement = qs.filter(pk=settlement_id).first()
    if settlement is None:
        raise Http404("记录不存在或不在您的管辖范围内。")
    return settlement


def issuing_bureau() -> dict[str, str]:
    """The bureau that issues printed statements (settings.YIBAO_BUREAU: name, address, hotline)."""
    bureau = getattr(settings, "YIBAO_BUREAU", None) or {}
    return {key: str(bureau.get(key, "") or "") for key in ("name", "address", "hotline")}


def person_accumulators(*, person: Person) -> QuerySet[AnnualAccumulator]:
    return AnnualAccumulator.objects.filter(person=person).order_by("-year")


def person_chronic_registrations(*, person: Person) -> QuerySet[ChronicRegistration]:
    return ChronicRegistration.objects.filter(person=person).select_related("disease")


def chronic_disease_list() -> QuerySet[ChronicDisease]:
    return ChronicDisease.objects.filter(active=True).order_by("code")


def person_account(*, person: Person) -> PersonalAccount | None:
    return PersonalAccount.objects.filter(person=person).first()


def account_entries(*, account: PersonalAccount) -> QuerySet[AccountEntry]:
    return account.entries.select_related("beneficiary", "settlement")


def account_family(*, account: PersonalAccount) -> QuerySet[FamilyBinding]:
    return account.family.filter(active=True).select_related("member")
