"""Threaded comments on a control: an auditor's question and the owner's answer. Appended, never changed."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.models.register import Control

# `@username` at the start or after a space or bracket, so `ada@example.com` mentions nobody.
MENTION = re.compile(r"(?:^|(?<=[\s(\[]))@([\w.+-]+)")
BODY_MAX = 5000


class ControlCommentIsPermanent(Exception):
    """A comment is part of the record: it is never edited or deleted through the app; reply instead."""


class ControlCommentQuerySet(models.QuerySet):
    def threads(self) -> ControlCommentQuerySet:
        """The first comment of each thread (a question); replies hang from it."""
        return self.filter(parent__isnull=True)

    def unanswered(self) -> ControlCommentQuerySet:
        """Threads nobody but their author has replied to: a question still waiting."""
        answered = ControlComment.objects.filter(parent=models.OuterRef("pk")).exclude(author=models.OuterRef("author"))
        return self.threads().exclude(models.Exists(answered))

    def update(self, **kwargs):
        raise ControlCommentIsPermanent("Comments cannot be changed.")

    def delete(self):
        raise ControlCommentIsPermanent("Comments cannot be deleted.")


class ControlComment(models.Model):
    """One comment; `parent` makes it a reply to a thread's first comment (threads are one level deep)."""

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="control_comments")
    body = models.TextField(max_length=BODY_MAX)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ControlCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["control", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.control_id}: {self.body[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ControlCommentIsPermanent("Comments cannot be changed; reply instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ControlCommentIsPermanent("Comments cannot be deleted.")

    @property
    def thread_id(self) -> int:
        return self.parent_id or self.pk

    def mentioned_usernames(self) -> list[str]:
        """The `@username`s in the body, each once, in order (a trailing full stop is punctuation)."""
        names = (name.rstrip(".") for name in MENTION.findall(self.body))
        return list(dict.fromkeys(name for name in names if name))
