from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("audit/", include("evidence.audit_urls")),
    path("audit/oscal/", include("oscal.urls")),
    path("evidence/", include("evidence.browse_urls")),
    path("", include("config.api_urls")),
    path("", include("compliance.urls")),
    path("", include("evidence.urls")),
    path("", include("scanners.urls")),
    path("", include("accounts.people_urls")),
]

handler403 = "config.views.permission_denied"
