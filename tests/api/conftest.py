"""Fixtures for the API: clients that send a person's personal token, and a small register to read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tokens import api_token_create
from compliance import services
from compliance.models import Control, Document, Ticket
from evidence.services import evidence_add
from tests.conftest import make_member


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='tests').secret}")
    return client


@pytest.fixture
def expired_auditor(django_user_model):
    return make_member(django_user_model, "former-auditor", Role.AUDITOR, expires_at=timezone.now() - timedelta(days=1))


@pytest.fixture
def as_ciso(ciso) -> APIClient:
    return token_client(ciso)


@pytest.fixture
def as_engineer(engineer) -> APIClient:
    return token_client(engineer)


@pytest.fixture
def as_auditor(auditor) -> APIClient:
    return token_client(auditor)


def control(ref: str, framework: str = "iso27001-2022") -> Control:
    return Control.objects.select_related("framework").get(framework__slug=framework, ref=ref)


@pytest.fixture
def register(catalogs, ciso, engineer):
    """A document, a ticket, evidence and an exemption, linked to A.8.20 — enough for every endpoint to answer."""
    network = control("A.8.20")
    policy = Document.objects.create(title="Network security policy", kind="policy", url="https://wiki.example/net")
    ticket = Ticket.objects.create(system="github", key="acme/infra#7", title="Close SSH to the world", state="open")
    services.document_link(document=policy, control=network, actor=engineer)
    services.ticket_link(ticket=ticket, control=network, actor=engineer)
    item = evidence_add(
        controls=[network],
        title="Security group export",
        actor=engineer,
        upload=SimpleUploadedFile("sg.json", b'{"groups": []}', content_type="application/json"),
    )
    exemption = services.exemption_propose(
        controls=[network],
        title="Legacy VPN",
        reason="Vendor appliance cannot be segmented until Q3.",
        expires_at=timezone.now() + timedelta(days=60),
        actor=engineer,
    )
    return {
        "control": network,
        "document": policy,
        "ticket": ticket,
        "document_link": policy.links.get(),
        "ticket_link": ticket.links.get(),
        "evidence": item,
        "exemption": exemption,
    }
