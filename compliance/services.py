"""Workflows over the register. Each checks the actor's role through accounts.roles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import roles
from compliance.events import audit_event_record
from compliance.models import (
    AuditVerb,
    Control,
    ControlComment,
    Document,
    DocumentKind,
    DocumentLink,
    Exemption,
    ExemptionState,
    LinkOrigin,
    Ticket,
    TicketLink,
    exemption_expiry_limit,
)
from compliance.models.comments import BODY_MAX
from compliance.notifications import notify_on_commit
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
    """Change the organisation's record of one control; ValidationError (per field) when the record's rule refuses."""
    _require(roles.can_edit_control(actor, control), "You can only change controls you own.")
    unknown = set(changes) - CONTROL_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    control.clean_record(**changes)
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
    if refusals := _refusals(controls, fields):
        raise ValidationError(next(iter(refusals.values())))
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


def _refusals(controls: Sequence[Control], fields: set[str]) -> dict[int, dict[str, str]]:
    """Control.record_errors for each control whose in-memory values differ from the stored ones, in two
    queries and one role look-up per new owner: the bulk writers ask the same rule as one-by-one edits."""
    stored = Control.objects.in_bulk([control.pk for control in controls])
    owner_ids = {control.owner_id for control in controls} if "owner" in fields else set()
    owners = get_user_model().objects.select_related("membership").in_bulk(owner_ids - {None})
    refusals = {}
    for control in controls:
        before = stored[control.pk]
        changes = {
            name: getattr(control, name)
            for name in fields - {"owner"}
            if getattr(control, name) != getattr(before, name)
        }
        if "owner" in fields and control.owner_id != before.owner_id:
            changes["owner"] = owners.get(control.owner_id)
        if errors := before.record_errors(**changes):
            refusals[control.pk] = errors
    return refusals


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


# Exemptions. Each is written once, by exemption_propose; later only its decision is recorded, once. A change
# to an approved exemption is a replacement: a new proposal naming it in `replaces`, which ends the old one
# when the CISO approves it. Every step writes an AuditEvent in its transaction.


def exemption_proposal_check(*, controls, title: str, expires_at, replaces: Exemption | None = None, at=None) -> None:
    """Raise ValidationError unless this proposal may be filed. The form, the API, the admin and
    `exemption_propose` all ask here, so no path takes a longer expiry or a duplicate."""
    at = at or timezone.now()
    errors = {}
    if expires_at <= at:
        errors["expires_at"] = "An exemption must expire in the future."
    elif expires_at > exemption_expiry_limit(at):
        errors["expires_at"] = f"An exemption lasts at most {settings.EXEMPTION_MAX_DAYS} days; renew it when it ends."
    control_ids = {control.pk for control in controls}
    if not control_ids:
        errors["controls"] = "An exemption covers at least one control."
    if replaces is not None:
        if replaces.state_at(at) not in (ExemptionState.ACTIVE, ExemptionState.EXPIRED):
            errors["replaces"] = (
                f"This exemption is {replaces.state_at(at).label.lower()}; only approved ones are replaced."
            )
        elif replaces.replacements.in_state(ExemptionState.PROPOSED).exists():
            errors["replaces"] = "A replacement of this exemption is already proposed; the CISO decides it first."
    if errors:
        raise ValidationError(errors)
    duplicate = _duplicate_exemption(control_ids, title, replaces, at)
    if duplicate is not None:
        advice = (
            "the CISO decides it first"
            if duplicate.state_at(at) == ExemptionState.PROPOSED
            else "propose a replacement of it instead"
        )
        raise ValidationError(
            f"“{duplicate.title}” already covers these controls and is {duplicate.state_at(at).value}; {advice}.",
            code="duplicate",
        )


def _duplicate_exemption(control_ids: set[int], title: str, replaces: Exemption | None, at) -> Exemption | None:
    """A proposed or active exemption with the same title (ignoring case) over the same set of controls."""
    candidates = (
        Exemption.objects.in_state(ExemptionState.PROPOSED, ExemptionState.ACTIVE, at=at)
        .filter(title__iexact=title.strip())
        .exclude(pk=getattr(replaces, "pk", None))
    )
    covered: dict[int, set[int]] = {}
    for pk, control_id in candidates.values_list("pk", "controls__id"):
        covered.setdefault(pk, set()).add(control_id)
    same = [pk for pk, ids in covered.items() if ids == control_ids]
    return Exemption.objects.filter(pk__in=same).first() if same else None


@transaction.atomic
def exemption_propose(
    *,
    controls,
    title: str,
    reason: str,
    expires_at,
    actor,
    compensating_measures: str = "",
    replaces: Exemption | None = None,
) -> Exemption:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can propose exemptions.")
    # Two proposals over the same controls queue on these row locks, so the second sees the first as a duplicate.
    controls = list(
        Control.objects.select_for_update(of=("self",))
        .select_related("framework")
        .filter(pk__in={control.pk for control in controls})
        .order_by("pk")
    )
    replaces = _locked(replaces) if replaces is not None else None
    exemption_proposal_check(controls=controls, title=title, expires_at=expires_at, replaces=replaces)
    exemption = Exemption(
        title=title.strip(),
        reason=reason,
        compensating_measures=compensating_measures,
        expires_at=expires_at,
        requested_by=actor,
        replaces=replaces,
    )
    _save_as(exemption, actor)
    exemption.controls.set(controls)
    audit_event_record(
        verb=AuditVerb.EXEMPTION_PROPOSED,
        actor=actor,
        subject=exemption,
        controls=[control.tag for control in controls],
        expires_at=expires_at,
        replaces=getattr(replaces, "pk", None),
    )
    return exemption


def _decide(exemption: Exemption, actor, **decision) -> None:
    for name, value in decision.items():
        setattr(exemption, name, value)
    exemption._history_user = actor
    exemption.save(update_fields=list(decision))


def _locked(exemption: Exemption) -> Exemption:
    """Lock the row and read it again: a decision is taken on the stored state, not on a stale copy."""
    Exemption.objects.select_for_update().filter(pk=exemption.pk).exists()
    exemption.refresh_from_db()
    return exemption


@transaction.atomic(durable=True)
def exemption_approve(*, exemption: Exemption, actor) -> Exemption:
    _require(roles.can_manage(actor), "Only the CISO can approve exemptions.")
    exemption = _locked(exemption)
    _require(roles.can_approve_exemption(actor, exemption), "You proposed this exemption; someone else approves it.")
    now = timezone.now()
    state = exemption.state_at(now)
    if state != ExemptionState.PROPOSED:
        raise ValueError(f"This exemption is {state.value}; only proposed exemptions can be approved.")
    if exemption.expires_at <= now:
        raise ValueError("Its end date has passed while it waited; propose it again with a new date.")
    _decide(exemption, actor, approved_by=actor, approved_at=now)
    audit_event_record(
        verb=AuditVerb.EXEMPTION_APPROVED, actor=actor, subject=exemption, expires_at=exemption.expires_at
    )
    replaced = exemption.replaces
    if replaced is not None and _locked(replaced).state_at(now) in (ExemptionState.ACTIVE, ExemptionState.EXPIRED):
        _decide(replaced, actor, replaced_at=now)
        audit_event_record(verb=AuditVerb.EXEMPTION_REPLACED, actor=actor, subject=replaced, by=exemption.pk)
    return exemption


@transaction.atomic(durable=True)
def exemption_revoke(*, exemption: Exemption, actor, reason: str = "") -> Exemption:
    """A proposal revoked is refused; an approved exemption revoked ends now. Revoking twice changes nothing.
    The reason, when given (the inbox and the control page ask for one), is kept in the audit event."""
    _require(roles.can_manage(actor), "Only the CISO can revoke exemptions.")
    exemption = _locked(exemption)
    state = exemption.state_at()
    if state in (ExemptionState.REVOKED, ExemptionState.REPLACED):
        return exemption
    _decide(exemption, actor, revoked_by=actor, revoked_at=timezone.now())
    details = {"was": state.value} | ({"reason": reason.strip()} if reason.strip() else {})
    audit_event_record(verb=AuditVerb.EXEMPTION_REVOKED, actor=actor, subject=exemption, **details)
    notify_on_commit()  # the proposer hears a refusal, with its reason
    return exemption


@dataclass(frozen=True)
class BulkResult:
    updated: int  # controls that changed (one history record each)
    unchanged: int  # already had these values
    refused: int  # the actor may not edit them, or the record's rule refuses the change (reasons below)
    reasons: tuple[str, ...] = ()  # the rule's messages for the controls it refused, each once


BULK_FIELDS = {"owner", "status"}


def _holds(control: Control, name: str, value) -> bool:
    if name == "owner":  # by id: the owners are not loaded
        return control.owner_id == (value.pk if value else None)
    return getattr(control, name) == value


@transaction.atomic
def control_bulk_update(*, control_ids: Iterable[int], actor, **changes) -> BulkResult:
    """Set owner and/or status on many controls in one UPDATE, with one history record per changed control.

    Each control is judged by the same rule as a one-by-one edit (Control.record_errors): those it refuses
    are left alone and counted, so excluded controls keep "not applicable" when the others are set implemented.
    """
    _require(roles.can_manage(actor), "Only the CISO can change many controls at once.")
    unknown = set(changes) - BULK_FIELDS
    if unknown or not changes:
        raise ValueError(f"Bulk changes are limited to {', '.join(sorted(BULK_FIELDS))}.")
    requested = set(control_ids)
    editable = list(Control.objects.editable_by(actor).filter(pk__in=requested).select_for_update().order_by("pk"))
    changed, unchanged, reasons = [], 0, {}
    for control in editable:
        if all(_holds(control, name, value) for name, value in changes.items()):
            unchanged += 1
            continue
        if errors := control.record_errors(**changes):
            reasons[control.pk] = errors
            continue
        for name, value in changes.items():
            setattr(control, name, value)
        changed.append(control)
    controls_bulk_update(controls=changed, fields=changes, actor=actor)
    messages = tuple(dict.fromkeys(message for errors in reasons.values() for message in errors.values()))
    refused = len(requested) - len(editable) + len(reasons)
    return BulkResult(updated=len(changed), unchanged=unchanged, refused=refused, reasons=messages)


DOCUMENT_EDITABLE_FIELDS = {"title", "kind", "url", "version", "owner", "approved_at", "next_review"}


@transaction.atomic
def document_create(*, actor, title: str, kind: str = DocumentKind.POLICY, url: str = "", **fields) -> Document:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can add documents.")
    unknown = set(fields) - DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    document = Document(title=title, kind=kind, url=url)
    document.clean_record(**fields)
    for name, value in fields.items():
        setattr(document, name, value)
    _save_as(document, actor)
    return document


@transaction.atomic
def document_update(*, document: Document, actor, **changes) -> Document:
    _require(roles.can_contribute(actor), "Only CISOs and engineers can change documents.")
    unknown = set(changes) - DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    document.clean_record(**changes)
    for name, value in changes.items():
        setattr(document, name, value)
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


# Comments: a question on a control and its answers. Appended, never edited; everyone with access may comment.


@transaction.atomic
def control_comment_add(*, control: Control, actor, body: str, parent: ControlComment | None = None) -> ControlComment:
    """Add a comment (a reply when `parent` is given); the people it @mentions, the control's owner and the
    thread's author are told once it commits. ValidationError (per field) for an empty or misplaced comment."""
    _require(roles.can_comment(actor), "Your access to ControlTrace has no role or has expired.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the comment."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"A comment holds at most {BODY_MAX} characters."})
    if parent is not None and parent.control_id != control.pk:
        raise ValidationError({"parent": "A reply belongs to a thread on the same control."})
    thread = parent.parent if parent is not None and parent.parent_id else parent  # threads are one level deep
    comment = ControlComment.objects.create(control=control, author=actor, body=body, parent=thread)
    audit_event_record(
        verb=AuditVerb.COMMENT_ADDED,
        actor=actor,
        subject=comment,
        control=control.tag,
        thread=comment.thread_id,
        mentions=comment.mentioned_usernames(),
    )
    notify_on_commit()
    return comment
