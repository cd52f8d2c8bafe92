from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views as config_views
from core import views as core_views

handler500 = "config.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("session/keepalive/", config_views.session_keepalive, name="session_keepalive"),
    path("favicon.ico", config_views.favicon),
    path("", include("core.urls")),
    path("enrollment/", include("enrollment.urls")),
    path("contributions/", include("contributions.urls")),
    path("benefits/", include("benefits.urls")),
    path("assistance/", include("assistance.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
