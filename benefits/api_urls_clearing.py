"""REST routes of one 异地就医 part, appended to config/api_urls.py (namespace "api"), with their page titles."""

urlpatterns: list = []
API_NAMES: dict[str, str] = {}
