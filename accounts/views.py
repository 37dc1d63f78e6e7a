"""My API tokens: create one (its secret shown once), see when each was last used, revoke it.

The CISO also sees everyone's usable tokens and can revoke them, e.g. when someone leaves or a token leaks.
Below them: the People page (CISO only) and the invitation link that lets an invited person join.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts import roles, services
from accounts.decorators import manager_required, viewer_required
from accounts.forms import AccessForm, InviteForm
from accounts.models import Invitation, Membership, Role
from accounts.sso import sso_enabled
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


# --- People: the CISO's list of members and invitations ------------------------------------------------------

INVITATION_SESSION_KEY = "invitation_token"


def _people_page(request: HttpRequest, invite_form: InviteForm, status: int = 200) -> HttpResponse:
    people = get_user_model().objects.select_related("membership").order_by("-is_active", "username")
    context = {
        "people": people,
        "roles": Role.choices,
        "invite_form": invite_form,
        "invitations": Invitation.objects.open().select_related("invited_by"),
        "sso_enabled": sso_enabled(),
        "invitation_days": settings.INVITATION_DAYS,
    }
    return TemplateResponse(request, "accounts/people.html", context, status=status)


@manager_required
def people(request: HttpRequest) -> HttpResponse:
    return _people_page(request, InviteForm(initial={"role": Role.ENGINEER}))


@require_POST
@manager_required
def people_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.membership_invite(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                access_expires_at=form.expires_at(),
                actor=request.user,
                link_for=lambda token: request.build_absolute_uri(
                    f"{reverse('invitation-open')}?{urlencode({'token': token})}"
                ),
            )
        except ValidationError as refusal:
            form.add_error(None, refusal.messages)
        except OSError:
            form.add_error(None, "The invitation email could not be sent; nothing was recorded. Try again later.")
        else:
            days = settings.INVITATION_DAYS
            messages.success(request, f"Invitation sent to {invitation.email}; the link works once, for {days} days.")
            return redirect("people")
    return _people_page(request, form, status=400)


@require_POST
@manager_required
def person_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model().objects.select_related("membership"), pk=pk, is_active=True)
    form = AccessForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{person}: " + " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("people")
    role, expires_at = form.cleaned_data["role"], form.expires_at()
    membership = Membership.objects.filter(user=person).first()
    if membership is None:
        change = partial(services.membership_grant, user=person)
    else:
        change = partial(services.membership_change_role, membership=membership)
    change = partial(change, role=role, expires_at=expires_at, actor=request.user)
    return _person_changed(request, person, change, f"{person} is now {Role(role).label}.")


@require_POST
@manager_required
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    change = partial(services.membership_deactivate, user=person, actor=request.user)
    return _person_changed(request, person, change, f"{person} is deactivated: signed out, API tokens revoked.")


def _person_changed(request: HttpRequest, person, change: Callable[[], object], done: str) -> HttpResponse:
    """Back to the list, saying what changed or which rule refused it."""
    try:
        change()
    except ValidationError as refusal:
        messages.error(request, f"{person}: {' '.join(refusal.messages)}")
    else:
        messages.success(request, done)
    return redirect("people")


@require_POST
@manager_required
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = services.invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk), actor=request.user)
    messages.success(request, f"The invitation to {invitation.email} can no longer be used.")
    return redirect("people")


def _signed_out_only(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        raise PermissionDenied(
            f"You are signed in as {request.user}. An invitation creates a new account: sign out first, "
            "or open the link in another browser."
        )


@require_GET
def invitation_open(request: HttpRequest) -> HttpResponse:
    """The emailed link, `/invitation/?token=...`. The token is in the query string, which Django's request log
    leaves out, and moves at once to the session while the browser goes to a URL without it, so it never
    appears in a Referer header or the browser's history (as in Django's password reset)."""
    _signed_out_only(request)
    request.session[INVITATION_SESSION_KEY] = request.GET.get("token", "")
    return redirect("invitation-accept")


def invitation_accept(request: HttpRequest) -> HttpResponse:
    _signed_out_only(request)
    token = request.session.get(INVITATION_SESSION_KEY, "")
    invitation = services.invitation_from_link(token) if token else None
    if invitation is None:
        return TemplateResponse(request, "registration/invitation_accept.html", {"invalid": True}, status=410)
    form = SetPasswordForm(get_user_model()(username=invitation.email, email=invitation.email), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            del request.session[INVITATION_SESSION_KEY]
            messages.success(request, f"Your account is ready. Sign in as {invitation.email}.")
            return redirect(f"{reverse('login')}?username={invitation.email}")
    context = {"invitation": invitation, "form": form}
    status = 400 if form.errors else 200
    response = TemplateResponse(request, "registration/invitation_accept.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response
