"""Web routes of one 异地就医 part, included by the app's urls.py (the app namespace applies)."""

urlpatterns: list = []
