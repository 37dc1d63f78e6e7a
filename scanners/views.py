"""Scan pages: accounts and runs with live progress, one run's errors and findings, the latest findings."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts import roles
from accounts.decorators import manager_required, viewer_required
from config.keyset import InvalidCursor, KeysetPage, keyset_page, keyset_page_with_total, page_number_redirect
from scanners import background, engine
from scanners.check_settings import check_settings_of
from scanners.checks import base as checks
from scanners.forms import CheckSettingForm, FindingFilterForm, ResourceFilterForm, setting_value_as_text
from scanners.models import (
    RESOURCES_ORDER,
    RESULTS_ORDER,
    CheckSetting,
    CheckStatus,
    CloudAccount,
    FindingStatus,
    Resource,
    RunState,
    ScanRun,
    ScanUnit,
    UnitState,
)
from scanners.services import check_setting_change, check_setting_reset, scan_request, schedule_describe
from scanners.verdict import controls_of_checks

RUNS_PER_PAGE = 25
FINDINGS_PER_PAGE = 100
RESOURCES_PER_PAGE = 100
RESOURCES_PER_GROUPED_PAGE = 25
HISTORY_PER_PAGE = 50


def _registry() -> dict[str, checks.Check]:
    engine.registries_load()
    return {check.id: check for check in checks.all_checks()}


def _with_checks(rows, registry: dict[str, checks.Check]) -> list:
    """Attach each row's check and the Control rows it evidences (one query for the whole page).

    The controls cell is rendered once per check, not per row: every row of a check shows the same
    links, and rendering them a hundred times was most of the page's template time.
    """
    rows = list(rows)
    cells = _controls_cells([registry[row.check_id] for row in rows if row.check_id in registry])
    for row in rows:
        row.check = registry.get(row.check_id)
        row.controls_cell = cells.get(row.check_id, "—")
    return rows


def _controls_cells(used: list[checks.Check]) -> dict[str, str]:
    """Each check's controls cell, rendered once: one query for the Control rows of all of them."""
    used = list({check.id: check for check in used}.values())
    controls = controls_of_checks(used)
    return {
        check.id: render_to_string(
            "scanners/_finding_controls.html", {"controls": [controls[r] for r in check.controls if r in controls]}
        )
        for check in used
    }


@require_safe
@viewer_required
def scan_list(request: HttpRequest) -> HttpResponse:
    latest = ScanRun.objects.filter(account=OuterRef("pk")).order_by("-created_at", "-pk")
    accounts = (
        CloudAccount.objects.visible_to(request.user)
        .select_related("schedule__crontab", "schedule__interval")
        .annotate(last_run_id=Subquery(latest.values("pk")[:1]))
    )
    accounts = list(accounts)
    last_runs = ScanRun.objects.in_bulk([a.last_run_id for a in accounts if a.last_run_id])
    for account in accounts:
        account.schedule_text = schedule_describe(account.schedule)
        account.last_run = last_runs.get(account.last_run_id)
    runs = ScanRun.objects.visible_to(request.user).select_related("account", "triggered_by")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    if request.htmx:
        return TemplateResponse(request, "scanners/scan_list.html#runs", {"page": page})
    return TemplateResponse(
        request,
        "scanners/scan_list.html",
        {"accounts": accounts, "page": page, "can_scan": roles.can_manage(request.user)},
    )


@require_POST
@viewer_required
def scan_now(request: HttpRequest, account_id: int) -> HttpResponse:
    if not roles.can_manage(request.user):
        raise PermissionDenied("Only the CISO can start a scan.")
    account = get_object_or_404(CloudAccount.objects.visible_to(request.user), pk=account_id)
    in_process = background.runs_in_process()  # no broker: the run goes to a thread, not into this request
    try:
        run = scan_request(account=account, actor=request.user, enqueue=not in_process)
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=409)
    if in_process and not run.is_finished:  # a new run, or one left by a process that stopped (resumed)
        transaction.on_commit(lambda: background.scan_start(run_id=run.pk))
    if run.state == RunState.FAILED:  # the broker was unreachable: the run says so, and so does the answer
        reason = run.errors[0]["reason"] if run.errors else "unknown"
        return HttpResponse(f"Scan {run.pk} of {account.name} {reason}. Try again later.", status=503)
    if request.htmx:
        response = TemplateResponse(request, "scanners/scan_list.html#run-progress", {"run": run})
        return trigger_client_event(response, "scansChanged")  # the runs table reloads itself
    return redirect("scan-list")


