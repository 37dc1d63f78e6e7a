"""My API tokens: create one (its secret shown once), see when each was last used, revoke it.

The CISO also sees everyone's usable tokens and can revoke them, e.g. when someone leaves or a token leaks.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.decorators import viewer_required
from accounts.tokens import ApiToken, api_token_create, api_token_revoke

LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never (revoke it yourself)")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “CI evidence upload”.")
    lifetime = forms.ChoiceField(choices=LIFETIMES, initial="90", required=False, label="Expires after")

    def expires_at(self):
        days = self.cleaned_data["lifetime"]
        return timezone.now() + timedelta(days=int(days)) if days else None


def _page(request: HttpRequest, form: ApiTokenForm, secret: str | None = None, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user),
        "others": (
            ApiToken.objects.usable().exclude(user=request.user).select_related("user")
            if roles.can_manage(request.user)
            else None
        ),
    }
    response = TemplateResponse(request, "accounts/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret that must not sit in a cache
    return response


@viewer_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    issued = api_token_create(user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
    return _page(request, ApiTokenForm(), secret=issued.secret)


@require_POST
@viewer_required
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    tokens = ApiToken.objects.all() if roles.can_manage(request.user) else ApiToken.objects.filter(user=request.user)
    token = api_token_revoke(token=get_object_or_404(tokens, pk=pk), actor=request.user)
    messages.success(request, f"Token “{token.name}” is revoked; requests using it are refused from now on.")
    return redirect("api-tokens")


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes answers with this when earlier failures lock the username or the address (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    )
