"""The person page's 异地就医备案 section (registered with enrollment's person-page panels): the person's
filings in the user's scope, and the link to file one."""

from django.template.loader import render_to_string

from core.access import district_in_scope
from core.roles import Capability

from .remote_filing_selectors import person_remote_filings

PANEL_ROWS = 10


def remote_filing_panel(request, person) -> str:
    if not request.user.has_capability(Capability.VIEW):
        return ""
    context = {
        "person": person,
        "filings": list(person_remote_filings(fetched_by=request.user, person=person)[:PANEL_ROWS]),
        "can_edit": request.user.has_capability(Capability.EDIT)
        and district_in_scope(user=request.user, district_id=person.district_id),
    }
    return render_to_string("benefits/remote/_filing_panel.html", context, request=request)
