"""Property-based run of the OpenAPI schema against the app itself, as the CISO through a token.

Every operation of /api/schema/ gets generated requests (valid and invalid); none may end in a server error,
and every response must match the schema. Schemathesis' pytest plugin needs a pytest internal that pytest 9
dropped, so the operations are driven with Hypothesis directly.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks

from accounts.tokens import api_token_create

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 20
# Left out on purpose: the schema does not list every 400/404 an endpoint can give (status_code_conformance), and
# a schema cannot say that a referenced id must exist (positive_data_acceptance). Every other check runs.
NOT_CHECKED = [checks.status_code_conformance, checks.positive_data_acceptance]


@pytest.fixture
def in_process_app():
    # The app runs inside the test's transaction; Django would otherwise close that connection after each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_api_never_answers_with_a_server_error(in_process_app, ciso, register):
    auth = {"Authorization": f"Bearer {api_token_create(user=ciso, name='schemathesis').secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", in_process_app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25, "the schema lost operations"
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(case):
            case.call_and_validate(headers=auth, excluded_checks=NOT_CHECKED)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - one run reports every failing operation
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
