"""How the pages answer htmx: a fragment when htmx asks for part of a page, the whole page otherwise."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django_htmx.http import trigger_client_event


def wants_fragment(request: HttpRequest) -> bool:
    """htmx swapping part of the page; a history restore after a cache miss needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request and not request.htmx.boosted


def page_or_fragment(request: HttpRequest, template: str, context: dict, fragments: set[str]) -> TemplateResponse:
    """Renders the partial named by the htmx target when it is one of `fragments`, else the page."""
    target = request.htmx.target if wants_fragment(request) else None
    name = f"{template}#{target}" if target in fragments else template
    response = TemplateResponse(request, name, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def changed(request: HttpRequest, obj, template: str, context: dict, message: str, event: str) -> HttpResponse:
    """After a successful change: the redrawn fragment for htmx (and an event for the rest of the page),
    or, without JavaScript, back to the object's page with a message."""
    if wants_fragment(request):
        response = TemplateResponse(request, template, {**context, "message": message})
        return trigger_client_event(response, event)
    messages.success(request, message)
    return redirect(obj)
