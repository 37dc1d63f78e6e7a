"""A pipeline reads the same OSCAL documents over the API, with a token, as the audit page offers for download."""

from __future__ import annotations

import pytest

from tests.api.conftest import token_client
from tests.oscal.schemas import schema_errors

pytestmark = pytest.mark.django_db


def test_an_auditors_token_reads_each_oscal_document_and_each_is_valid(auditor, catalogs):
    api = token_client(auditor)
    for model, query in [
        ("ssp", {}),
        ("assessment-results", {"framework": "iso27001-2022"}),
        ("profile", {}),
        ("catalog", {"framework": "soc2-2017"}),
    ]:
        response = api.get(f"/api/oscal/{model}/", query)
        assert response.status_code == 200, (model, response.content[:300])
        assert response["Content-Type"] == "application/json"
        assert schema_errors(response.json()) == [], model


def test_a_catalog_needs_a_framework_and_an_unknown_one_is_not_found(auditor, catalogs):
    api = token_client(auditor)
    assert "name the framework" in api.get("/api/oscal/catalog/").json()["framework"][0]
    assert api.get("/api/oscal/catalog/", {"framework": "nist-800-53"}).status_code == 404
    assert api.get("/api/oscal/poam/").status_code == 404
    assert api.post("/api/oscal/ssp/").status_code == 403  # read-only, and an auditor writes nothing
