"""Staff pages of the enrollee-list import: upload, preview, confirm, progress, result."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.access import require_capability
from audit.roles import Capability
from config.pagination import keyset_page

from . import selectors
from .forms import ImportUploadForm, apply_service_errors
from .importing.columns import HEADERS
from .importing.payments import payment_batch_create
from .importing.pipeline import (
    import_batch_cancel,
    import_batch_confirm,
    import_batch_create,
    import_batch_revalidate,
)
from .importing.reader import sample_csv
from .models import District, ImportBatch

BUSY = {ImportBatch.Status.UPLOADED, ImportBatch.Status.VALIDATING, ImportBatch.Status.IMPORTING}
PREVIEW_ERRORS = 200


@login_required
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if not request.user.is_city_wide:
        form.fields["district"].queryset = District.objects.filter(pk=request.user.district_id)
        form.fields["district"].required = True
        form.fields["district"].empty_label = None  # no "全市" for district staff
        form.fields["district"].initial = request.user.district_id
    if request.method == "POST":
        require_capability(request.user, Capability.EDIT)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            district = form.cleaned_data["district"]
            common = {
                "actor": request.user,
                "fileobj": upload,
                "original_name": upload.name,
                "district_id": district.pk if district else None,
                "mode": form.cleaned_data["mode"],
            }
            try:
                if form.cleaned_data["kind"] == ImportBatch.Kind.PAYMENTS:
                    batch = payment_batch_create(**common)
                else:
                    batch = import_batch_create(**common, effective_date=form.cleaned_data["effective_date"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return redirect("enrollment:import_detail", batch_id=batch.pk)
    page = keyset_page(selectors.import_batch_list(fetched_by=request.user), after=request.GET.get("after"))
    can_upload = request.user.has_capability(Capability.EDIT)
    return render(request, "enrollment/import_list.html", {"form": form, "page": page, "can_upload": can_upload})


@login_required
def import_detail(request, batch_id: int):
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    context = {"batch": batch, "busy": batch.status in BUSY, "run": batch.job_run}
    if request.headers.get("HX-Request"):
        response = render(request, "enrollment/_import_status.html", context)
        if batch.status not in BUSY:
            response["HX-Refresh"] = "true"  # the step finished: reload to show the preview or result
        return response
    errors = list(selectors.import_row_errors(batch=batch)[: PREVIEW_ERRORS + 1])
    context.update(
        errors=errors[:PREVIEW_ERRORS],
        more_errors=len(errors) > PREVIEW_ERRORS,
        can_confirm=batch.status == ImportBatch.Status.VALIDATED and request.user.has_capability(Capability.EDIT),
        can_revalidate=batch.status == ImportBatch.Status.FAILED
        and batch.kind == ImportBatch.Kind.ENROLLEES
        and request.user.has_capability(Capability.EDIT),
    )
    return render(request, "enrollment/import_detail.html", context)


def _batch_action(request, batch_id: int, service, done_message: str = ""):
    """POST actions on a batch: find it in the user's scope, call the service, say what happened."""
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    try:
        service(actor=request.user, batch=batch)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        if done_message:
            messages.success(request, done_message)
    return redirect("enrollment:import_detail", batch_id=batch.pk)


@login_required
@require_POST
def import_confirm(request, batch_id: int):
    return _batch_action(request, batch_id, import_batch_confirm)


@login_required
@require_POST
def import_cancel(request, batch_id: int):
    return _batch_action(request, batch_id, import_batch_cancel, _("已取消该导入批次"))


@login_required
@require_POST
def import_revalidate(request, batch_id: int):
    return _batch_action(request, batch_id, import_batch_revalidate)


def _inert(value: str) -> str:
    """Values come from uploaded files: keep Excel from running one as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def import_errors_csv(request, batch_id: int):
    """Every refused row, in row order, as a CSV staff can open in Excel (UTF-8 with BOM)."""
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(["行号", "列", "值", "原因"])
        for error in selectors.import_row_errors(batch=batch).iterator(chunk_size=5000):
            yield writer.writerow([error.row_number, error.field, _inert(error.value), error.message])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response


@login_required
def import_template(request):
    """An empty enrollee list with the expected headers and one example row."""
    example = ["张三", "11010519491231002X", "女", "1949-12-31", "500103", "居民医保", "成年居民", "一档", "", "", ""]
    response = HttpResponse(b"\xef\xbb\xbf" + sample_csv(list(HEADERS), [example]), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="enrollee-template.csv"'
    return response
