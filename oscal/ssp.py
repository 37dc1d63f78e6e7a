"""The organisation's System Security Plan as OSCAL: one implemented requirement per control of the register.

Each carries the control's status, owner (a responsible role), Statement of Applicability entry (included or
excluded, and the justification), derived state and active exemptions, and its linked documents as
back-matter resources. A control that automated checks speak for has a second by-component, the automated
checks, saying which checks and with what outcome (`scanners.verdict`'s rule, as everywhere else).
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from trestle.oscal import common as oscal
from trestle.oscal import ssp as oscal_ssp

from accounts.models import Role
from compliance.models import Control, ControlStatus, Document, Framework
from compliance.state import DerivedState, control_states
from evidence.audit_data import soa_entries
from oscal.building import (
    absolute,
    app_link,
    back_matter,
    control_id_of,
    file_name,
    organisation,
    prop,
    prose,
    scope_of,
    single_line,
    stable_uuid,
    state_metadata,
)
from scanners.models import CloudAccount
from scanners.verdict import Speaks, checks_deciding

OWNER_ROLE = "control-owner"
# ControlTrace's status -> OSCAL's implementation-status state (its allowed values).
IMPLEMENTATION_STATE = {
    ControlStatus.NOT_STARTED: "planned",
    ControlStatus.IN_PROGRESS: "partial",
    ControlStatus.IMPLEMENTED: "implemented",
    ControlStatus.NOT_APPLICABLE: "not-applicable",
}
ROLE_PRIVILEGES = {
    Role.CISO: ["read everything", "edit every control", "approve exemptions", "manage accounts and scans"],
    Role.ENGINEER: ["read everything", "edit the controls they own", "link documents and tickets", "add evidence"],
    Role.AUDITOR: ["read everything", "export the audit package and these documents"],
}
THIS_SYSTEM = stable_uuid("component", "this-system")
AUTOMATED_CHECKS = stable_uuid("component", "automated-checks")


def ssp_build(framework: Framework | None, now: datetime, base_url: str = "") -> oscal_ssp.SystemSecurityPlan:
    controls = Control.objects.select_related("framework", "owner").prefetch_related("documents")
    if framework:
        controls = controls.in_framework(framework.slug)
    controls = list(controls)
    owners = {control.owner_id: control.owner for control in controls if control.owner_id}
    documents = {document.pk: document for control in controls for document in control.documents.all()}
    key, scope = scope_of(framework)
    return oscal_ssp.SystemSecurityPlan(
        uuid=stable_uuid("ssp", key),
        metadata=state_metadata(
            f"System Security Plan of {organisation()} ({scope})",
            now,
            people=[owner_party(owner) for owner in owners.values()],
            roles=roles(),
        ),
        import_profile=oscal_ssp.ImportProfile(href=file_name("profile", framework)),
        system_characteristics=system_characteristics(scope),
        system_implementation=oscal_ssp.SystemImplementation(users=users(), components=components()),
        control_implementation=oscal_ssp.ControlImplementation(
            description=(
                "One implemented requirement per control of the register: its status, owner, Statement of "
                "Applicability entry and linked documents as ControlTrace records them, and the automated "
                "checks that speak for it."
            ),
            implemented_requirements=implemented_requirements(controls, now, base_url),
        ),
        back_matter=back_matter([document_resource(document, base_url) for document in documents.values()]),
    )


def roles() -> list[oscal.Role]:
    described = [oscal.Role(id=OWNER_ROLE, title="Control owner", description="Answers for the control's state.")]
    return described + [oscal.Role(id=role.value, title=role.label) for role in Role]


def owner_party(user) -> oscal.Party:
    name = user.get_full_name() or user.get_username()
    return oscal.Party(
        uuid=owner_uuid(user.pk),
        type="person",
        name=single_line(name),
        props=[prop("username", user.get_username())],
    )


def owner_uuid(user_id: int) -> str:
    return stable_uuid("party", "user", user_id)


def system_characteristics(scope: str) -> oscal_ssp.SystemCharacteristics:
    return oscal_ssp.SystemCharacteristics(
        system_ids=[oscal.SystemId(identifier_type="https://ietf.org/rfc/rfc4122", id=stable_uuid("system"))],
        system_name=single_line(f"{organisation()} information security management system"),
        description=(
            f"The scope of {organisation()}'s information security management system as recorded in "
            f"ControlTrace ({scope}): its controls, their owners and documents, and the cloud accounts and "
            "source-code organisations whose configuration is checked automatically."
        ),
        system_information=oscal_ssp.SystemInformation(
            information_types=[
                oscal_ssp.InformationType(
                    uuid=stable_uuid("information-type", "isms"),
                    title="Information within the ISMS scope",
                    description="All information the organisation's controls protect; not categorised further here.",
                )
            ]
        ),
        status=oscal_ssp.Status1(state="operational"),
        authorization_boundary=oscal_ssp.AuthorizationBoundary(
            description="Everything the controls listed here apply to; the scanned accounts are listed as components."
        ),
    )


def users() -> list[oscal.SystemUser]:
    return [
        oscal.SystemUser(
            uuid=stable_uuid("user", role.value),
            title=role.label,
            role_ids=[role.value],
            authorized_privileges=[
                oscal.AuthorizedPrivilege(title=f"{role.label} in ControlTrace", functions_performed=privileges)
            ],
        )
        for role, privileges in ROLE_PRIVILEGES.items()
    ]


def components() -> list[oscal.SystemComponent]:
    operational = oscal.Status(state="operational")
    listed = [
        oscal.SystemComponent(
            uuid=THIS_SYSTEM,
            type="this-system",
            title=single_line(f"{organisation()} ISMS"),
            description="The organisation's controls as a whole: policies, procedures, people and technology.",
            status=operational,
        ),
        oscal.SystemComponent(
            uuid=AUTOMATED_CHECKS,
            type="software",
            title="ControlTrace automated checks",
            description=(
                "Checks over the collected configuration of the scanned accounts; a control's automated status "
                "comes from the checks that name it and those of controls mapped to it as equal."
            ),
            status=operational,
        ),
    ]
    for account in CloudAccount.objects.order_by("name"):
        listed.append(
            oscal.SystemComponent(
                uuid=stable_uuid("account", account.pk),
                type="service",
                title=single_line(f"{account.get_provider_display()} {account.name}"),
                description=single_line(f"{account.get_provider_display()} {account.account_id or account.name}"),
                props=[prop("account-id", account.account_id or account.name), prop("provider", account.provider)],
                status=operational if account.enabled else oscal.Status(state="other", remarks="Scans are disabled."),
            )
        )
    return listed


def implemented_requirements(controls: list[Control], now: datetime, base_url: str) -> list:
    states = control_states(controls, now)
    exemptions = {(entry.framework_slug, entry.ref): entry.exemptions for entry in soa_entries()}
    deciding = checks_deciding()
    return [
        implemented_requirement(
            control, states[control.pk], exemptions.get((control.framework.slug, control.ref), []), deciding, base_url
        )
        for control in controls
    ]


def implemented_requirement(
    control: Control, state: DerivedState, exemptions: list[str], deciding: dict, base_url: str
) -> oscal_ssp.ImplementedRequirement:
    props = [
        prop("status", control.status),
        prop("applicable", "yes" if control.applicable else "no"),
        prop("state", state.summary, remarks=state.reason),
        prop("automated-status", state.automated),
        prop("evidence", state.evidence),
    ]
    if control.next_review:
        props.append(prop("next-review", control.next_review.isoformat()))
    props += [prop("exemption", text) for text in exemptions]
    links = [app_link(base_url, "control-detail", control.framework.slug, control.ref, text="In ControlTrace")]
    links += [
        oscal.Link(href=f"#{document_uuid(d)}", rel="reference", text=single_line(d.title))
        for d in control.documents.all()
    ]
    by_components = [statement_of_applicability(control)]
    if control in deciding:
        by_components.append(automation(control, deciding[control], state))
    owner = None
    if control.owner_id:
        owner = [oscal.ResponsibleRole(role_id=OWNER_ROLE, party_uuids=[owner_uuid(control.owner_id)])]
    return oscal_ssp.ImplementedRequirement(
        uuid=stable_uuid("implemented-requirement", control.framework.slug, control.ref),
        control_id=control_id_of(control),
        props=props,
        links=links,
        responsible_roles=owner,
        by_components=by_components,
        remarks=prose(control.notes) if control.notes.strip() else None,
    )


def statement_of_applicability(control: Control) -> oscal_ssp.ByComponent:
    """The SoA entry: included or excluded, with the justification ISO/IEC 27001 6.1.3 d) asks for."""
    verdict = "Included in" if control.applicable else "Excluded from"
    justification = control.justification.strip() or "no justification recorded"
    return oscal_ssp.ByComponent(
        component_uuid=THIS_SYSTEM,
        uuid=stable_uuid("by-component", "soa", control.framework.slug, control.ref),
        description=f"{verdict} the Statement of Applicability. Justification: {justification}",
        props=[prop("applicable", "yes" if control.applicable else "no"), prop("justification", justification)],
        implementation_status=oscal.ImplementationStatus(
            state=IMPLEMENTATION_STATE[ControlStatus(control.status)], remarks=prose(justification)
        ),
    )


def automation(control: Control, speaks: dict[str, Speaks], state: DerivedState) -> oscal_ssp.ByComponent:
    checks = ", ".join(
        f"{check_id} ({why.why})" if why.through else check_id for check_id, why in sorted(speaks.items())
    )
    counts = state.source
    props = [prop("automated-status", state.automated)] + [prop("check", check_id) for check_id in sorted(speaks)]
    if counts is not None:
        props += [
            prop("checks-passed", counts.checks_passed),
            prop("checks-failed", counts.checks_failed),
            prop("checks-errored", counts.checks_errored),
        ]
    return oscal_ssp.ByComponent(
        component_uuid=AUTOMATED_CHECKS,
        uuid=stable_uuid("by-component", "automation", control.framework.slug, control.ref),
        description=f"Automated checks speak for this control: {checks}. Automated status: {state.automated_label}.",
        props=props,
    )


def document_uuid(document: Document) -> str:
    return stable_uuid("document", document.pk)


def document_resource(document: Document, base_url: str) -> oscal.Resource:
    props = [prop("kind", document.kind)]
    props += [prop("version", document.version)] if document.version else []
    props += [prop("approved-at", document.approved_at.isoformat())] if document.approved_at else []
    props += [prop("next-review", document.next_review.isoformat())] if document.next_review else []
    rlinks = []
    if document.url:
        rlinks.append(oscal.Rlink(href=document.url))
    if document.file:
        rlinks.append(oscal.Rlink(href=absolute(base_url, reverse("document-file", args=[document.pk]))))
    return oscal.Resource(
        uuid=document_uuid(document),
        title=single_line(document.title),
        description=f"{document.get_kind_display()}" + (f", version {document.version}" if document.version else ""),
        props=props,
        rlinks=rlinks or None,
    )
