from rest_framework import generics

from . import selectors
from .models import District
from .serializers import DistrictOutput


class DistrictListApi(generics.ListAPIView):
    queryset = District.objects.none()  # for the schema; real rows come from the selector
    serializer_class = DistrictOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.district_list(fetched_by=self.request.user)
