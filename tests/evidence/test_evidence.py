import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import ControlState
from evidence.models import Evidence, EvidenceIsImmutable
from evidence.services import evidence_add

pytestmark = pytest.mark.django_db


def test_an_uploaded_file_is_hashed_and_counted_on_its_control(control, engineer):
    content = b"firewall export 2026-11-25"
    item = evidence_add(
        controls=[control],
        title="SG export",
        actor=engineer,
        upload=SimpleUploadedFile("sg.txt", content, content_type="text/plain"),
    )
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.size == len(content) and item.kind == "file"
    assert list(control.evidence.all()) == [item]
    assert ControlState.objects.get(control=control).evidence_count == 1


def test_evidence_cannot_be_edited_or_deleted(control, engineer):
    item = evidence_add(controls=[control], title="Runbook link", actor=engineer, url="https://wiki/runbook")
    item.title = "changed"
    with pytest.raises(EvidenceIsImmutable):
        item.save()
    with pytest.raises(EvidenceIsImmutable):
        item.delete()
    with pytest.raises(EvidenceIsImmutable):
        Evidence.objects.filter(pk=item.pk).update(title="changed")
    assert Evidence.objects.get(pk=item.pk).title == "Runbook link"


def test_a_correction_supersedes_and_the_old_item_stays(control, engineer):
    old = evidence_add(controls=[control], title="Old export", actor=engineer, url="https://wiki/v1")
    new = evidence_add(controls=[control], title="New export", actor=engineer, url="https://wiki/v2", supersedes=old)
    assert old.superseded_by == new
    assert list(control.evidence.current()) == [new]
    assert control.evidence.count() == 2
    assert ControlState.objects.get(control=control).evidence_count == 1
