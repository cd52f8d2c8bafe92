"""Reads of the benefits app: the current policy, and the terms the settlement calculator needs."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Subquery
from django.http import Http404

from assistance.terms import DEFAULT_CLAIM_RATIOS
from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from core.selectors import IndexOrderedQuerySet
from enrollment.models import Person

from .calculator import CriticalBand, CriticalTerms, PooledTerms
from .models import (
    AccountEntry,
    AnnualAccumulator,
    BenefitPolicy,
    BenefitType,
    ChronicDisease,
    ChronicRegistration,
    CriticalIllnessPolicy,
    FamilyBinding,
    Institution,
    PersonalAccount,
    RemoteCareRule,
    Settlement,
)
from .models.policy import ClaimAidRatio, critical_label
from .policy_format import AID_VALUES, BENEFIT_KEY, BENEFIT_VALUES, CRITICAL_VALUES, FORMAT, REMOTE_VALUES


def _current(rows):
    """The highest version of each key."""
    latest: dict = {}
    for row in rows:
        if isinstance(row, BenefitPolicy):
            key = tuple(getattr(row, k) for k in ("year", *BENEFIT_KEY))
        elif isinstance(row, ClaimAidRatio):
            key = (row.year, row.benefit_type)
        elif isinstance(row, RemoteCareRule):
            key = (row.year, row.filing_type)
        else:
            key = (row.year, row.scheme)
        if key not in latest or row.version > latest[key].version:
            latest[key] = row
    return list(latest.values())


def benefit_policy_for(
    *,
    year: int,
    scheme: str,
    category: str,
    tier: int | None,
    benefit_type: str,
    institution_level: int | None,
    disease_code: str = "",
) -> BenefitPolicy:
    """The most specific current line: a named disease beats "any disease" (门诊慢特病), then an exact
    category beats "any", then tier, then level."""
    candidates = _current(BenefitPolicy.objects.filter(year=year, scheme=scheme, benefit_type=benefit_type))
    fitting = [
        p
        for p in candidates
        if p.category in ("", category)
        and p.tier in (0, tier or 0)
        and p.institution_level in (0, institution_level or 0)
        and p.disease_code in ("", disease_code or "")
    ]
    if not fitting:
        raise LookupError(f"no benefit policy for {year} {scheme} {category} {benefit_type}")
    return max(fitting, key=lambda p: (p.disease_code != "", p.category != "", p.tier != 0, p.institution_level != 0))


def pooled_terms(policy: BenefitPolicy, pot: BenefitPolicy | None = None) -> PooledTerms:
    """Calculator terms of a line. `pot`: the outpatient pot's line (its hospital channel at level 0),
    whose deductible and cap every channel of the pot shares; the ratio stays the channel's own."""
    anchor = pot or policy
    return PooledTerms(
        deductible=anchor.deductible,
        ratio=policy.ratio,
        annual_cap=anchor.annual_cap,
        deductible_per_admission=anchor.deductible_per == BenefitPolicy.DeductiblePer.ADMISSION,
    )


def outpatient_pot_for(*, year: int, scheme: str, category: str, tier: int | None) -> BenefitPolicy:
    """The line that holds the 普通门诊统筹 pot's deductible and cap for a person: the hospital channel at
    level 0 (every pot has one; the loader refuses a pot without). 001: "医保基金对不同的门诊共济保障方式不重复支付"."""
    return benefit_policy_for(
        year=year, scheme=scheme, category=category, tier=tier, benefit_type=BenefitType.OUTPATIENT, institution_level=0
    )


def benefit_terms(
    *,
    year: int,
    scheme: str,
    category: str,
    tier: int | None,
    benefit_type: str,
    institution_level: int | None,
    disease_code: str = "",
) -> PooledTerms:
    """The calculator terms for a claim type (outpatient channels with their pot's deductible and cap)."""
    policy = benefit_policy_for(
        year=year,
        scheme=scheme,
        category=category,
        tier=tier,
        benefit_type=benefit_type,
        institution_level=institution_level,
        disease_code=disease_code,
    )
    pot = None
    if benefit_type in POT_CHANNELS:
        pot = outpatient_pot_for(year=year, scheme=scheme, category=category, tier=tier)
    return pooled_terms(policy, pot)


POT_CHANNELS = (BenefitType.OUTPATIENT, BenefitType.PHARMACY)


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
        label=critical_label(scheme),
    )


def claim_aid_ratio(*, year: int, benefit_type: str) -> Decimal | None:
    """The aid ratio of a claim type in a year (None: the aid category's own ratio). Without a line in the
    year's policy file, assistance.terms.DEFAULT_CLAIM_RATIOS (pharmacy 0)."""
    current = _current(ClaimAidRatio.objects.filter(year=year, benefit_type=benefit_type))
    if current:
        return current[0].ratio
    return DEFAULT_CLAIM_RATIOS.get(benefit_type)


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def _pot_lines(rows: list[BenefitPolicy]) -> list[dict]:
    """Outpatient and pharmacy rows back into pots with channels, the shape the loader reads."""
    pots: dict[tuple, dict] = {}
    ordered = sorted(rows, key=lambda p: (p.benefit_type != BenefitType.OUTPATIENT, p.institution_level))
    for p in ordered:
        key = (p.scheme, p.category, p.tier)
        if key not in pots:
            pots[key] = {"scheme": p.scheme, "category": p.category, "tier": p.tier, "benefit_type": "outpatient",
                         "deductible": None, "deductible_per": "year", "annual_cap": None, "source": p.source,
                         "channels": []}  # fmt: skip
        pot = pots[key]
        if p.benefit_type == BenefitType.OUTPATIENT and p.institution_level == 0:
            pot.update(deductible=_plain(p.deductible), annual_cap=_plain(p.annual_cap), source=p.source)
        channel = {"channel": "hospital" if p.benefit_type == BenefitType.OUTPATIENT else "pharmacy"}
        if p.benefit_type == BenefitType.OUTPATIENT:
            channel["institution_level"] = p.institution_level
        channel["ratio"] = _plain(p.ratio)
        if p.source != pot["source"]:
            channel["source"] = p.source
        pot["channels"].append(channel)
    return list(pots.values())


