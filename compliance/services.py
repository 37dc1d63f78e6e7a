"""Workflows over the register. Each checks the actor's role through accounts.roles."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts import roles
from compliance.models import Control, Document, DocumentLink, Exemption, LinkOrigin, Ticket, TicketLink


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


@transaction.atomic
def control_update(*, control: Control, actor, **changes) -> Control:
    _require(roles.can_edit_control(actor, control), "You can only change controls you own.")
    allowed = {"applicable", "justification", "status", "owner", "notes", "next_review"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(control, name, value)
    control._history_user = actor
    control.save(update_fields=[*changes, "updated_at"])
    return control


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
