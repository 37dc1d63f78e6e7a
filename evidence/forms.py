"""Adding evidence to a control: a file (size, extension and content checked), a link or a note."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone

from compliance.models import Control
from config.widgets import DateInput
from evidence.models import Evidence, EvidenceKind, EvidenceQuerySet
from evidence.validation import ALLOWED, validate_evidence_upload

ACCEPT = ",".join(f".{extension}" for extension in ALLOWED)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k, v) for k, v in EvidenceKind.choices if k != EvidenceKind.AUTOMATED],
        initial=EvidenceKind.FILE,
        widget=forms.RadioSelect,
        label="What kind of evidence",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Leave empty to use the file name or link.")
    upload = forms.FileField(required=False, label="File", help_text="PDF, images, office files, text, CSV, JSON.")
    url = forms.URLField(max_length=1000, required=False, label="Link", assume_scheme="https")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note or description")
    valid_until = forms.DateField(
        widget=DateInput(),
        required=False,
        help_text=f"Empty: fresh for {settings.EVIDENCE_FRESHNESS_DAYS} days. "
        f"At most {settings.EVIDENCE_MAX_VALIDITY_DAYS} days from today.",
    )
    supersedes = forms.ModelChoiceField(
        queryset=Evidence.objects.none(), required=False, label="Replaces", empty_label="Nothing (a new item)"
    )

    def __init__(self, *args, control: Control, actor, upload_refused: str | None = None, **kwargs):
        kwargs.setdefault("auto_id", "evidence_%s")  # the control page holds other forms with a `title`
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused  # the request's file was too large to be read (config.uploads)
        self.fields["upload"].widget.attrs["accept"] = ACCEPT
        self.fields["supersedes"].queryset = replaceable(control, actor)
        self.control_evidence = control.evidence.current().order_by("-collected_at")

    def clean_upload(self):
        if self.upload_refused:
            raise ValidationError(self.upload_refused, code="too_large")
        upload = self.cleaned_data.get("upload")
        if upload:
            # store what we verified, not what the browser claimed
            upload.content_type = validate_evidence_upload(upload)
        return upload

    def clean_valid_until(self) -> date | None:
        value = self.cleaned_data.get("valid_until")
        if value and value <= timezone.localdate():
            raise ValidationError("Evidence must be valid until a day after today.")
        return value

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {EvidenceKind.FILE: "upload", EvidenceKind.LINK: "url", EvidenceKind.NOTE: "description"}.get(kind)
        if required and not cleaned.get(required) and not self.has_error(required):
            message = {"upload": "Choose a file.", "url": "Give the link.", "description": "Write the note."}
            self.add_error(required, message[required])
        return cleaned

    def service_arguments(self) -> dict:
        """What `evidence_add` needs, with only the field that matches the kind."""
        data = self.cleaned_data
        kind = data["kind"]
        upload = data["upload"] if kind == EvidenceKind.FILE else None
        url = data["url"] if kind == EvidenceKind.LINK else ""
        default_title = upload.name if upload else url or data["description"].strip().splitlines()[0][:200]
        valid_until = data["valid_until"]
        return {
            "kind": kind,
            "title": data["title"].strip() or default_title,
            "upload": upload,
            "url": url,
            "description": data["description"],
            "supersedes": data["supersedes"],
            "valid_until": _end_of(valid_until) if valid_until else None,
        }


def replaceable(control: Control, actor) -> EvidenceQuerySet:
    """The current items of this control that an item added here (to this control alone) may supersede."""
    # Narrowed in SQL to the same author kind (a control may hold years of scan reports); the rule decides.
    current = (
        control.evidence.current()
        .filter(collected_by__isnull=actor is None)
        .prefetch_related(Prefetch("controls", queryset=Control.objects.select_related("framework")))
    )
    allowed = [item.pk for item in current if item.supersede_refusal(controls=[control], actor=actor) is None]
    return Evidence.objects.filter(pk__in=allowed).order_by("-collected_at")


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class EvidenceRequestForm(forms.Form):
    """Ask a control's owner for evidence; the rules are `evidence_request_check`'s, asked in `clean`."""

    what = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="What evidence", help_text="What you need to see."
    )
    due = forms.DateField(widget=DateInput(), label="Needed by")

    def __init__(self, *args, control: Control, **kwargs):
        kwargs.setdefault("auto_id", "request_%s")
        super().__init__(*args, **kwargs)
        self.control = control

    def clean(self):
        from evidence.requests import evidence_request_check  # requests imports the services this module serves

        data = super().clean()
        try:
            evidence_request_check(control=self.control, what=data.get("what", ""), due=data.get("due"))
        except ValidationError as refusal:
            for field, messages in refusal.message_dict.items():
                if field in self.fields and not self.has_error(field):
                    self.add_error(field, messages)
                elif field not in self.fields:
                    self.add_error(None, messages)
        return data


class RequestAnswerForm(EvidenceForm):
    """Answer a request: a new item (file, link or note), as anywhere else, or items the control already has."""

    existing = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        label="Or answer with evidence this control already has",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["existing"].queryset = self.control_evidence
        for name in ("upload", "url", "description"):
            self.fields[name].required = False

    def clean(self):
        if self.cleaned_data.get("existing") and not self._new_item_given():
            return self.cleaned_data  # answering with existing items only: no new item to check
        return super().clean()

    def _new_item_given(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("upload") or data.get("url") or (data.get("description") or "").strip())

    def answer_arguments(self) -> dict:
        """What `evidence_request_answer` needs: the chosen items, and a new item when one was given."""
        new_item = self.service_arguments() if self._new_item_given() else {}
        return {"items": list(self.cleaned_data.get("existing") or []), **new_item}
