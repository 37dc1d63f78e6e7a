"""The evidence browser, mounted at /evidence/."""

from django.urls import path

from evidence import browse

urlpatterns = [
    path("", browse.evidence_list, name="evidence-list"),
    path("<int:pk>/", browse.evidence_detail, name="evidence-detail"),
    path("<int:pk>/download/", browse.evidence_download, name="evidence-download"),
    path("<int:pk>/link/", browse.evidence_link, name="evidence-link"),
    path("parts/<int:pk>/download/", browse.evidence_part_download, name="evidence-part-download"),
]
