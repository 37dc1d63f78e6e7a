from django.urls import path

from evidence import views

urlpatterns = [
    path("controls/<slug:framework>/<str:ref>/evidence/add/", views.control_evidence_add, name="control-evidence-add"),
]
