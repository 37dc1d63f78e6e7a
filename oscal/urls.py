"""The OSCAL documents, mounted under /audit/oscal/ beside the other audit exports. The paths are the file
names, so the relative hrefs between the documents (SSP -> profile -> catalog) resolve here too."""

from django.urls import path

from oscal import views

urlpatterns = [
    path("ssp.json", views.oscal_download, {"model": "ssp"}, name="oscal-ssp"),
    path("assessment-results.json", views.oscal_download, {"model": "assessment-results"}, name="oscal-ar"),
    path("profile.json", views.oscal_download, {"model": "profile"}, name="oscal-baseline"),
    path("catalog-<slug:framework>.json", views.oscal_download, {"model": "catalog"}, name="oscal-catalog"),
    path("profile-<slug:framework>.json", views.oscal_download, {"model": "profile"}, name="oscal-profile"),
    path("ssp-<slug:framework>.json", views.oscal_download, {"model": "ssp"}, name="oscal-ssp-framework"),
    path(
        "assessment-results-<slug:framework>.json",
        views.oscal_download,
        {"model": "assessment-results"},
        name="oscal-ar-framework",
    ),
]
