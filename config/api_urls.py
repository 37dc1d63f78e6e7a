"""The REST API, mounted under /api/, and the ticket webhooks under /webhooks/."""

urlpatterns: list = []
