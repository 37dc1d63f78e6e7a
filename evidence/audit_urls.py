"""Auditor views, mounted under /audit/."""

urlpatterns: list = []
