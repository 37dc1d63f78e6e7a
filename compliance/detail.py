"""What the control page shows, section by section.

Each function returns the context of one section (a partial of `compliance/control_detail.html`), so the
full page and the htmx fragment that redraws one section after a change are built by the same code.
Every section runs a fixed number of queries, whatever the number of links, evidence or history rows.
The evidence app builds its section from here too (evidence depends on compliance, never the reverse).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from accounts import roles
from compliance import forms, history
from compliance.models import Control, ControlComment, ControlMapping, DocumentLink, MappingRelation, TicketLink
from compliance.state import VERDICT_RELATIONS, DerivedState, control_states

THREADS_SHOWN = 50
# The newest current and superseded items; the evidence browser pages through all of them. Rendering
# these rows was most of the page's time (docs/benchmarks.md, "Pages at scale").
EVIDENCE_SHOWN = 20
# Only what the sections show: these lists are the page's longest, and full rows (a person's password hash,
# an evidence item's description) cost time to load for nothing.
EVIDENCE_FIELDS = (
    "id",
    "kind",
    "title",
    "file",
    "url",
    "sha256",
    "collected_at",
    "valid_until",
    "produced_by",
    "collected_by__username",
    "collected_by__first_name",
    "collected_by__last_name",
)
PEOPLE_FIELDS = ("linked_by__username", "linked_by__first_name", "linked_by__last_name")
LINK_FIELDS = ("control_id", "origin", "linked_at", *PEOPLE_FIELDS)
DOCUMENT_LINK_FIELDS = (*LINK_FIELDS, "document__title", "document__kind", "document__url")
TICKET_LINK_FIELDS = (*LINK_FIELDS, "ticket__system", "ticket__key", "ticket__url", "ticket__title", "ticket__state")
# Sections that apps above compliance add to the control page (compliance never imports them): each
# builder takes the control and returns its section's context. `scanners` adds which sources evidence it.
ADDED_SECTIONS: dict[str, Callable[[Control], dict]] = {}


def section_add(name: str, build: Callable[[Control], dict]) -> None:
    ADDED_SECTIONS[name] = build


# How a mapping reads from the other end: A subset of B means B is a superset of A.
INVERSE = {MappingRelation.SUBSET: MappingRelation.SUPERSET, MappingRelation.SUPERSET: MappingRelation.SUBSET}
RELATION_PHRASE = {
    MappingRelation.EQUAL: "equal to",
    MappingRelation.SUBSET: "part of",
    MappingRelation.SUPERSET: "covers",
    MappingRelation.INTERSECT: "overlaps with",
}


@dataclass
class Mapped:
    control: Control
    relation: str
    phrase: str
    origin: str
    state: DerivedState | None
    counts: bool  # an `equal` mapping: the other control's checks decide this one's automated status too

    @property
    def context(self) -> str:
        """How the other control's automated result bears on this one, in one line."""
        automated = self.state.automated_label.lower() if self.state else "not automated"
        if self.counts:
            return f"equal: {self.control.ref} {automated}; its checks count for this control"
        return f"related: {self.control.ref} {automated}; context only, not counted in this control's status"


def control_for_page(queryset, framework: str, ref: str) -> Control | None:
    return queryset.select_related("framework", "owner").filter(framework__slug=framework, ref=ref).first()


def state_section(control: Control, user, derived: DerivedState | None = None) -> dict:
    return {
        "control": control,
        "derived": derived or control_states([control])[control.pk],
        "can_edit": roles.can_edit_control(user, control),
        "can_contribute": roles.can_contribute(user),
        "can_manage": roles.can_manage(user),
    }


def record_section(control: Control, user, form: forms.ControlRecordForm | None = None) -> dict:
    return {"control": control, "can_edit": roles.can_edit_control(user, control), "record_form": form}


def documents_section(control: Control, user, form: forms.DocumentLinkForm | None = None, search: str = "") -> dict:
    links = (
        DocumentLink.objects.filter(control=control).select_related("document", "linked_by").only(*DOCUMENT_LINK_FIELDS)
    )
    can_contribute = roles.can_contribute(user)
    if can_contribute and form is None:
        form = forms.DocumentLinkForm(control=control, search=search)
    return {
        "control": control,
        "document_links": links.order_by("document__title"),
        "document_form": form if can_contribute else None,
    }


