"""The audit-trail viewer (操作日志)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.pagination import keyset_page

from . import selectors
from .forms import AuditEventFilterForm


@login_required
def event_list(request):
    form = AuditEventFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(fetched_by=request.user, filters=filters)
    if form.errors:  # a mistyped filter shows its message and no rows, never the unfiltered trail
        events = events.none()
    page = keyset_page(events, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/event_list.html", context, status=400 if form.errors else 200)
