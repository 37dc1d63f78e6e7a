from django.urls import path

from scanners import views

urlpatterns = [
    path("scans/", views.scan_list, name="scan-list"),
    path("scans/findings/", views.finding_list, name="finding-list"),
    path("scans/resources/", views.resource_list, name="resource-list"),
    path("scans/resources/<int:pk>/", views.resource_detail, name="resource-detail"),
    path("scans/<int:pk>/", views.scan_detail, name="scan-detail"),
    path("scans/<int:pk>/progress/", views.scan_progress, name="scan-progress"),
    path("scans/accounts/<int:account_id>/scan/", views.scan_now, name="scan-now"),
    path("scans/accounts/<int:account_id>/settings/", views.check_settings, name="check-settings"),
    path(
        "scans/accounts/<int:account_id>/settings/change/",
        views.check_setting_change_view,
        name="check-setting-change",
    ),
    path("scans/accounts/<int:account_id>/settings/reset/", views.check_setting_reset_view, name="check-setting-reset"),
]
