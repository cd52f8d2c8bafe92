"""REST endpoints of the floor: who am I, districts, job runs."""

from rest_framework import generics

from . import selectors
from .jobs import job_run_looks_stale, job_runs_reap
from .models import District
from .serializers import DistrictOutput, JobRunOutput, MeOutput


class MeApi(generics.RetrieveAPIView):
    serializer_class = MeOutput

    def get_object(self):
        return self.request.user


class DistrictListApi(generics.ListAPIView):
    queryset = District.objects.none()  # for the schema; real rows come from the selector
    serializer_class = DistrictOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.district_list(fetched_by=self.request.user)


class JobRunDetailApi(generics.RetrieveAPIView):
    serializer_class = JobRunOutput

    def get_object(self):
        run = selectors.get_job_run_for_user_or_404(fetched_by=self.request.user, run_id=self.kwargs["pk"])
        if job_run_looks_stale(run) and job_runs_reap(run_id=run.pk):
            run.refresh_from_db()  # its worker died: failed in words now, not at the next sweep
        return run