@require_safe
@viewer_required
def scan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ScanRun.objects.visible_to(request.user), pk=pk)
    if request.GET.get("on") == "detail":
        units = list(run.units.only("run_id", "service", "region", "state"))
        response = TemplateResponse(request, "scanners/scan_detail.html#progress", _progress_context(run, units))
        if run.is_finished:
            response["HX-Refresh"] = "true"  # the run's page reloads once, now with its findings
        return response
    response = TemplateResponse(request, "scanners/scan_list.html#run-progress", {"run": run})
    return trigger_client_event(response, "scansChanged") if run.is_finished else response


def _findings_page(request: HttpRequest, rows) -> KeysetPage:
    try:
        page = keyset_page_with_total(
            rows, ordering=RESULTS_ORDER, cursor=request.GET.get("cursor"), size=FINDINGS_PER_PAGE
        )
    except InvalidCursor as exc:
        raise Http404("This page of results does not exist.") from exc
    page.rows = _with_checks(page.rows, _registry())
    return page


def _progress_context(run: ScanRun, units: list[ScanUnit]) -> dict:
    """What the progress bar of the run's page shows: units done, and the others by state."""
    counts = Counter(unit.state for unit in units)
    return {
        "run": run,
        "units": units,
        "units_waiting": [f"{counts[s]} {s}" for s in (UnitState.RUNNING, UnitState.QUEUED) if counts[s]],
        "running_units": [f"{unit.service} in {unit.region}" for unit in units if unit.state == UnitState.RUNNING],
    }


@require_safe
@viewer_required
def scan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if numbered := page_number_redirect(request):
        return numbered
    run = get_object_or_404(ScanRun.objects.visible_to(request.user).select_related("account", "triggered_by"), pk=pk)
    page = _findings_page(request, run.findings.select_related("resource").defer("resource__config", "resource__tags"))
    context = {**_progress_context(run, list(run.units.all())), "page": page}
    return TemplateResponse(request, "scanners/scan_detail.html", context)


@require_safe
@viewer_required
def finding_list(request: HttpRequest) -> HttpResponse:
    if numbered := page_number_redirect(request):
        return numbered
    registry = _registry()
    form = FindingFilterForm(request.GET or None, checks=sorted(registry.values(), key=lambda c: c.id))
    # A resource's document (config) can be large and a list shows only its name and uid.
    latest = (
        CheckStatus.objects.visible_to(request.user)
        .select_related("resource", "account")
        .defer("resource__config", "resource__tags")
    )
    if form.is_bound:
        latest = form.apply(latest)
    valid = form.is_bound and form.is_valid()
    context = {"form": form, "concerning": form.cleaned_data.get("control") if valid else ""}
    group = form.cleaned_data.get("group") if valid else ""
    if group == "check":
        context["check_groups"] = _by_check(latest, registry)
    elif group == "resource":
        context["page"] = _by_resource(request, latest)
    else:
        context["page"] = page = _findings_page(request, latest)
        for row in page.rows:  # why each result concerns the control the list is filtered by
            row.speaks = form.speaks.get(row.check_id)
    return TemplateResponse(request, "scanners/finding_list.html", context)


def _by_check(latest, registry: dict[str, checks.Check]) -> list[dict]:
    """One row per check with its results counted by status, most failures first: one GROUP BY over the
    latest results (one row per check and resource, however many scans were kept), bounded by the checks."""
    counted = latest.order_by().values_list("check_id", "status").annotate(n=Count("*"))
    groups: dict[str, dict] = {}
    for check_id, status, n in counted:
        group = groups.setdefault(check_id, {"check_id": check_id, "check": registry.get(check_id), "total": 0})
        group[status] = n
        group["total"] += n
    rows = sorted(groups.values(), key=lambda g: (-g.get("fail", 0), -g.get("error", 0), g["check_id"]))
    cells = _controls_cells([g["check"] for g in rows if g["check"]])
    for group in rows:
        group["controls_cell"] = cells.get(group["check_id"], "—")
    return rows


