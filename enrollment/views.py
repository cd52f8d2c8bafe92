from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def district_list(request):
    return render(
        request, "enrollment/district_list.html", {"districts": selectors.district_list(fetched_by=request.user)}
    )
