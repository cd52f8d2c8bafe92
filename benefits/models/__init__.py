from .accounts import AccountCreditRule, AccountEntry, FamilyBinding, PersonalAccount
from .chronic import ChronicDisease, ChronicRegistration
from .institutions import Institution
from .policy import BenefitPolicy, BenefitType, CriticalIllnessPolicy
from .remote import (
    Clearing,
    ClearingLine,
    FilingType,
    InboundSettlement,
    RemoteCareFiling,
    RemoteCareRule,
    RemoteRule,
)
from .settlements import AnnualAccumulator, Settlement

__all__ = [
    "AccountCreditRule",
    "AccountEntry",
    "AnnualAccumulator",
    "BenefitPolicy",
    "BenefitType",
    "Clearing",
    "ClearingLine",
    "FilingType",
    "InboundSettlement",
    "RemoteCareFiling",
    "RemoteCareRule",
    "RemoteRule",
    "ChronicDisease",
    "ChronicRegistration",
    "CriticalIllnessPolicy",
    "FamilyBinding",
    "Institution",
    "PersonalAccount",
    "Settlement",
]
