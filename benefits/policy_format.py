"""The benefit policy file format (docs/benefit-policy.md), shared by the loader and the export."""

FORMAT = "yibao-benefit-policy/1"
BENEFIT_KEY = ("scheme", "category", "tier", "benefit_type", "institution_level")
BENEFIT_VALUES = ("deductible", "deductible_per", "ratio", "annual_cap", "source")
CRITICAL_VALUES = ("deductible", "bands", "annual_cap", "tilt_deductible_factor", "tilt_ratio_bonus", "source")
