"""The API describes itself: an OpenAPI schema with the token scheme, and Swagger UI served from our own assets."""

import os

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_schema_documents_token_authentication(as_auditor):
    schema = as_auditor.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    assert "/api/evidence/" in schema["paths"] and "/webhooks/github/" not in schema["paths"]
    assert set(schema["paths"]["/api/evidence/{id}/"]) == {"get"}  # no put, patch or delete on evidence


def test_swagger_ui_loads_its_assets_from_this_server(client, auditor):
    client.force_login(auditor)
    page = client.get(reverse("swagger-ui"))
    assert page.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.text
    assert "unpkg.com" not in page.text and "jsdelivr" not in page.text


def test_swagger_ui_sends_visitors_to_log_in(client):
    response = client.get(reverse("swagger-ui"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_navigation_links_to_the_api_docs_and_tokens(client, engineer, catalogs):
    client.force_login(engineer)
    page = client.get(reverse("control-list")).text
    assert f'href="{reverse("swagger-ui")}"' in page and f'href="{reverse("api-tokens")}"' in page


def test_the_openapi_schema_generates_without_warnings(db):
    """A warning here means a client generator would get an ambiguous or misnamed type."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