def tickets_section(control: Control, user, form: forms.TicketLinkForm | None = None) -> dict:
    links = TicketLink.objects.filter(control=control).select_related("ticket", "linked_by").only(*TICKET_LINK_FIELDS)
    can_contribute = roles.can_contribute(user)
    return {
        "control": control,
        "ticket_links": links.order_by("-linked_at"),
        "ticket_form": (form or forms.TicketLinkForm()) if can_contribute else None,
    }


def evidence_section(control: Control, user, added=None) -> dict:
    items = control.evidence.order_by("-collected_at", "-pk")
    current = items.filter(superseded_by__isnull=True).select_related("collected_by").only(*EVIDENCE_FIELDS)
    superseded = items.filter(superseded_by__isnull=False).select_related("superseded_by")
    superseded = superseded.only("id", "title", "collected_at", "superseded_by__id", "superseded_by__title")
    return {
        "control": control,
        "current_evidence": list(current[:EVIDENCE_SHOWN]),
        "superseded_evidence": list(superseded[:EVIDENCE_SHOWN]),
        "evidence_shown": EVIDENCE_SHOWN,
        "evidence_added": added,
        "can_add_evidence": roles.can_contribute(user),
    }


def exemptions_section(control: Control, user, form: forms.ExemptionForm | None = None) -> dict:
    exemptions = list(
        control.exemptions.select_related("requested_by", "approved_by", "revoked_by").order_by("-requested_at")
    )
    can_contribute = roles.can_contribute(user)
    for exemption in exemptions:
        exemption.approvable = roles.can_approve_exemption(user, exemption)
    return {
        "control": control,
        "exemptions": exemptions,
        "exemption_form": (form or forms.ExemptionForm(controls=[control])) if can_contribute else None,
        "can_decide_exemptions": roles.can_manage(user),
    }


def _mappings(control: Control) -> list[tuple[Control, str, str]]:
    """(the other control, the relation read from this control's end, origin) of each published mapping."""
    mappings = ControlMapping.objects.filter(Q(source=control) | Q(target=control)).select_related(
        "source__framework", "target__framework"
    )
    rows = []
    for mapping in mappings:
        if mapping.source_id == control.pk:
            other, relation = mapping.target, mapping.relation
        else:
            other, relation = mapping.source, INVERSE.get(mapping.relation, mapping.relation)
        rows.append((other, relation, mapping.origin))
    return rows


def mapped_section(control: Control, rows=None, states: dict[int, DerivedState] | None = None) -> dict:
    rows = _mappings(control) if rows is None else rows
    states = control_states([other for other, _, _ in rows]) if states is None else states
    mapped = [
        Mapped(
            other,
            relation,
            RELATION_PHRASE.get(relation, relation),
            origin,
            states.get(other.pk),
            counts=relation in VERDICT_RELATIONS,
        )
        for other, relation, origin in sorted(rows, key=lambda row: (row[0].framework.slug, row[0].sort_key))
    ]
    return {"control": control, "mapped": mapped}


def history_section(control: Control) -> dict:
    return {"control": control, "timeline": history.control_timeline(control), "history_shown": history.SHOWN}


def comments_section(control: Control, user, form: forms.CommentForm | None = None, thread: int | None = None) -> dict:
    """The questions on a control, newest thread first, each with its replies in order: two queries."""
    replies = ControlComment.objects.select_related("author").order_by("created_at", "pk")
    threads = (
        ControlComment.objects.threads()
        .filter(control=control)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("-created_at", "-pk")
    )
    can_comment = roles.can_comment(user)
    return {
        "control": control,
        "threads": list(threads[:THREADS_SHOWN]),
        "comment_form": (form or forms.CommentForm()) if can_comment else None,
        "comment_error_thread": thread,
    }


def page_context(control: Control, user) -> dict:
    # The control's state and its mapped controls' states in one call (two queries, not four).
    mappings = _mappings(control)
    states = control_states([control, *(other for other, _, _ in mappings)])
    return {
        **state_section(control, user, derived=states[control.pk]),
        **record_section(control, user),
        **documents_section(control, user),
        **tickets_section(control, user),
        **evidence_section(control, user),
        **exemptions_section(control, user),
        **mapped_section(control, mappings, states),
        **history_section(control),
        **comments_section(control, user),
        **{key: value for build in ADDED_SECTIONS.values() for key, value in build(control).items()},
    }
