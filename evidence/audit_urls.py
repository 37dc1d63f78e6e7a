"""Auditor views, mounted under /audit/."""

from django.urls import path

from evidence import audit

urlpatterns = [
    path("", audit.audit_home, name="audit-home"),
    path("soa/", audit.soa, name="audit-soa"),
    path("soa.csv", audit.soa_csv, name="audit-soa-csv"),
    path("soa.xlsx", audit.soa_xlsx, name="audit-soa-xlsx"),
    path("controls/<slug:framework>/<str:ref>/evidence/", audit.evidence_timeline, name="audit-evidence-timeline"),
    path("controls/<slug:framework>/<str:ref>/changes/", audit.control_changes, name="audit-control-changes"),
    path("events/", audit.audit_events, name="audit-events"),
    path("packages/", audit.package_request, name="audit-package-request"),
    path("packages/<int:pk>/", audit.package_status, name="audit-package"),
    path("packages/<int:pk>/download/", audit.package_download, name="audit-package-download"),
    path("ledger/", audit.ledger, name="audit-ledger"),
]
