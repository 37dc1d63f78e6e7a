"""The project's URLs plus a findings page, as the scanners app will add it: the control page links to it."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("scans/findings/", lambda request: HttpResponse(), name="finding-list"),
    *project_urlpatterns,
]
handler403 = "config.views.permission_denied"
