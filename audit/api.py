from rest_framework import generics
from rest_framework.exceptions import ValidationError

from core.models import AuditEvent
from core.roles import Capability

from . import selectors
from .forms import AuditEventFilterForm
from .serializers import AuditEventOutput


class AuditEventListApi(generics.ListAPIView):
    queryset = AuditEvent.objects.none()  # for the schema; real rows come from the selector
    serializer_class = AuditEventOutput
    required_capability = Capability.VIEW_AUDIT

    def get_queryset(self):
        form = AuditEventFilterForm(self.request.query_params, user=self.request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        filters = form.cleaned_data
        return selectors.audit_event_list(fetched_by=self.request.user, filters=filters)


class AuditEventDetailApi(generics.RetrieveAPIView):
    serializer_class = AuditEventOutput
    required_capability = Capability.VIEW_AUDIT

    def get_object(self):
        return selectors.get_audit_event_for_user_or_404(fetched_by=self.request.user, event_id=self.kwargs["pk"])
