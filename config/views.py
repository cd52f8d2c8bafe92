"""Views of the page chrome that belong to no app: the 500 page, the idle-session keep-alive, /favicon.ico."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_POST


@requires_csrf_token
def server_error(request, *args, **kwargs):
    """The project 500 page: a static template, no database and no request context (base.html needs both)."""
    return HttpResponseServerError(loader.get_template("500.html").render())


@require_POST
@login_required
def session_keepalive(request):
    """继续工作 in the idle warning: any request of the user's own counts as activity
    (IdleTimeoutMiddleware stamps it), so this only has to answer."""
    return HttpResponse(status=204)


def favicon(request):
    """Browsers and tools that ask for /favicon.ico get the SVG icon base.html links to.
    Resolved per request: under the manifest storage the hashed name exists only after collectstatic."""
    return HttpResponseRedirect(static("favicon.svg"))
