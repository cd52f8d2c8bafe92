"""Staff pages of file imports of every kind: upload, preview, confirm, progress, result, errors."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import require_capability
from .forms import ImportUploadForm
from .importing import selectors
from .importing.batches import import_batch_cancel, import_batch_retry
from .importing.reader import sample_csv
from .importing.registry import IMPORTERS, importer_for, importer_step, upload_page_importers
from .jobs import job_counts_display, job_run_looks_stale, job_runs_reap
from .models import District, ImportBatch
from .pagination import keyset_page
from .roles import Capability
from .views_helpers import action_submit, form_submit

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

    def create_batch(data):
        importer = importer_for(data["kind"])
        return importer.create(
            actor=request.user,
            fileobj=data["file"],
            original_name=data["file"].name,
            district_id=data["district"].pk if data["district"] else None,
            mode=data["mode"],
            **{name: data[name] for name in importer.options},
        )

    if response := form_submit(
        request, form, call=create_batch, then=lambda batch: redirect("core:import_detail", batch_id=batch.pk)
    ):
        return response
    status = request.GET.get("status", "")
    status = status if status in ImportBatch.Status.values else ""
    batches = selectors.import_batch_list(fetched_by=request.user, status=status)
    page = keyset_page(batches, after=request.GET.get("after"))
    can_upload = request.user.has_capability(Capability.EDIT)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "can_upload": can_upload,
        "importers": upload_page_importers(),
        "filtered": status and ImportBatch.Status(status).label,
        "query": query.urlencode(),
    }
    return render(request, "core/import_list.html", context)


@login_required
def import_detail(request, batch_id: int):
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    if batch.job_run is not None and job_run_looks_stale(batch.job_run) and job_runs_reap(run_id=batch.job_run_id):
        # The worker driving the batch died: give the batch back to staff now, not at the next sweep.
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    importer = importer_for(batch.kind)
    context = {"batch": batch, "busy": batch.status in BUSY, "run": batch.job_run}
    if request.headers.get("HX-Request"):
        response = render(request, "core/_import_status.html", context)
        if batch.status not in BUSY:
            response["HX-Refresh"] = "true"  # the step finished: reload to show the preview or result
        return response
    errors = list(selectors.import_row_errors(batch=batch)[: PREVIEW_ERRORS + 1])
    shown = errors[:PREVIEW_ERRORS]
    links = (
        importer.row_links(batch=batch, row_numbers=sorted({e.row_number for e in shown}), user=request.user)
        if importer.row_links is not None and shown
        else {}
    )
    context.update(
        errors=[(error, links.get(error.row_number)) for error in shown],
        more_errors=len(errors) > PREVIEW_ERRORS,
        counts=job_counts_display(batch.counts),
        can_confirm=_confirmable(request, batch, importer),
        can_edit=request.user.has_capability(Capability.EDIT),
        can_revalidate=batch.status == ImportBatch.Status.FAILED
        and (importer.revalidate is not None or batch.job_run_id is not None)
        and request.user.has_capability(Capability.EDIT),
    )
    return render(request, "core/import_detail.html", context)


def _confirmable(request, batch: ImportBatch, importer) -> bool:
    """确认导入 is offered for a previewed batch with rows to write (整批 mode: and no refused row)."""
    return (
        batch.status == ImportBatch.Status.VALIDATED
        and importer.confirm is not None
        and batch.valid_rows > 0
        and not (batch.mode == ImportBatch.Mode.ATOMIC and batch.error_rows)
        and request.user.has_capability(Capability.EDIT)
    )


def _batch_action(request, batch_id: int, service, done_message: str = ""):
    """POST actions on a batch: find it in the user's scope, call the service, say what happened.

    `service` is a function, or the name of the batch's importer step ("confirm", "revalidate")."""
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    if isinstance(service, str):
        service = importer_step(batch.kind, service)
    action_submit(request, lambda: service(actor=request.user, batch=batch), success=done_message)
    return redirect("core:import_detail", batch_id=batch.pk)


@login_required
def import_confirm(request, batch_id: int):
    """GET: what 确认导入 will write, and the button that does it; POST: confirm (the apply is queued)."""
    if request.method == "POST":
        return _batch_action(request, batch_id, "confirm", _("已确认导入，正在写入数据"))
    batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=batch_id)
    importer = importer_for(batch.kind)
    importer_step(batch.kind, "confirm")  # a kind without the step: 404
    context = {
        "batch": batch,
        "counts": job_counts_display(batch.counts),
        "can_confirm": _confirmable(request, batch, importer),
    }
    return render(request, "core/import_confirm.html", context)


@login_required
@require_POST
def import_cancel(request, batch_id: int):
    return _batch_action(request, batch_id, import_batch_cancel, _("已取消该导入批次"))


@login_required
@require_POST
def import_revalidate(request, batch_id: int):
    """重新校验 / 重试 a 失败 batch: its kind's own re-check, else its last job again (import_batch_retry)."""
    return _batch_action(request, batch_id, import_batch_retry, _("已重新排队校验"))


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
    """An empty list of one kind (?kind=, default the first on the page) with its headers and an example row."""
    kind = request.GET.get("kind")
    importer = IMPORTERS.get(kind) if kind else next(iter(upload_page_importers()), None)
    if importer is None:
        raise Http404(_("没有这种导入类型。"))
    rows = [list(importer.example)] if importer.example else []
    response = HttpResponse(b"\xef\xbb\xbf" + sample_csv(list(importer.headers), rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{importer.kind}-template.csv"'
    return response
