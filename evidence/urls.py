from django.urls import path

from evidence import request_views, views

urlpatterns = [
    path("controls/<slug:framework>/<str:ref>/evidence/add/", views.control_evidence_add, name="control-evidence-add"),
]

urlpatterns += [
    path(
        "controls/<slug:framework>/<str:ref>/evidence-requests/open/",
        request_views.control_evidence_request_open,
        name="control-evidence-request-open",
    ),
    path("evidence-requests/<int:pk>/", request_views.evidence_request_answer_page, name="evidence-request-answer"),
    path(
        "evidence-requests/<int:pk>/withdraw/",
        request_views.evidence_request_withdraw_view,
        name="evidence-request-withdraw",
    ),
]
