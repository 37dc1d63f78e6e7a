from django.urls import path

from compliance import dashboard
from compliance.views import comments, control_links, controls, documents, inbox, register, register_import, tickets

CONTROL = "controls/<slug:framework>/<str:ref>/"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("controls/", register.control_list, name="control-list"),
    path("controls/bulk/", register.control_bulk, name="control-bulk"),
    path("controls/import/", register_import.register_import, name="register-import"),
    path(CONTROL, controls.control_detail, name="control-detail"),
    path(CONTROL + "edit/", controls.control_edit, name="control-edit"),
    path(CONTROL + "part/<slug:section>/", controls.control_section, name="control-section"),
    path(CONTROL + "documents/link/", control_links.control_document_link, name="control-document-link"),
    path(CONTROL + "documents/options/", controls.control_document_options, name="control-document-options"),
    path(CONTROL + "documents/<int:pk>/unlink/", control_links.control_document_unlink, name="control-document-unlink"),
    path(CONTROL + "tickets/link/", control_links.control_ticket_link, name="control-ticket-link"),
    path(CONTROL + "tickets/<int:pk>/unlink/", control_links.control_ticket_unlink, name="control-ticket-unlink"),
    path(CONTROL + "exemptions/propose/", control_links.control_exemption_propose, name="control-exemption-propose"),
    path(
        CONTROL + "exemptions/<int:pk>/approve/",
        control_links.control_exemption_approve,
        name="control-exemption-approve",
    ),
    path(
        CONTROL + "exemptions/<int:pk>/revoke/", control_links.control_exemption_revoke, name="control-exemption-revoke"
    ),
    path("documents/", documents.document_list, name="document-list"),
    path("documents/new/", documents.document_create, name="document-create"),
    path("documents/<int:pk>/", documents.document_detail, name="document-detail"),
    path("documents/<int:pk>/file/", documents.document_file, name="document-file"),
    path("documents/<int:pk>/controls/link/", documents.document_control_link, name="document-control-link"),
    path(
        "documents/<int:pk>/controls/<int:control_pk>/unlink/",
        documents.document_control_unlink,
        name="document-control-unlink",
    ),
    path("tickets/", tickets.ticket_list, name="ticket-list"),
    path("tickets/new/", tickets.ticket_create, name="ticket-create"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/controls/link/", tickets.ticket_control_link, name="ticket-control-link"),
    path(
        "tickets/<int:pk>/controls/<int:control_pk>/unlink/",
        tickets.ticket_control_unlink,
        name="ticket-control-unlink",
    ),
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("inbox/exemptions/<int:pk>/decide/", inbox.inbox_exemption_decide, name="inbox-exemption-decide"),
    path("start/", inbox.landing, name="landing"),
    path(CONTROL + "comments/", comments.control_comment_add, name="control-comment-add"),
]
