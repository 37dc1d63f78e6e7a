"""Workflows over the register. Each checks the actor's role through accounts.roles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import roles
from compliance.models import (
    Control,
    ControlStatus,
    Document,
    DocumentLink,
    Exemption,
    LinkOrigin,
    Ticket,
    TicketLink,
)
from compliance.ticket_refs import TicketReference
from ledger.chain import ledger_batch


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _save_as(instance, actor) -> None:
    """Save so that the history records who did it, also outside a request (API, tasks, commands)."""
    instance._history_user = actor
    instance.save()


def _link(model, *, actor, origin: str, **keys):
    link = model.objects.filter(**keys).first()
    if link is None:
        link = model(**keys, linked_by=actor, origin=origin)
        _save_as(link, actor)
    return link


def _unlink(model, *, actor, **keys) -> None:
    for link in model.objects.filter(**keys):
        link._history_user = actor
        link.delete()  # one by one so the history keeps who removed what


@transaction.atomic
def document_link(*, document: Document, control: Control, actor, origin: str = LinkOrigin.MANUAL) -> DocumentLink:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can link documents.")
    return _link(DocumentLink, document=document, control=control, actor=actor, origin=origin)


@transaction.atomic
def document_unlink(*, document: Document, control: Control, actor) -> None:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can unlink documents.")
    _unlink(DocumentLink, document=document, control=control, actor=actor)


@transaction.atomic
def ticket_link(*, ticket: Ticket, control: Control, actor, origin: str = LinkOrigin.MANUAL) -> TicketLink:
    if origin != LinkOrigin.WEBHOOK:
        _require(roles.can_contribute(actor), "Only CISOs and engineers can link tickets.")
    return _link(TicketLink, ticket=ticket, control=control, actor=actor, origin=origin)


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, control: Control, actor) -> None:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can unlink tickets.")
    _unlink(TicketLink, ticket=ticket, control=control, actor=actor)


CONTROL_EDITABLE_FIELDS = {"applicable", "justification", "status", "owner", "notes", "next_review"}
BULK_BATCH_SIZE = 1000


@transaction.atomic
def control_update(*, control: Control, actor, **changes) -> Control:
    _require(roles.can_edit_control(actor, control), "You can only change controls you own.")
    unknown = set(changes) - CONTROL_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(control, name, value)
    control._history_user = actor
    control.save(update_fields=[*changes, "updated_at"])
    return control


# Bulk changes (the register import): one statement per batch, and still one history row per record
# naming the actor, so an import of thousands of links is as traceable as linking them one by one.


@transaction.atomic
@ledger_batch()  # bulk writes send no signals
def controls_bulk_update(*, controls: Sequence[Control], fields: Iterable[str], actor, reason: str = "") -> None:
    _require(roles.can_manage(actor), "Only the CISO can change controls in bulk.")
    fields = set(fields)
    unknown = fields - CONTROL_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    if not controls or not fields:
        return
    now = timezone.now()
    for control in controls:
        control.updated_at = now
    bulk_update_with_history(
        controls,
        Control,
        [*sorted(fields), "updated_at"],
        batch_size=BULK_BATCH_SIZE,
        default_user=actor,
        default_change_reason=reason,
    )


@transaction.atomic
@ledger_batch()  # bulk writes send no signals
def records_bulk_create(*, records: Sequence[models.Model], actor, reason: str = "") -> None:
    """Documents, tickets and links, grouped by model; the records get their primary keys."""
    _require(roles.can_manage(actor), "Only the CISO can add records in bulk.")
    for model in dict.fromkeys(type(record) for record in records):
        batch = [record for record in records if type(record) is model]
        bulk_create_with_history(
            batch, model, batch_size=BULK_BATCH_SIZE, default_user=actor, default_change_reason=reason
        )


@transaction.atomic
@ledger_batch()  # bulk writes send no signals
def links_bulk_delete(*, links: Sequence[DocumentLink | TicketLink], actor, reason: str = "") -> None:
    _require(roles.can_manage(actor), "Only the CISO can remove links in bulk.")
    now = timezone.now()
    for model in dict.fromkeys(type(link) for link in links):
        batch = [link for link in links if type(link) is model]
        history = model.history.model
        history.objects.bulk_create(
            [
                history(
                    history_type="-",
                    history_date=now,
                    history_user=actor,
                    history_change_reason=reason,
                    **{field.attname: getattr(link, field.attname) for field in history.tracked_fields},
                )
                for link in batch
            ],
            batch_size=BULK_BATCH_SIZE,
        )
        # A raw delete: the history rows are written above, and the per-object delete signal would
        # write them again one by one without the actor. Links have no dependent rows to cascade to.
        for start in range(0, len(batch), BULK_BATCH_SIZE):
            pks = [link.pk for link in batch[start : start + BULK_BATCH_SIZE]]
            model.objects.filter(pk__in=pks)._raw_delete(model.objects.db)


@transaction.atomic
def exemption_propose(
    *, controls, title: str, reason: str, expires_at, actor, compensating_measures: str = ""
) -> Exemption:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can propose exemptions.")
    if expires_at <= timezone.now():
        raise ValueError("An exemption must expire in the future.")
    exemption = Exemption(
        title=title,
        reason=reason,
        compensating_measures=compensating_measures,
        expires_at=expires_at,
        requested_by=actor,
    )
    _save_as(exemption, actor)
    exemption.controls.set(controls)
    return exemption


@transaction.atomic
def exemption_approve(*, exemption: Exemption, actor) -> Exemption:
    _require(roles.can_manage(actor), "Only the CISO can approve exemptions.")
    if exemption.state != "proposed":
        raise ValueError(f"This exemption is {exemption.state}; only proposed exemptions can be approved.")
    exemption.approved_by, exemption.approved_at = actor, timezone.now()
    exemption._history_user = actor
    exemption.save(update_fields=["approved_by", "approved_at"])
    return exemption


@transaction.atomic
def exemption_revoke(*, exemption: Exemption, actor) -> Exemption:
    _require(roles.can_manage(actor), "Only the CISO can revoke exemptions.")
    if exemption.state == "revoked":
        return exemption
    exemption.revoked_by, exemption.revoked_at = actor, timezone.now()
    exemption._history_user = actor
    exemption.save(update_fields=["revoked_by", "revoked_at"])
    return exemption


@dataclass(frozen=True)
class BulkResult:
    updated: int  # controls that changed (one history record each)
    unchanged: int  # already had these values
    refused: int  # the actor may not edit them, or the change does not apply (excluded from the SoA)


BULK_FIELDS = {"owner", "status"}


@transaction.atomic
def control_bulk_update(*, control_ids: Iterable[int], actor, **changes) -> BulkResult:
    """Set owner and/or status on many controls in one UPDATE, with one history record per changed control."""
    _require(roles.can_manage(actor), "Only the CISO can change many controls at once.")
    unknown = set(changes) - BULK_FIELDS
    if unknown or not changes:
        raise ValueError(f"Bulk changes are limited to {', '.join(sorted(BULK_FIELDS))}.")
    if changes.get("status") == ControlStatus.NOT_APPLICABLE:
        raise ValueError("Excluding a control from the SoA needs a justification per control; do it on its page.")
    requested = set(control_ids)
    editable = list(Control.objects.editable_by(actor).filter(pk__in=requested).select_for_update().order_by("pk"))
    changed, unchanged, inapplicable = [], 0, 0
    for control in editable:
        if "status" in changes and not control.applicable:
            inapplicable += 1
            continue
        if all(getattr(control, name) == value for name, value in changes.items()):
            unchanged += 1
            continue
        for name, value in changes.items():
            setattr(control, name, value)
        changed.append(control)
    controls_bulk_update(controls=changed, fields=changes, actor=actor)
    refused = len(requested) - len(editable) + inapplicable
    return BulkResult(updated=len(changed), unchanged=unchanged, refused=refused)


@transaction.atomic
def document_create(*, actor, title: str, kind: str, url: str = "", **fields) -> Document:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can add documents.")
    document = Document(title=title, kind=kind, url=url, **fields)
    _save_as(document, actor)
    return document


@transaction.atomic
def ticket_get_or_create(*, reference: TicketReference, actor, title: str = "", state: str = "") -> Ticket:
    """The ticket a pasted reference names: the existing one, or a new one (its title filled in if we have one)."""
    _require(roles.can_contribute(actor), "Only CISOs and engineers can add tickets.")
    ticket = Ticket.objects.filter(system=reference.system, key=reference.key).first()
    if ticket is None:
        ticket = Ticket(system=reference.system, key=reference.key, url=reference.url, title=title, state=state)
        _save_as(ticket, actor)
    elif (title and not ticket.title) or (reference.url and not ticket.url):
        ticket.title, ticket.url = ticket.title or title, ticket.url or reference.url
        _save_as(ticket, actor)
    return ticket
