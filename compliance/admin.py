from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from accounts import roles
from accounts.admin_access import ManagerAdminMixin, RoleAdminMixin
from compliance import services
from compliance.forms import RecordRule, owner_choices
from compliance.models import (
    Control,
    ControlMapping,
    Document,
    DocumentLink,
    Exemption,
    ExemptionState,
    Framework,
    Ticket,
    TicketLink,
)


@admin.register(Framework)
class FrameworkAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "name", "version"]


class DocumentLinkInline(RoleAdminMixin, admin.TabularInline):
    model = DocumentLink
    extra = 0
    autocomplete_fields = ["document"]
    readonly_fields = ["linked_by", "origin", "linked_at"]
    allow_delete = True


class TicketLinkInline(RoleAdminMixin, admin.TabularInline):
    model = TicketLink
    extra = 0
    autocomplete_fields = ["ticket"]
    readonly_fields = ["linked_by", "origin", "linked_at"]
    allow_delete = True


class RecordAdminForm(RecordRule, forms.ModelForm):
    """The admin asks the record's rule like every other path. Judged against the stored record: a history
    revert's form starts from the old version, whose owner may no longer be allowed to own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if owner := self.fields.get("owner"):
            owner.queryset = owner_choices(self.instance.owner_id)
            owner.error_messages["invalid_choice"] = roles.OWNER_REFUSED

    def rule_changes(self, cleaned: dict) -> tuple:
        if self.instance.pk is None:
            return super().rule_changes(cleaned)
        stored = type(self.instance).objects.get(pk=self.instance.pk)
        return stored, {name: value for name, value in cleaned.items() if value != getattr(stored, name, value)}


@admin.register(Control)
class ControlAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    form = RecordAdminForm
    list_display = ["ref", "title", "framework", "group", "applicable", "status", "owner", "next_review"]
    list_filter = ["framework", "status", "applicable", "group"]
    search_fields = ["ref", "title"]
    list_select_related = ["framework", "owner"]
    readonly_fields = ["framework", "ref", "title", "summary", "group", "attributes"]
    fields = [
        "framework",
        "ref",
        "title",
        "summary",
        "group",
        "attributes",
        "applicable",
        "justification",
        "status",
        "owner",
        "notes",
        "next_review",
    ]
    inlines = [DocumentLinkInline, TicketLinkInline]

    def has_add_permission(self, request) -> bool:
        return False  # controls come from the catalogs

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return roles.can_contribute(request.user)
        return roles.can_edit_control(request.user, obj)


@admin.register(ControlMapping)
class ControlMappingAdmin(ManagerAdminMixin, SimpleHistoryAdmin):
    list_display = ["source", "target", "relation", "origin"]
    list_filter = ["relation", "source__framework", "target__framework"]
    search_fields = ["source__ref", "target__ref"]
    list_select_related = ["source", "target"]
    autocomplete_fields = ["source", "target"]
    allow_delete = True


@admin.register(Document)
class DocumentAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    form = RecordAdminForm
    list_display = ["title", "kind", "version", "owner", "approved_at", "next_review"]
    list_filter = ["kind"]
    search_fields = ["title"]
    inlines = [DocumentLinkInline]


@admin.register(Ticket)
class TicketAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ["key", "system", "title", "state", "last_synced_at"]
    list_filter = ["system", "state"]
    search_fields = ["key", "title"]
    inlines = [TicketLinkInline]


class ExemptionProposalForm(forms.ModelForm):
    """The admin's add form: the proposal's fields only, checked by the same rule as every other path."""

    class Meta:
        model = Exemption
        fields = ["title", "controls", "reason", "compensating_measures", "expires_at", "replaces"]

    def clean(self):
        data = super().clean()
        if {"title", "controls", "expires_at"} <= set(data):
            try:
                services.exemption_proposal_check(
                    controls=data["controls"],
                    title=data["title"],
                    expires_at=data["expires_at"],
                    replaces=data.get("replaces"),
                )
            except ValidationError as error:
                self.add_error(None, error.messages)
        return data


@admin.register(Exemption)
class ExemptionAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    """Proposals are added through exemption_propose; a saved exemption is read-only here (never edited: the
    approve and revoke actions call the services, and a change is a replacement proposal)."""

    form = ExemptionProposalForm
    list_display = ["title", "state", "requested_by", "approved_by", "expires_at"]
    search_fields = ["title", "reason"]
    filter_horizontal = ["controls"]
    list_select_related = ["requested_by", "approved_by"]
    readonly_fields = [
        "requested_by",
        "requested_at",
        "approved_by",
        "approved_at",
        "revoked_by",
        "revoked_at",
        "replaced_at",
    ]

    actions = ["approve", "revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.exemption_propose(
            controls=data["controls"],
            title=data["title"],
            reason=data["reason"],
            compensating_measures=data["compensating_measures"],
            expires_at=data["expires_at"],
            replaces=data["replaces"],
            actor=request.user,
        )
        obj.pk, obj._state.adding = created.pk, False  # the admin's messages and redirect name the new row

    def save_related(self, request, form, formsets, change):
        pass  # exemption_propose has set the controls

    @admin.action(description="Approve the selected exemptions (CISO)")
    def approve(self, request, queryset):
        self._decide(request, queryset.in_state(ExemptionState.PROPOSED), services.exemption_approve)

    @admin.action(description="Revoke the selected exemptions (CISO)")
    def revoke(self, request, queryset):
        self._decide(request, queryset, services.exemption_revoke)

    def _decide(self, request, queryset, decide) -> None:
        for exemption in queryset:
            try:
                decide(exemption=exemption, actor=request.user)
            except (PermissionDenied, ValueError) as error:
                self.message_user(request, f"“{exemption}”: {error}", messages.ERROR)
