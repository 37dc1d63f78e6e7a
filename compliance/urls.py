from django.urls import path

from compliance import dashboard, views

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("controls/", views.control_list, name="control-list"),
    path("controls/<slug:framework>/<str:ref>/", views.control_detail, name="control-detail"),
    path("documents/", views.document_list, name="document-list"),
    path("documents/<int:pk>/", views.document_detail, name="document-detail"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
]