def benefit_policy_document(*, year: int) -> dict:
    """The current policy of a year in the file format `benefit_policy_load` reads."""
    current = _current(BenefitPolicy.objects.filter(year=year))
    pot_rows = [p for p in current if p.benefit_type in POT_CHANNELS]
    lines = []
    for p in current:
        if p.benefit_type in POT_CHANNELS:
            continue
        line = {k: _plain(getattr(p, k)) for k in (*BENEFIT_KEY, *BENEFIT_VALUES)}
        if p.like_inpatient:
            for k in ("deductible", "deductible_per", "ratio", "annual_cap"):
                line.pop(k)
        if p.benefit_type != BenefitType.CHRONIC:
            line.pop("disease_code")
            line.pop("like_inpatient")
        lines.append(line)
    benefits = sorted(
        _pot_lines(pot_rows) + lines,
        key=lambda line: tuple(str(line.get(k, "")) for k in BENEFIT_KEY),
    )
    critical = sorted(_current(CriticalIllnessPolicy.objects.filter(year=year)), key=lambda p: p.scheme)
    aid = sorted(_current(ClaimAidRatio.objects.filter(year=year)), key=lambda p: p.benefit_type)
    return {
        "format": FORMAT,
        "year": year,
        "benefits": benefits,
        "critical_illness": [{k: _plain(getattr(p, k)) for k in ("scheme", *CRITICAL_VALUES)} for p in critical],
        "medical_aid": [
            {"benefit_type": p.benefit_type, **{k: _plain(getattr(p, k)) for k in AID_VALUES}} for p in aid
        ],
        "remote_care": [
            {"filing_type": p.filing_type, **{k: _plain(getattr(p, k)) for k in REMOTE_VALUES}}
            for p in sorted(_current(RemoteCareRule.objects.filter(year=year)), key=lambda p: p.filing_type)
        ],
    }


# --- Institutions, settlements, accounts: always scoped to the user who asks. ---


def institution_list(*, fetched_by: Any, query: str = "") -> QuerySet[Institution]:
    """By code (whole or leading characters) or name (leading characters), in the user's district."""
    require_capability(fetched_by, Capability.VIEW)
    # The city's designated institutions; those elsewhere are known only through 异地就医 settlements.
    qs = scope_to_user(Institution.objects.filter(area_code="").select_related("district"), user=fetched_by)
    query = (query or "").strip()
    if not query:
        return qs
    if query[:1].upper() in ("H", "P") and query[1:].isdigit():
        return qs.filter(code__startswith=query.upper())
    return qs.filter(name__startswith=query)


def get_institution_for_user_or_404(*, fetched_by: Any, institution_id: int) -> Institution:
    return get_scoped_or_404(
        Institution.objects.filter(area_code="").select_related("district"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=institution_id,
    )


def institution_by_code(*, code: str) -> Institution | None:
    """Reference lookup (a patient of one district may be treated in any district's hospital)."""
    return Institution.objects.filter(code=(code or "").strip().upper(), area_code="").first()


def settlement_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Settlement]:
    """Settlements of the user's district (the patient's insuring district); an institution's system
    account sees its own institution's settlements only."""
    filters = filters or {}
    user = fetched_by
    # A person's or a number's few settlements are fetched by their index and sorted; every other filter
    # (institution, year, status, none) has an index ending in id, read in order (IndexOrderedQuerySet).
    few = filters.get("settlement_number") or int_filter(filters, "person_id") is not None
    base = (Settlement.objects.all() if few else IndexOrderedQuerySet(Settlement)).select_related(
        "institution", "person"
    )
    if getattr(user, "is_authenticated", False) and user.has_capability(Capability.SETTLE):
        qs = base.filter(institution_id=user.institution_id)
    else:
        require_capability(user, Capability.VIEW)
        qs = scope_to_user(base, user=user)
    if filters.get("settlement_number"):
        qs = qs.filter(settlement_number=filters["settlement_number"])
    if filters.get("institution"):
        # The code is unique: compared as one id (a scalar subquery, not a join), the (institution, id)
        # index gives the list's order and LIMIT stops after one page.
        code = str(filters["institution"]).upper()
        qs = qs.filter(institution_id=Subquery(Institution.objects.filter(code=code).values("pk")[:1]))
    for key in ("person_id", "year"):
        value = int_filter(filters, key)
        if value is not None:
            qs = qs.filter(**{key: value})
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs


def get_settlement_for_user_or_404(*, fetched_by: Any, settlement_id: int) -> Settlement:
    qs = settlement_list(fetched_by=fetched_by).select_related(
        "policy", "chronic_disease", "enrollment", "district", "filing"
    )
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
