"""Questions and answers on a control's page: post a comment or a reply, get the thread list back (htmx)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from accounts.decorators import viewer_required
from compliance import detail, services
from compliance.forms import CommentForm
from compliance.models import ControlComment
from compliance.views.controls import full_page, visible_control
from compliance.views.htmx import changed, wants_fragment

PARTIAL = "compliance/_comments.html#comments"


@require_POST
@viewer_required  # everyone with access may comment (roles.can_comment); the service asks again
def control_comment_add(request: HttpRequest, framework: str, ref: str) -> HttpResponse:
    control = visible_control(request, framework, ref)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = None
        if parent_id := form.cleaned_data["parent"]:
            parent = ControlComment.objects.filter(pk=parent_id).first()
        try:
            services.control_comment_add(
                control=control, actor=request.user, body=form.cleaned_data["body"], parent=parent
            )
        except ValidationError as refusal:
            for field, problems in refusal.message_dict.items():
                form.add_error("body" if field in ("body", "parent") else None, problems)
        else:
            context = detail.comments_section(control, request.user)
            return changed(request, control, PARTIAL, context, "Comment posted.", "controlChanged")
    context = detail.comments_section(control, request.user, form, thread=form.data.get("parent") or None)
    if wants_fragment(request):
        return TemplateResponse(request, PARTIAL, context)
    return full_page(request, control, **{k: v for k, v in context.items() if k != "control"})
