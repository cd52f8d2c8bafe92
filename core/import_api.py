"""REST endpoints of file imports (every kind registered for the upload page)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .importing import selectors
from .importing.batches import import_batch_retry
from .importing.registry import importer_for, importer_step
from .jobs import job_run_looks_stale, job_runs_reap
from .models import ImportBatch, ImportRowError
from .reference import district_id_for_code
from .serializers import ImportInput, ImportOutput, ImportRowErrorOutput


class ImportListApi(generics.ListCreateAPIView):
    """POST an enrollee list (multipart): it is validated in the background; poll the batch, then confirm."""

    queryset = ImportBatch.objects.none()
    serializer_class = ImportOutput
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.import_batch_list(fetched_by=self.request.user)

    @extend_schema(request=ImportInput, responses={202: ImportOutput})
    def post(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        code = data.validated_data.get("district_code")
        district_id = district_id_for_code(code) if code else request.user.district_id
        importer = importer_for(data.validated_data["kind"])
        batch = importer.create(
            actor=request.user,
            fileobj=upload,
            original_name=upload.name,
            district_id=district_id,
            mode=data.validated_data["mode"],
            **{name: data.validated_data.get(name) for name in importer.options},
        )
        batch.refresh_from_db()
        return Response(ImportOutput(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(generics.RetrieveAPIView):
    serializer_class = ImportOutput

    def get_object(self):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=self.request.user, batch_id=self.kwargs["pk"])
        if batch.job_run is not None and job_run_looks_stale(batch.job_run) and job_runs_reap(run_id=batch.job_run_id):
            # its worker died: a client polling the batch sees it actionable at once, as on the page
            batch = selectors.get_import_batch_for_user_or_404(fetched_by=self.request.user, batch_id=self.kwargs["pk"])
        return batch


class ImportErrorListApi(generics.ListAPIView):
    queryset = ImportRowError.objects.none()
    serializer_class = ImportRowErrorOutput

    def get_queryset(self):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=self.request.user, batch_id=self.kwargs["pk"])
        return selectors.import_row_errors(batch=batch)


class ImportRevalidateApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput})
    def post(self, request, pk: int):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=pk)
        import_batch_retry(actor=request.user, batch=batch)  # the kind's 重新校验, else its last job again
        return Response(ImportOutput(get_object_or_404(ImportBatch, pk=pk)).data, status=status.HTTP_202_ACCEPTED)


class ImportConfirmApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput})
    def post(self, request, pk: int):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=pk)
        importer_step(batch.kind, "confirm")(actor=request.user, batch=batch)
        return Response(ImportOutput(get_object_or_404(ImportBatch, pk=pk)).data, status=status.HTTP_202_ACCEPTED)
