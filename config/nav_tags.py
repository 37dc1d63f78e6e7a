"""The navigation's one question: is this link where the person is now?"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, url: str, label: str, count: int = 0) -> str:
    """A navigation link, marked `aria-current="page"` on its own page and the pages under it.

    A link with a query (My controls is /controls/?owner=me) is current only on exactly that view; the
    dashboard only on `/`, which every path starts with.
    """
    if count:
        label = f"{label} ({count})"
    request = context["request"]
    path, _, query = url.partition("?")
    if query:
        current = request.get_full_path() == url
    elif path == "/":
        current = request.path == "/"
    else:
        current = request.path.startswith(path)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)
