"""The nightly audit-trail check as a batch job (registered in CoreConfig.ready as "audit_verify")."""

import logging
from typing import Any

from .audit_chain import audit_chain_seal, audit_chain_verify, last_anchor
from .failures import StaffError
from .services import job_run_progress

logger = logging.getLogger("yibao.audit_chain")


def audit_verify_job(*, run_id: int) -> dict[str, Any]:
    """Seal what is pending, then recompute the whole chain. A break fails the run with a sentence naming
    the first broken link; failed runs show on 工作台 for administrators, in red on the jobs page."""
    audit_chain_seal()
    report = audit_chain_verify(anchor=last_anchor(), progress=lambda done: job_run_progress(run_id=run_id, done=done))
    if report.broken is not None:
        logger.error("audit chain broken: %s", report.broken.describe())
        raise StaffError(report.broken.describe())
    job_run_progress(run_id=run_id, done=report.checked, total=report.checked)
    return {"checked_events": report.checked, "chain_length": report.last_seq, "chain_tip": report.last_hash}
