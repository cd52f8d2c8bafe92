from .accounts import AccountCreditRule, AccountEntry, FamilyBinding, PersonalAccount
from .chronic import ChronicDisease, ChronicRegistration
from .institutions import Institution
from .policy import BenefitPolicy, BenefitType, CriticalIllnessPolicy
from .settlements import AnnualAccumulator, Settlement

__all__ = [
    "AccountCreditRule",
    "AccountEntry",
    "AnnualAccumulator",
    "BenefitPolicy",
    "BenefitType",
    "ChronicDisease",
    "ChronicRegistration",
    "CriticalIllnessPolicy",
    "FamilyBinding",
    "Institution",
    "PersonalAccount",
    "Settlement",
]
