"""The demo's requests and questions: one open evidence request to the engineer, and one question thread,
so that a first look at the inbox shows work waiting. Idempotent: a database that has them is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance import services
from compliance.models import Control, ControlComment
from evidence.models import EvidenceRequest
from evidence.requests import evidence_request_open

DEMO_CONTROL = ("iso27001-2022", "A.8.20")  # Networks security: the demo account's findings speak to it


def demo_requests_seed() -> dict[str, int]:
    """Needs the demo people (accounts.demo) and the catalogs; returns what it created."""
    people = (
        get_user_model()
        .objects.select_related("membership")
        .in_bulk(["ciso", "engineer", "auditor"], field_name="username")
    )
    control = (
        Control.objects.select_related("framework").filter(framework__slug=DEMO_CONTROL[0], ref=DEMO_CONTROL[1]).first()
    )
    if control is None or len(people) < 3:
        return {}
    ciso, engineer, auditor = people["ciso"], people["engineer"], people["auditor"]
    created = {"requests": 0, "comments": 0}
    if control.owner_id is None:
        services.control_update(control=control, actor=ciso, owner=engineer)
    if not EvidenceRequest.objects.filter(control=control).exists():
        evidence_request_open(
            control=control,
            actor=auditor,
            what="The firewall rule review for the last quarter, with who approved each change.",
            due=timezone.localdate() + timedelta(days=10),
        )
        created["requests"] += 1
    if not ControlComment.objects.filter(control=control).exists():
        question = services.control_comment_add(
            control=control,
            actor=auditor,
            body="The security group sg-web allows 0.0.0.0/0 on port 22 in the last scan. "
            "Is that intended? @engineer, who approved it?",
        )
        services.control_comment_add(
            control=control,
            actor=engineer,
            parent=question,
            body="Not intended: a leftover from the migration. SEC-41 closes it this week.",
        )
        created["comments"] += 2
    return created