def _by_resource(request: HttpRequest, latest) -> KeysetPage:
    """A page of resources that have a result matching the filters, in the inventory's order, each with
    those results: three queries (the page, its estimate, the results of its resources) at any depth."""
    matching = latest.filter(resource=OuterRef("pk"))
    resources = Resource.objects.visible_to(request.user).filter(Exists(matching)).select_related("account")
    try:
        page = keyset_page_with_total(
            resources.defer("config", "tags"),
            ordering=RESOURCES_ORDER,
            cursor=request.GET.get("cursor"),
            size=RESOURCES_PER_GROUPED_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404("This page of resources does not exist.") from exc
    results = latest.filter(resource__in=[resource.pk for resource in page.rows]).order_by("resource_id", "status")
    by_resource: dict[int, list] = {}
    for row in _with_checks(results, _registry()):
        by_resource.setdefault(row.resource_id, []).append(row)
    for resource in page.rows:
        resource.results = by_resource.get(resource.pk, [])
    return page


HISTORY_SHOWN = 50


def _check_settings_page(request: HttpRequest, account: CloudAccount, form: CheckSettingForm | None = None):
    """The page, or (htmx) its settings section, with the refused form shown beside its setting."""
    states = check_settings_of(account)
    for state in states:
        state_form = form if form and form.data.get("check_id") == state.check_id else None
        state.form = state_form if state_form and state_form.data.get("key") == state.key else None
        state.value_text = setting_value_as_text(state.value)
        state.default_text = setting_value_as_text(state.default) if state.setting else "—"
    history = list(
        CheckSetting.history.filter(account_id=account.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_SHOWN]
    )
    for version in history:
        version.value_text = setting_value_as_text(version.value)
    context = {
        "account": account,
        "states": states,
        "setting_form": form,
        "unplaced_errors": form is not None and not any(state.form for state in states),
        "history": history,
        "can_change": roles.can_manage(request.user),
    }
    template = "scanners/check_settings.html#settings" if request.htmx else "scanners/check_settings.html"
    return TemplateResponse(request, template, context)


@require_safe
@viewer_required
def check_settings(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(CloudAccount.objects.visible_to(request.user), pk=account_id)
    return _check_settings_page(request, account)


def _check_setting_write(request: HttpRequest, account_id: int, write) -> HttpResponse:
    """Change or reset as the posted form says; a refusal is shown beside its setting, as the page's form errors."""
    account = get_object_or_404(CloudAccount.objects.visible_to(request.user), pk=account_id)
    form = CheckSettingForm(request.POST)
    if form.is_valid():
        try:
            write(account, form)
        except ValidationError as refusal:
            form.add_error(None, refusal)
    if form.errors:
        return _check_settings_page(request, account, form)
    if request.htmx:
        return _check_settings_page(request, account)
    return redirect("check-settings", account_id=account.pk)


@require_POST
@manager_required
def check_setting_change_view(request: HttpRequest, account_id: int) -> HttpResponse:
    def change(account: CloudAccount, form: CheckSettingForm) -> None:
        data = form.cleaned_data
        check_setting_change(
            account=account, check_id=data["check_id"], key=data["key"], value=form.typed_value(), actor=request.user
        )

    return _check_setting_write(request, account_id, change)


@require_POST
@manager_required
def check_setting_reset_view(request: HttpRequest, account_id: int) -> HttpResponse:
    def reset(account: CloudAccount, form: CheckSettingForm) -> None:
        data = form.cleaned_data
        check_setting_reset(account=account, check_id=data["check_id"], key=data["key"], actor=request.user)

    return _check_setting_write(request, account_id, reset)


@require_safe
@viewer_required
def resource_list(request: HttpRequest) -> HttpResponse:
    """The inventory: every resource a scan has seen, with how many of its latest results fail."""
    form = ResourceFilterForm(request.GET or None)
    failing = CheckStatus.objects.filter(resource=OuterRef("pk"), status=FindingStatus.FAIL)
    resources = (
        Resource.objects.visible_to(request.user)
        .select_related("account")
        .defer("config", "tags")
        .annotate(failing=Subquery(failing.order_by().values("resource").annotate(n=Count("id")).values("n")))
    )
    if form.is_bound:
        resources = form.apply(resources)
    try:
        page = keyset_page_with_total(
            resources, ordering=RESOURCES_ORDER, cursor=request.GET.get("cursor"), size=RESOURCES_PER_PAGE
        )
    except InvalidCursor as exc:
        raise Http404("This page of resources does not exist.") from exc
    return TemplateResponse(request, "scanners/resource_list.html", {"form": form, "page": page})


@require_safe
@viewer_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One resource: what it is, its latest result per check, and every scan's findings on it, newest first."""
    resource = get_object_or_404(Resource.objects.visible_to(request.user).select_related("account"), pk=pk)
    latest = _with_checks(resource.check_statuses.order_by(*RESULTS_ORDER), _registry())
    history = resource.findings.select_related("run").defer("details", "run__errors", "run__check_settings")
    try:
        page = keyset_page(history, ordering=HISTORY_ORDER, cursor=request.GET.get("cursor"), size=HISTORY_PER_PAGE)
    except InvalidCursor as exc:
        raise Http404("This page of findings does not exist.") from exc
    context = {"resource": resource, "latest": latest, "page": page, "registry": _registry()}
    for row in page.rows:
        row.check = context["registry"].get(row.check_id)
    return TemplateResponse(request, "scanners/resource_detail.html", context)


# A resource's findings, newest scan first: the foreign key's index finds the resource's rows, a few per scan.
HISTORY_ORDER = ("-run_id", "-id")
