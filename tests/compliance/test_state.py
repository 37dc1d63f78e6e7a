"""The one-word state shown for a control everywhere, and computing it for many controls at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import Control, ControlState
from compliance.state import control_states, derive
from tests.conftest import make_exemption

NOW = timezone.now()


def control(status="implemented", applicable=True) -> Control:
    return Control(pk=1, status=status, applicable=applicable)


def state(automated="none", evidence_count=0, fresh_until=None) -> ControlState:
    return ControlState(automated_status=automated, evidence_count=evidence_count, evidence_fresh_until=fresh_until)


FRESH = {"evidence_count": 1, "fresh_until": NOW + timedelta(days=10)}
STALE = {"evidence_count": 1, "fresh_until": NOW - timedelta(days=1)}


@pytest.mark.parametrize(
    ("record", "summary_state", "exempted", "summary"),
    [
        (control(applicable=False, status="not_applicable"), state("failing"), False, "excluded"),
        (control(), state("failing", **FRESH), False, "failing"),
        (control(), state("failing", **FRESH), True, "exempted"),
        (control(), state("error"), False, "unverified"),
        (control(status="in_progress"), state("passing"), False, "incomplete"),
        (control(status="in_progress"), state("passing"), True, "exempted"),
        (control(), state("passing"), False, "effective"),
        (control(), state(**FRESH), False, "effective"),
        (control(), state(evidence_count=2), False, "effective"),  # current evidence without an end date
        (control(), state(**STALE), False, "stale"),
        (control(), state(**STALE), True, "exempted"),
        (control(), None, False, "unevidenced"),
        (control(), state(), False, "unevidenced"),
    ],
)
def test_the_summary_combines_status_checks_evidence_and_exemptions(record, summary_state, exempted, summary):
    derived = derive(record, summary_state, exempted, NOW)
    assert derived.summary == summary and derived.badge == summary and derived.reason


def test_evidence_freshness_is_fresh_stale_or_missing():
    assert derive(control(), state(**FRESH), False, NOW).evidence == "fresh"
    assert derive(control(), state(**STALE), False, NOW).evidence == "stale"
    assert derive(control(), None, False, NOW).evidence == "missing"


@pytest.mark.django_db
def test_many_controls_cost_two_queries_and_only_active_exemptions_count(catalogs, django_assert_num_queries):
    controls = list(Control.objects.filter(framework__slug="iso27001-2022"))
    ControlState.objects.filter(control__in=controls).update(automated_status="failing")
    make_exemption([controls[0]], title="a", expires_at=NOW + timedelta(days=5), approved_at=NOW)
    make_exemption([controls[1]], title="p", expires_at=NOW + timedelta(days=5))
    make_exemption([controls[2]], title="e", expires_at=NOW - timedelta(days=1), approved_at=NOW)
    with django_assert_num_queries(2):
        states = control_states(controls)
    assert len(states) == 93
    assert [states[c.pk].summary for c in controls[:4]] == ["exempted", "failing", "failing", "failing"]


def test_an_item_without_an_end_date_keeps_the_control_fresh_beside_an_expired_one(control, engineer, clock):
    """A legacy item without valid-until never expires (EvidenceQuerySet.stale agrees); MAX skips it in SQL."""
    from django.db import connection

    from evidence.models import Evidence
    from evidence.services import evidence_add, evidence_summary_refresh

    clock(timezone.now() - timedelta(days=800))
    evidence_add(controls=[control], title="An old export", actor=engineer, url="https://wiki/old")
    clock(None)
    kept = evidence_add(controls=[control], title="Standing procedure", actor=engineer, url="https://wiki/standing")
    with connection.cursor() as cursor:  # as rows recorded before a validity was always set (evidence is immutable)
        cursor.execute(f"UPDATE {Evidence._meta.db_table} SET valid_until = NULL WHERE id = %s", [kept.pk])
    assert Evidence.objects.stale().count() == 1 and not Evidence.objects.stale().filter(pk=kept.pk).exists()

    evidence_summary_refresh(control_ids=[control.pk])
    assert control_states([control])[control.pk].evidence == "fresh"

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Evidence._meta.db_table} SET valid_until = %s WHERE id = %s", [NOW, kept.pk])
    evidence_summary_refresh(control_ids=[control.pk])
    assert control_states([control])[control.pk].evidence == "stale"
