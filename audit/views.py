"""The audit-trail viewer (操作日志)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.access import require_capability
from core.pagination import keyset_page
from core.roles import Capability

from . import selectors
from .forms import AuditEventFilterForm
from .trail_display import event_rows, type_label


@login_required
def event_list(request):
    require_capability(request.user, Capability.VIEW_AUDIT)
    object_types = sorted(
        ((t, type_label(t)) for t in selectors.audit_event_object_types()), key=lambda pair: (pair[1], pair[0])
    )
    form = AuditEventFilterForm(request.GET or None, user=request.user, object_types=object_types)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(fetched_by=request.user, filters=filters)
    if form.errors:  # a mistyped filter shows its message and no rows, never the unfiltered trail
        events = events.none()
    page = keyset_page(events, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "rows": event_rows(events=page.items, user=request.user),
        "query": query.urlencode(),
    }
    return render(request, "audit/event_list.html", context, status=400 if form.errors else 200)
