"""Forms of the register pages. Validation errors belong to the field the person has to fix."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import roles
from compliance import services
from compliance.models import Control, ControlStatus, Document, DocumentKind, Framework, validate_http_url
from compliance.ticket_refs import TicketReferenceError, parse_ticket_reference
from config.widgets import DateInput


class DistinctIds:
    """Several forms share the control page: each needs its own element ids, or labels point at the wrong input."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def owner_choices(current_id: int | None):
    """Who a record can be given to: the people who can own, and the owner already in place."""
    owners = roles.eligible_owners()
    return owners if current_id is None else owners | get_user_model().objects.filter(pk=current_id)


class OwnerField(forms.ModelChoiceField):
    """The people who can own (roles.eligible_owners), and the owner already in place; anyone else is refused
    with the rule's own message."""

    default_error_messages = {"invalid_choice": roles.OWNER_REFUSED}

    def __init__(self, **kwargs):
        super().__init__(queryset=None, required=False, empty_label="Nobody", **kwargs)

    def offer(self, current_id: int | None) -> None:
        """Set the choices when the form is made: who may own changes with time (access expires)."""
        self.queryset = owner_choices(current_id)

    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.username


class RecordRule:
    """For model forms of a register record: the record's own rule (`clean_record`) judges the fields the person
    changed, and its messages land on those fields. The page, the htmx endpoint and the admin use it."""

    def clean(self):
        cleaned = super().clean()
        record, changes = self.rule_changes(cleaned)
        try:
            record.clean_record(**changes)
        except ValidationError as refusal:
            for name, messages in refusal.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return cleaned

    def rule_changes(self, cleaned: dict) -> tuple:
        """The record as stored and the changes the form makes to it."""
        return self.instance, {name: cleaned[name] for name in self.changed_data if name in cleaned}


