"""Exemptions: documented, approved and temporary deviations from controls; written once, decided once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from compliance.models.register import Control


def last_day_in_force(expires_at: datetime) -> date:
    """The last day an exemption is in force, as the person entered it: "until 20 Dec" ends at the start of 21 Dec."""
    return timezone.localtime(expires_at - timedelta(microseconds=1)).date()


class ExemptionState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    REPLACED = "replaced", "Replaced"


class ExemptionIsDecided(Exception):
    """An exemption is never edited: withdraw a proposal, or propose a replacement for an approved one."""


def exemption_expiry_limit(at: datetime | None = None) -> datetime:
    """The latest an exemption proposed at `at` may run: the end of the day EXEMPTION_MAX_DAYS days on.

    Exemptions are temporary; the form, the API, the admin and the services all ask this one function.
    """
    last_day = timezone.localdate(at or timezone.now()) + timedelta(days=settings.EXEMPTION_MAX_DAYS)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def exemption_state_q(state: str, at: datetime | None = None, prefix: str = "") -> Q:
    """The filter for exemptions in `state` at `at`; `prefix` (`exemptions__`) filters from a related model.

    The same rule as `Exemption.state_at`: revoked, then replaced, then proposed, then active or expired.
    """
    at = at or timezone.now()

    def q(**lookups) -> Q:
        return Q(**{prefix + name: value for name, value in lookups.items()})

    live = q(revoked_at__isnull=True, replaced_at__isnull=True)
    decided = live & q(approved_at__isnull=False)
    return {
        ExemptionState.REVOKED: q(revoked_at__isnull=False),
        ExemptionState.REPLACED: q(revoked_at__isnull=True, replaced_at__isnull=False),
        ExemptionState.PROPOSED: live & q(approved_at__isnull=True),
        ExemptionState.ACTIVE: decided & q(expires_at__gt=at),
        ExemptionState.EXPIRED: decided & q(expires_at__lte=at),
    }[ExemptionState(state)]


class ExemptionQuerySet(models.QuerySet):
    def in_state(self, *states: str, at: datetime | None = None) -> ExemptionQuerySet:
        condition = Q()
        for state in states:
            condition |= exemption_state_q(state, at)
        return self.filter(condition)

    def active(self, at: datetime | None = None) -> ExemptionQuerySet:
        return self.in_state(ExemptionState.ACTIVE, at=at)

    def expiring_within(self, days: int) -> ExemptionQuerySet:
        now = timezone.now()
        return self.active(now).filter(expires_at__lte=now + timedelta(days=days))


class Exemption(models.Model):
    """A documented exception: a known, approved and temporary deviation from a control.

    Written once by `exemption_propose`; afterwards only the decision fields are set, each once, by the
    services (approve, revoke, replaced by an approved replacement). A change to an approved exemption is a
    new proposal with `replaces` set: the old one stays in force, unchanged, until the CISO approves the new.
    """

    DECISION_FIELDS = frozenset({"approved_by", "approved_at", "revoked_by", "revoked_at", "replaced_at"})

    title = models.CharField(max_length=200)
    controls = models.ManyToManyField(Control, related_name="exemptions")
    reason = models.TextField()
    compensating_measures = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="requested_exemptions"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_exemptions"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="revoked_exemptions"
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacements",
        help_text="The approved exemption this proposal changes; it ends when this one is approved.",
    )
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="When an approved replacement ended it.")

    history = HistoricalRecords(m2m_fields=[controls])
    objects = ExemptionQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._check_decision(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _check_decision(self, update_fields) -> None:
        if update_fields is None or not set(update_fields) <= self.DECISION_FIELDS:
            raise ExemptionIsDecided(
                "An exemption cannot be edited; withdraw the proposal or propose a replacement for it."
            )
        stored = type(self).objects.filter(pk=self.pk).values(*update_fields).first() or {}
        attname = {name: self._meta.get_field(name).attname for name in stored}
        changed = [
            name for name, value in stored.items() if value is not None and value != getattr(self, attname[name])
        ]
        if changed:
            raise ExemptionIsDecided(f"This exemption was already decided ({', '.join(changed)}).")

    def delete(self, *args, **kwargs):
        raise ExemptionIsDecided("An exemption is kept for the record; revoke it instead.")

    def state_at(self, at: datetime | None = None) -> ExemptionState:
        """The one definition of an exemption's state; `exemption_state_q` is the same rule as a filter."""
        if self.revoked_at:
            return ExemptionState.REVOKED
        if self.replaced_at:
            return ExemptionState.REPLACED
        if not self.approved_at:
            return ExemptionState.PROPOSED
        if self.expires_at <= (at or timezone.now()):
            return ExemptionState.EXPIRED
        return ExemptionState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at().value

    @property
    def last_day(self) -> date:
        return last_day_in_force(self.expires_at)


@receiver(m2m_changed, sender=Exemption.controls.through)
def _controls_fixed_once_proposed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """The controls are set with the proposal; after a decision they never change, from either side."""
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if reverse:
        exemptions = Exemption.objects.filter(pk__in=pk_set) if pk_set is not None else instance.exemptions.all()
    else:
        exemptions = Exemption.objects.filter(pk=instance.pk)
    if exemptions.exclude(exemption_state_q(ExemptionState.PROPOSED)).exists():
        raise ExemptionIsDecided("The controls of a decided exemption cannot change; propose a replacement.")
