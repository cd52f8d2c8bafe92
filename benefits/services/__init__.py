from .accounts import (
    FORBIDDEN_USES,
    account_credits_post,
    account_for_use,
    account_open,
    account_payment_record,
    family_binding_create,
    family_binding_end,
)
from .institutions import (
    chronic_registration_create,
    chronic_registration_revoke,
    institution_code_check,
    institution_elsewhere,
    institution_register,
    institution_update,
)
from .policy import benefit_policy_load
from .settlements import (
    SettlementConflict,
    SettlementRequest,
    settlement_create,
    settlement_manual_elsewhere,
    settlement_reverse,
)

__all__ = [
    "FORBIDDEN_USES",
    "SettlementConflict",
    "SettlementRequest",
    "account_credits_post",
    "account_for_use",
    "account_open",
    "account_payment_record",
    "benefit_policy_load",
    "chronic_registration_create",
    "chronic_registration_revoke",
    "family_binding_create",
    "family_binding_end",
    "institution_code_check",
    "institution_elsewhere",
    "institution_register",
    "institution_update",
    "settlement_create",
    "settlement_manual_elsewhere",
    "settlement_reverse",
]