class ControlRecordForm(DistinctIds, RecordRule, forms.ModelForm):
    """The organisation's record of a control: Statement of Applicability, status, owner, review."""

    id_prefix = "record"
    owner = OwnerField()

    class Meta:
        model = Control
        fields = ["applicable", "justification", "status", "owner", "next_review", "notes"]
        widgets = {
            "justification": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "next_review": DateInput(),
        }
        labels = {"applicable": "Applicable (Statement of Applicability)"}
        help_texts = {"justification": "Why the control is included or excluded; required when excluded."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].offer(self.instance.owner_id)

    def clean_next_review(self) -> date | None:
        value = self.cleaned_data["next_review"]
        # A date already in the past may stay as it is; a new one must lie ahead.
        if value and "next_review" in self.changed_data and value < timezone.localdate():
            raise ValidationError("The next review must be today or later.")
        return value

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class DocumentLinkForm(DistinctIds, forms.Form):
    """Link an existing document, or create one and link it, in one step.

    The picker offers at most PICKER_SIZE documents, those whose title matches what was searched: a register
    of thousands of documents is searched, never rendered whole. Any linkable document is accepted.
    """

    PICKER_SIZE = 20
    id_prefix = "doclink"
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(), required=False, label="Existing document", empty_label="Choose…"
    )
    title = forms.CharField(max_length=200, required=False, label="Or a new document: title")
    kind = forms.ChoiceField(choices=DocumentKind.choices, initial=DocumentKind.POLICY)
    url = forms.URLField(
        max_length=500, required=False, label="URL", assume_scheme="https", validators=[validate_http_url]
    )

    def __init__(self, *args, control: Control | None = None, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        documents = Document.objects.linkable_to(control) if control else Document.objects.all()
        self.fields["document"].queryset = documents
        self.search = search.strip()
        self.fields["document"].widget.choices = [("", "Choose…"), *self.offered(documents)]

    def offered(self, documents) -> list[tuple[int, str]]:
        """The picker's options: the documents matching the search, and the one already chosen."""
        chosen = self.data.get(self.add_prefix("document")) if self.is_bound else None
        matching = documents.titled_like(self.search).order_by("title", "pk")[: self.PICKER_SIZE]
        options = [(document.pk, document.title) for document in matching]
        if chosen and str(chosen).isdigit() and all(str(pk) != chosen for pk, _ in options):
            options += [(document.pk, document.title) for document in documents.filter(pk=chosen)]
        return options

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("document") and cleaned.get("title"):
            self.add_error("title", "Pick an existing document or give a new title, not both.")
        elif not cleaned.get("document") and not cleaned.get("title") and not self.has_error("document"):
            self.add_error("document", "Pick a document, or give the title of a new one.")
        return cleaned


class TicketReferenceField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_ticket_reference(value)
        except TicketReferenceError as error:
            raise ValidationError(str(error)) from error


class TicketLinkForm(DistinctIds, forms.Form):
    id_prefix = "ticket"
    reference = TicketReferenceField(
        max_length=500,
        label="Ticket URL or key",
        help_text="A GitHub, GitLab or Jira URL, or a key such as SEC-12.",
        widget=forms.TextInput(attrs={"placeholder": "https://github.com/acme/infra/issues/7"}),
    )
    title = forms.CharField(max_length=300, required=False, label="Title (optional)")


class TicketForm(TicketLinkForm):
    state = forms.CharField(max_length=40, required=False, label="State (optional)", help_text="open, closed…")


class DocumentForm(RecordRule, forms.ModelForm):
    owner = OwnerField()
    url = forms.URLField(
        max_length=500, required=False, label="URL", assume_scheme="https", validators=[validate_http_url]
    )

    class Meta:
        model = Document
        fields = ["title", "kind", "url", "version", "owner", "approved_at", "next_review"]
        widgets = {"approved_at": DateInput(), "next_review": DateInput()}
        labels = {"approved_at": "Approved on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].offer(self.instance.owner_id)


class ExemptionForm(DistinctIds, forms.Form):
    """A proposal from a control's page. The rules (expiry cap, duplicates) are the service's; the form asks
    `exemption_proposal_check` so that its errors sit beside the field to fix."""

    id_prefix = "exemption"
    title = forms.CharField(max_length=200)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the control cannot be met now.")
    compensating_measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    expires_on = forms.DateField(widget=DateInput(), label="Valid until")

    def __init__(self, *args, controls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.controls = list(controls)
        days = settings.EXEMPTION_MAX_DAYS
        self.fields["expires_on"].help_text = f"The end of that day; at most {days} days."

    def clean(self):
        data = super().clean()
        if "title" in data and "expires_on" in data:
            try:
                services.exemption_proposal_check(
                    controls=self.controls, title=data["title"], expires_at=self.expires_at
                )
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    self.add_error(None, error)
                    return data
                for field, messages in error.message_dict.items():
                    self.add_error("expires_on" if field == "expires_at" else None, messages)
        return data

    @property
    def expires_at(self) -> datetime:
        day_after = self.cleaned_data["expires_on"] + timedelta(days=1)
        return timezone.make_aware(datetime.combine(day_after, time.min))


class ControlPickForm(DistinctIds, forms.Form):
    """Name a control from a document's or ticket's page: framework and ref, or a pasted `ctrl:` tag."""

    id_prefix = "pick"
    framework = forms.ModelChoiceField(
        queryset=Framework.objects.all(), to_field_name="slug", required=False, empty_label="Choose…"
    )
    ref = forms.CharField(max_length=120, label="Control ref or tag", help_text="A.8.20, or ctrl:iso27001-2022:A.8.20")

    def clean(self):
        cleaned = super().clean()
        ref = (cleaned.get("ref") or "").strip()
        framework = cleaned.get("framework")
        if not ref:
            return cleaned
        if ref.startswith("ctrl:") and ref.count(":") == 2:
            _, slug, ref = ref.split(":")
            query = {"framework__slug": slug, "ref": ref}
        elif framework is None:
            self.add_error("framework", "Choose the framework, or paste the control's tag.")
            return cleaned
        else:
            query = {"framework": framework, "ref": ref}
        control = Control.objects.select_related("framework").filter(**query).first()
        if control is None:
            self.add_error("ref", f"There is no control {ref} in that framework.")
        cleaned["control"] = control
        return cleaned


class ControlIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError) as error:
            raise ValidationError("The selection is not a list of controls.") from error

    def validate(self, value) -> None:
        if not value:
            raise ValidationError("Select at least one control.")


NO_CHANGE, NOBODY = "", "nobody"


class BulkChangeForm(forms.Form):
    control = ControlIdsField()
    set_owner = forms.ChoiceField(
        required=False, label="Set owner", error_messages={"invalid_choice": roles.OWNER_REFUSED}
    )
    set_status = forms.ChoiceField(
        required=False,
        label="Set status",
        choices=[(NO_CHANGE, "Keep")] + [c for c in ControlStatus.choices if c[0] != ControlStatus.NOT_APPLICABLE],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {str(user.pk): user for user in roles.eligible_owners()}
        owner_choices = [(pk, user.get_full_name() or user.username) for pk, user in self.owners.items()]
        self.fields["set_owner"].choices = [(NO_CHANGE, "Keep"), (NOBODY, "Nobody")] + owner_choices

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("set_owner") and not cleaned.get("set_status") and not self.errors:
            self.add_error("set_status", "Choose an owner or a status to set.")
        return cleaned

    def changes(self) -> dict:
        changes = {}
        if owner := self.cleaned_data.get("set_owner"):
            changes["owner"] = None if owner == NOBODY else self.owners[owner]
        if status := self.cleaned_data.get("set_status"):
            changes["status"] = status
        return changes


class CommentForm(DistinctIds, forms.Form):
    """A question or a reply on a control's page; the rules (not empty, not too long, same control) are
    `control_comment_add`'s, which the view asks."""

    id_prefix = "comment"
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # an empty comment is refused by the service, in the same words on every path
        label="Comment",
        help_text="Mention someone with @username to tell them.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ExemptionDecisionForm(forms.Form):
    """Approve or refuse a proposal: a refusal says why (the proposer reads it in the audit trail)."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason",
        help_text="Needed to refuse; the proposer is told, and the audit trail keeps it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("reason", "").strip():
            self.add_error("reason", "Say why you refuse it.")
        return data
