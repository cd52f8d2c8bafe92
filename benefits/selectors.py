"""Reads of the benefits app: the current policy, and the terms the settlement calculator needs."""

from decimal import Decimal

from .calculator import CriticalBand, CriticalTerms, PooledTerms
from .models import BenefitPolicy, CriticalIllnessPolicy
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
