"""The CISO's dashboard: where each framework stands."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.decorators import viewer_required
from compliance.models import ControlStatus, Framework


@viewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    per_status = {status: Count("controls", filter=Q(controls__status=status)) for status in ControlStatus.values}
    frameworks = Framework.objects.annotate(total=Count("controls"), **per_status)
    return TemplateResponse(
        request, "compliance/dashboard.html", {"frameworks": frameworks, "statuses": ControlStatus.choices}
    )
