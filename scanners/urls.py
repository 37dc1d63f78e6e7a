from django.urls import path

from scanners import views

urlpatterns = [
    path("scans/", views.scan_list, name="scan-list"),
    path("scans/findings/", views.finding_list, name="finding-list"),
    path("scans/<int:pk>/", views.scan_detail, name="scan-detail"),
    path("scans/<int:pk>/progress/", views.scan_progress, name="scan-progress"),
    path("scans/accounts/<int:account_id>/scan/", views.scan_now, name="scan-now"),
]
