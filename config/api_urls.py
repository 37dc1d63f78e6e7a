"""The REST API under /api/, its schema and docs, the personal tokens page, and the ticket webhooks under /webhooks/.

Each app's `api` module registers its own endpoints on the router; an app joins the API by being listed in
API_MODULES. tests/api/test_permission_matrix.py walks these URLs and fails for any endpoint it has not been
told who may use.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import urls as account_urls
from accounts.decorators import viewer_required
from accounts.permissions import RolePermission
from compliance import api as compliance_api
from compliance import webhooks
from evidence import api as evidence_api
from oscal import api as oscal_api
from scanners import api as scanners_api
from scanners import plan_api

API_MODULES = [compliance_api, evidence_api, scanners_api, plan_api, oscal_api]


class ApiRouter(DefaultRouter):
    include_format_suffixes = False  # one URL per resource: the format is negotiated, not suffixed


router = ApiRouter()
for module in API_MODULES:
    module.register(router)

urlpatterns = [
    path("api/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[RolePermission]), name="schema"),
    # The docs page is for people: anonymous visitors are sent to log in rather than shown a JSON 401.
    # Split: its script is served from ?script, as the Content-Security-Policy allows no inline script.
    path("api/docs/", viewer_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("account/", include(account_urls)),
    path("webhooks/github/", webhooks.github_webhook, name="webhook-github"),
    path("webhooks/jira/", webhooks.jira_webhook, name="webhook-jira"),
]
