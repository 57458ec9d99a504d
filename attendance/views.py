"""Attendance pages, phone-first. Views parse input, call a selector or a service, and render
or redirect.

Every object is fetched through a `_get_<x>_for_user` helper that starts from the scoping gate:
outside the user's jurisdiction is a 404 (we do not confirm it exists); inside it but not the
user's to act on is a 403 (the services raise PermissionDenied, Django answers 403).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assignments import dates, export_jobs
from assignments import selectors as gate
from assignments.access import day_param, month_param, month_refused_message, next_url, profile_required, year_param
from assignments.access import page_of as _page
from assignments.access import require_roles as _require_roles
from assignments.models import Cadre, ExportJob, Finding, Region
from assignments.text import list_join

from . import exports, selectors, services
from .forms import (
    CheckinForm,
    CorrectionForm,
    DecisionForm,
    FindingFilterForm,
    LeaveForm,
    LeaveReturnForm,
    LocationSettingForm,
    ResolveForm,
    ReviewForm,
    WorkingDaySetForm,
    WorkLogForm,
    apply_service_errors,
    finding_filter_form,
)
from .models import LeaveRequest, PresenceRecord

Role = gate.Role


# --- access helpers -------------------------------------------------------------------------




def _require_cadre(request: HttpRequest) -> Cadre:
    scope = _require_roles(request, Role.CADRE)
    if not scope.cadre_id:
        raise PermissionDenied(_("Your account is not linked to a cadre record; ask county staff."))
    return Cadre.objects.get(pk=scope.cadre_id)


def _get_cadre_for_user(request: HttpRequest, pk: int) -> Cadre:
    return get_object_or_404(gate.cadres_for_user(request.user), pk=pk)


def _get_leave_for_user(request: HttpRequest, pk: int) -> LeaveRequest:
    return get_object_or_404(
        selectors.leaves_for_user(request.user).select_related("cadre", "assignment__village", "decided_by"), pk=pk
    )


def _get_presence_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> PresenceRecord:
    record = get_object_or_404(selectors.presence_for_user(request.user).select_related("assignment__village"), pk=pk)
    if manage and not gate.can_manage_county(request.user, record.assignment.village.county_id):
        raise PermissionDenied(_("Only staff of the cadre's county review check-ins."))
    return record


def _get_finding_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> Finding:
    finding = get_object_or_404(gate.findings_for_user(request.user), pk=pk)
    if manage and not gate.can_manage_county(request.user, finding.county_id):
        raise PermissionDenied(_("Only staff of the finding's county resolve it."))
    return finding


def _month(request: HttpRequest) -> dt.date:
    """?month=YYYY-MM within the programme's years (assignments.dates); anything else is this
    month, and the page says so."""
    return month_param(request, today=timezone.localdate())


def _neighbour_months(month: dt.date) -> tuple[str | None, str | None]:
    return dates.neighbour_months(month, today=timezone.localdate())


# --- cadre: check-in --------------------------------------------------------------------------


CHECKIN_POSITION_FIELDS = ("latitude", "longitude", "accuracy")


@profile_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The service checks the role itself; no Cadre row is loaded on this hot path.
        _require_roles(request, Role.CADRE)
        # Coordinates come only where the county checks locations. Bad ones are dropped, not
        # fatal: the check-in is stored and goes to review.
        data = {}
        if any(request.POST.get(name) for name in CHECKIN_POSITION_FIELDS):
            form = CheckinForm(request.POST)
            data = form.cleaned_data if form.is_valid() else {}
        # The page's script asks for JSON and shows the answer in place (one request per tap);
        # a plain form post gets the usual message and redirect. (META, not request.headers,
        # which copies every header into a new mapping: this is the busiest request of the app.)
        wants_json = request.META.get("HTTP_ACCEPT", "").startswith("application/json")
        try:
            result = services.presence_checkin(
                user=request.user, latitude=data.get("latitude"), longitude=data.get("longitude"),
                accuracy=data.get("accuracy"),
            )
        except ValidationError as exc:
            if wants_json:
                return JsonResponse({"created": False, "message": " ".join(exc.messages)}, status=400)
            messages.error(request, " ".join(exc.messages))
        else:
            review = result.record.review_status == PresenceRecord.Review.NEEDS_REVIEW
            if wants_json:
                return JsonResponse({"created": result.created, "review": review, "message": result.message})
            level = messages.SUCCESS if result.created and not review else messages.INFO
            messages.add_message(request, level, result.message)
        return redirect("attendance:checkin")
    today = timezone.localdate()
    cadre = _require_cadre(request)
    assignment = selectors.assignment_on(cadre=cadre, day=today)
    record = PresenceRecord.objects.filter(cadre=cadre, date=today).first()
    located = assignment is not None and selectors.location_checkin_enabled(county_id=assignment.village.county_id)
    return render(request, "attendance/checkin.html", {
        "cadre": cadre, "assignment": assignment, "record": record, "today": today, "located": located,
        "form": CheckinForm(),
        # The leave that needs the cadre first: begun and waiting for 销假, then the nearest ahead.
        "open_leave": selectors.leaves_for_user(request.user).filter(
            status__in=[LeaveRequest.Status.SUBMITTED, LeaveRequest.Status.APPROVED]).order_by(
            Case(When(status=LeaveRequest.Status.APPROVED, start__lte=today, then=0), default=1), "start").first(),
    })


# --- calendar -------------------------------------------------------------------------------------


@profile_required
def calendar_mine(request: HttpRequest) -> HttpResponse:
    cadre = _require_cadre(request)
    return redirect("attendance:calendar", pk=cadre.pk)


@profile_required
def calendar(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _get_cadre_for_user(request, pk)
    month = _month(request)
    services.working_days_ensure(start=month, end=selectors.month_bounds(month)[1])
    data = selectors.month_calendar(user=request.user, cadre=cadre, month=month, today=timezone.localdate())
    prev, nxt = _neighbour_months(month)
    return render(request, "attendance/calendar.html", {
        "cadre": cadre, "cal": data, "month": month, "prev": prev, "next": nxt,
        "fallback": selectors.calendar_fallback_years(years=[month.year]),
    })


# --- leave ----------------------------------------------------------------------------------------


# The longest name search the leave list reads (a Chinese name is two to four characters).
LEAVE_NAME_MAX = 20


@profile_required
def leave_list(request: HttpRequest) -> HttpResponse:
    """The leave in scope, by status, time, one cadre (?cadre=<id>, from the cadre's page or a
    leave request; out of scope is a 404, as everywhere) or a name typed into the search."""
    scope = gate.scope_for_user(request.user)
    is_cadre = scope.role == Role.CADRE
    status, when = request.GET.get("status", ""), request.GET.get("when", "")
    cadre = None
    if request.GET.get("cadre", "").isdigit():
        cadre = _get_cadre_for_user(request, int(request.GET["cadre"]))
    # A cadre reads only their own leave: nothing to search for.
    name = "" if is_cadre else request.GET.get("name", "").strip()[:LEAVE_NAME_MAX]
    qs = selectors.leaves_filtered(
        selectors.leaves_for_user(request.user).select_related("cadre", "assignment__village"),
        today=timezone.localdate(), status=status, when=when, cadre=cadre, name=name)
    return render(request, "attendance/leave_list.html", {
        "page": _page(request, qs), "status": status, "is_cadre": is_cadre, "when": when,
        "cadre": cadre, "name": name,
        "filtered": bool(cadre or name or status in LeaveRequest.Status.values or when in selectors.LEAVE_WHEN),
        "whens": [("now", _("Away on leave today")), ("soon", _("Leaving within 7 days"))],
        # Drafts are the cadre's own (leaves_for_user): nobody else is offered a filter for them.
        "statuses": [c for c in LeaveRequest.Status.choices if is_cadre or c[0] != LeaveRequest.Status.DRAFT],
    })


@profile_required
@require_http_methods(["GET", "POST"])
def leave_create(request: HttpRequest) -> HttpResponse:
    _require_cadre(request)
    form = LeaveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            leave = services.leave_request_create(user=request.user, kind=d["kind"], start=d["start"], end=d["end"],
                                                  reason=d["reason"], submit=d["submit_now"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if leave.status == LeaveRequest.Status.SUBMITTED:
                messages.success(request, _("Leave request of %(days)d days submitted: %(who)s decides.") % {
                    "days": leave.days, "who": selectors.leave_decider_label(leave=leave)})
            else:
                messages.success(request, _("Leave request saved as a draft: %(days)d days.") % {"days": leave.days})
            return redirect("attendance:leave_detail", pk=leave.pk)
    return render(request, "attendance/form.html", {
        "form": form, "title": _("Ask for leave"), "cancel_url": reverse("attendance:leave_list"),
    })


@profile_required
def leave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    leave = _get_leave_for_user(request, pk)
    scope = gate.scope_for_user(request.user)
    own = scope.role == Role.CADRE and scope.cadre_id == leave.cadre_id
    today = timezone.localdate()
    return render(request, "attendance/leave_detail.html", {
        "leave": leave, "own": own,
        "can_decide": leave.status == LeaveRequest.Status.SUBMITTED and selectors.leave_can_decide(request.user, leave)
        and leave.cadre.user_id != request.user.id,
        "can_cancel": own and selectors.leave_cancellable(leave=leave, today=today),
        # 销假 once the leave has begun; the planned first day back is offered once it has come.
        "can_return": own and leave.status == LeaveRequest.Status.APPROVED and leave.start <= today,
        "decision_form": DecisionForm(),
        "return_form": LeaveReturnForm(initial={"actual_return_date": min(today, leave.end + dt.timedelta(days=1))}),
        "waiting_for": selectors.leave_decider_label(leave=leave) if leave.status == LeaveRequest.Status.SUBMITTED
        else "",
        "cancel_confirm": _("Cancel this leave request? It cannot be undone; you would ask again."),
        "history": leave.history.select_related("history_user").order_by("history_date"),
        "taken": selectors.leave_taken_in_year(leave=leave),
        # The cadre's calendar and their whole leave list, where those pages open for the reader.
        "cadre_opens": leave.cadre_id in gate.cadres_openable(request.user, [leave.cadre_id]),
    })


def _leave_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    leave = _get_leave_for_user(request, pk)
    try:
        action(leave)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("attendance:leave_detail", pk=leave.pk)


@profile_required
@require_POST
def leave_submit(request: HttpRequest, pk: int) -> HttpResponse:
    def act(leave):
        services.leave_request_submit(user=request.user, leave=leave)
        messages.success(request, _("Submitted for approval."))
    return _leave_action(request, pk, act)


@profile_required
@require_POST
def leave_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(leave):
        services.leave_request_cancel(user=request.user, leave=leave)
        messages.success(request, _("Leave request cancelled."))
    return _leave_action(request, pk, act)


@profile_required
@require_POST
def leave_return(request: HttpRequest, pk: int) -> HttpResponse:
    form = LeaveReturnForm(request.POST)

    def act(leave):
        if not form.is_valid():
            raise ValidationError(_("Give the day you were back in the village."))
        services.leave_request_return(user=request.user, leave=leave,
                                      actual_return_date=form.cleaned_data["actual_return_date"])
        messages.success(request, _("Return reported. Welcome back."))
    return _leave_action(request, pk, act)


@profile_required
@require_POST
def leave_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)

    def act(leave):
        if not form.is_valid():
            raise ValidationError(_("Choose approve or reject."))
        d = form.cleaned_data
        if d["decision"] == "approve":
            services.leave_request_approve(user=request.user, leave=leave, comment=d["comment"])
            messages.success(request, _("Leave approved."))
        else:
            services.leave_request_reject(user=request.user, leave=leave, comment=d["comment"])
            messages.success(request, _("Leave rejected."))
    return _leave_action(request, pk, act)


@profile_required
def leave_queue(request: HttpRequest) -> HttpResponse:
    _require_roles(request, Role.TOWNSHIP, Role.COUNTY)
    return render(request, "attendance/leave_queue.html", {
        "leaves": selectors.leave_queue_for_user(request.user),
        "limit": selectors.rule("LEAVE_TOWNSHIP_MAX_DAYS"),
    })


# --- township keeper ----------------------------------------------------------------------------


@profile_required
@require_http_methods(["GET", "POST"])
def keeper_grid(request: HttpRequest) -> HttpResponse:
    _require_roles(request, Role.TOWNSHIP, Role.COUNTY)
    today = timezone.localdate()
    day = day_param(request, today=today, value=request.POST.get("day", "") if request.method == "POST" else None)
    if day is None and request.method == "POST":
        return redirect("attendance:keeper_grid")  # nothing saved; the message says why
    day = day or today
    if request.method == "POST":
        entries = {}
        for key, value in request.POST.items():
            if key.startswith("kind_") and key[5:].isdigit() and value:
                entries[int(key[5:])] = value
        try:
            result = services.presence_record_bulk(user=request.user, day=day, entries=entries)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d records saved, %(u)d unchanged.") % {
                "n": result.created, "u": result.unchanged})
            if result.conflicts:
                messages.warning(request, _("Already recorded differently (use a correction with a reason): %(names)s")
                                 % {"names": list_join(result.conflicts)})
        return redirect(f"{reverse('attendance:keeper_grid')}?day={day.isoformat()}")
    if day > today:
        # A day to come has nothing to record yet (leave approved for it is already on it).
        messages.info(request, _("%(d)s has not come yet: attendance is recorded on the day or after.") % {
            "d": day.isoformat()})
        return redirect("attendance:keeper_grid")
    rows = selectors.keeper_grid_rows(user=request.user, day=day)
    services.working_days_ensure(start=day, end=day)
    # "Correct" on a row opens the correction form for that cadre (and keeps what was typed after
    # a refusal).
    correct = request.GET.get("correct", "")
    correct_row = next((a for a in rows if str(a.cadre_id) == correct), None)
    return render(request, "attendance/keeper_grid.html", {
        "correct_row": correct_row, "correct_reason": request.GET.get("reason", "")[:200],
        # A check-in under review or rejected is the county's to change (services.presence_correct).
        "is_county": gate.scope_for_user(request.user).role == Role.COUNTY,
        "working": selectors.month_working_days(day, day)[day],
        "rows": rows, "recorded": sum(1 for a in rows if a.record), "present": PresenceRecord.Kind.IN_VILLAGE,
        "day": day, "kinds": PresenceRecord.Kind.choices,
        # No step back past the programme's start (the parser would refuse it); forward stops at today.
        "prev": (day - dt.timedelta(days=1)).isoformat() if day > dates.PROGRAMME_START else None,
        "next": (day + dt.timedelta(days=1)).isoformat(),
        "today": today, "first_day": dates.PROGRAMME_START, "correction_form": CorrectionForm(initial={"day": day}),
    })


@profile_required
@require_POST
def presence_correct(request: HttpRequest) -> HttpResponse:
    _require_roles(request, Role.TOWNSHIP, Role.COUNTY)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the cadre, the day and what they were doing, and give a reason."))
        return redirect("attendance:keeper_grid")
    d = form.cleaned_data
    cadre = _get_cadre_for_user(request, d["cadre"])
    back = f"{reverse('attendance:keeper_grid')}?day={min(d['day'], timezone.localdate()).isoformat()}"
    try:
        services.presence_correct(user=request.user, cadre=cadre, day=d["day"], kind=d["kind"], reason=d["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        # Back to the same cadre's correction, with the reason as typed.
        return redirect(f"{back}&{urlencode({'correct': cadre.pk, 'reason': d['reason']})}#correction")
    messages.success(request, _("Record for %(name)s on %(day)s corrected.") % {
        "name": cadre.name, "day": d["day"].isoformat()})
    # Back to the day's grid (today's, if the day asked for lies ahead and cannot be kept yet).
    return redirect(back)


# --- county: review queue ------------------------------------------------------------------------


@profile_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require_roles(request, Role.COUNTY)
    return render(request, "attendance/review_queue.html", {
        "page": _page(request, selectors.review_queue_for_user(request.user)), "form": ReviewForm(),
    })


@profile_required
@require_POST
def presence_review(request: HttpRequest, pk: int) -> HttpResponse:
    record = _get_presence_for_user(request, pk, manage=True)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept or reject."))
        return redirect("attendance:review_queue")
    try:
        services.presence_review(user=request.user, record=record, accept=form.cleaned_data["decision"] == "accept",
                                 reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        accepted = form.cleaned_data["decision"] == "accept"
        messages.success(request, (_("Check-in of %(name)s on %(day)s accepted: it counts as a day in the village.")
                                   if accepted else
                                   _("Check-in of %(name)s on %(day)s rejected: it counts as no record.")) % {
            "name": record.cadre.name, "day": record.date.isoformat()})
    return redirect("attendance:review_queue")


# --- findings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FindingsRequest:
    form: FindingFilterForm
    findings: QuerySet[Finding]
    many_counties: bool
    refused: list[str]  # messages for filter values put back to their default
    query: str  # the filters applied, as an address's query (for the export link)


def _findings_for_request(request: HttpRequest) -> _FindingsRequest:
    """The findings list's filters, parsed, and the findings they select inside the user's
    scope (the page and its export use the same, so the file holds what the list shows). A
    value that is not one of the choices is put back to its default (finding_filter_form)."""
    regions = gate.regions_for_user(request.user)
    counties = regions.filter(level=Region.Level.COUNTY).select_related("parent").order_by("code")
    counties = counties if counties.count() > 1 else None
    townships = regions.filter(level=Region.Level.TOWNSHIP).select_related("parent").order_by("code")
    # Offered where it narrows something and stays short: county and city staff, not a township
    # or a cadre (one township or none), nor the province (thousands: it picks a county).
    townships = townships if 1 < townships.count() <= FINDING_TOWNSHIP_CHOICES else None
    # Open findings unless a status is asked for (also on ?page=2 of the default list).
    form, refused = finding_filter_form(request.GET, townships=townships, counties=counties)
    d = form.cleaned_data
    township, county = d.get("township"), d.get("county")
    qs = selectors.findings_filtered(gate.findings_for_user(request.user), kind=d["kind"], status=d["status"],
                                     month=d["month"], township_id=township.pk if township else None,
                                     county_id=county.pk if county else None)
    # Status always, even empty: "?status=" is "any status", its absence "open".
    applied = {name: form[name].value() for name in form.fields}
    query = urlencode({name: value or "" for name, value in applied.items() if value or name == "status"})
    # Most severe first, then the newest: what county staff should look at before the rest.
    return _FindingsRequest(form=form, findings=qs.order_by("-severity", "-first_seen", "village__code", "id"),
                            many_counties=counties is not None, refused=refused, query=query)


@profile_required
def finding_list(request: HttpRequest) -> HttpResponse:
    found = _findings_for_request(request)
    for message in found.refused:
        messages.warning(request, message)
    page = _page(request, found.findings)
    # Each cadre's name leads where its kind of finding is read (calendar month, leave, training).
    page.object_list = selectors.findings_linked(user=request.user, findings=page.object_list)
    today = timezone.localdate()
    return render(request, "attendance/finding_list.html", {
        "form": found.form, "page": page, "many_counties": found.many_counties,
        "can_manage": gate.managed_county(request.user) is not None, "resolve_form": ResolveForm(),
        "fallback": selectors.calendar_fallback_years(years=[today.year - 1, today.year]),
        "export_query": found.query,
    })


@profile_required
def finding_export(request: HttpRequest) -> HttpResponse:
    """The findings the list shows, with its filters, as .xlsx: one row per finding."""
    found = _findings_for_request(request)
    data = exports.findings_xlsx(findings=found.findings)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = _("Findings") + f"-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@profile_required
@require_POST
def finding_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _get_finding_for_user(request, pk, manage=True)
    form = ResolveForm(request.POST)
    form.is_valid()
    try:
        services.finding_resolve(user=request.user, finding=finding, note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Finding resolved."))
    return redirect(next_url(request, request.POST.get("next"), reverse("attendance:finding_list")))


@profile_required
@require_POST
def scan_run(request: HttpRequest) -> HttpResponse:
    """County staff run yesterday's scan for their county now. It runs in the request: one
    county is small and set-based, and the answer on the page is worth more than a queue."""
    _require_roles(request, Role.COUNTY)
    result = services.scan_county_now(user=request.user)
    # Found (already known ones included) and what changed, so "4 missing" beside a list of 3 new
    # findings does not read as a miscount.
    messages.success(request, _("Scan of %(day)s done: found %(m)d missing check-ins and %(u)d unreturned leave; "
                                "%(c)d new findings, %(r)d resolved automatically.") % {
        "day": result.day.isoformat(), "m": result.missing, "u": result.unreturned, "c": result.created,
        "r": result.resolved})
    return redirect("attendance:finding_list")


# --- county settings -----------------------------------------------------------------------------


@profile_required
@require_http_methods(["GET", "POST"])
def county_settings(request: HttpRequest) -> HttpResponse:
    """County staff decide whether their county uses positions at check-in (off by default)."""
    scope = _require_roles(request, Role.COUNTY)
    enabled, history = selectors.county_location_setting(user=request.user)
    form = LocationSettingForm(request.POST or None, initial={"location_checkin_enabled": enabled})
    if request.method == "POST" and form.is_valid():
        try:
            services.county_location_checkin_set(user=request.user,
                                                 enabled=form.cleaned_data["location_checkin_enabled"],
                                                 reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Location check-in is now on for %(county)s.") % {"county": scope.region.name}
                             if form.cleaned_data["location_checkin_enabled"] else
                             _("Location check-in is now off for %(county)s.") % {"county": scope.region.name})
            return redirect("attendance:county_settings")
    return render(request, "attendance/county_settings.html", {
        "county": scope.region, "enabled": enabled, "history": history, "form": form,
        "keep_days": selectors.rule("POSITION_KEEP_DAYS"),
    })


# --- working-day calendar ------------------------------------------------------------------------


def _working_days_page(request: HttpRequest, *, year: int, form: WorkingDaySetForm | None = None) -> HttpResponse:
    # Fill the year first (official data or the Mon–Fri fallback): the page shows what the scan uses.
    services.working_days_ensure(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    can_edit = gate.scope_for_user(request.user).role == Role.PROVINCE
    today = timezone.localdate()
    if can_edit and form is None:
        # A province reviewer who clicked a day gets it in the form (a day outside the calendar's
        # years is just not preselected).
        day = dates.parse_day(request.GET.get("day", ""), today=today)
        form = WorkingDaySetForm(initial={"day": day} if day else None)
    low, high = dates.year_bounds(today=today)
    return render(request, "attendance/working_days.html", {
        "cal": selectors.working_days_year(year=year), "year": year, "prev": year - 1, "next": year + 1,
        "low": low, "high": high, "can_edit": can_edit, "form": form if can_edit else None, "today": today,
    })


@profile_required
def working_days(request: HttpRequest) -> HttpResponse:
    """The year's working days as the scan sees them. Public information: every scoped role reads it."""
    return _working_days_page(request, year=year_param(request, today=timezone.localdate()))


@profile_required
@require_POST
def working_day_set(request: HttpRequest) -> HttpResponse:
    # The province edits the calendar; this is the province's one write in attendance. Everyone
    # else is refused before the input is read.
    _require_roles(request, Role.PROVINCE)
    form = WorkingDaySetForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            wd = services.working_day_set(user=request.user, day=d["day"], is_working_day=d["is_working_day"],
                                          reason=d["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            label = _("a working day") if wd.is_working_day else _("a rest day")
            messages.success(request, _("%(day)s is now %(label)s.") % {"day": wd.date.isoformat(), "label": label})
            return redirect(f"{reverse('attendance:working_days')}?year={wd.date.year}")
    day = form.cleaned_data.get("day") if hasattr(form, "cleaned_data") else None
    today = timezone.localdate()
    year = dates.parse_year(str(day.year) if day else request.POST.get("year"), today=today) or today.year
    messages.error(request, _("Nothing was changed: correct the form below."))
    return _working_days_page(request, year=year, form=form)


# --- monthly report (考勤月报表) --------------------------------------------------------------------


@profile_required
def report_page(request: HttpRequest) -> HttpResponse:
    """Choose the month (this or last, or any) and, for county and city staff, one township,
    then download the monthly report."""
    scope = _require_roles(request, Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.UNIT)
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    townships = None
    if scope.role in (Role.COUNTY, Role.CITY):
        townships = (gate.regions_for_user(request.user).filter(level=Region.Level.TOWNSHIP)
                     .select_related("parent").order_by("code"))
    return render(request, "attendance/report.html", {
        "this_month": this_month, "last_month": last_month, "townships": townships, "area": scope.region,
    })


@profile_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """A row per cadre, a column per day, totals; for the user's scope or one township in it."""
    _require_roles(request, Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.UNIT)
    today = timezone.localdate()
    asked = request.GET.get("month", "")
    month = dates.parse_month(asked, today=today) if asked else today.replace(day=1)
    if month is None:
        # A typed or edited address with no such month: say so rather than send another month.
        messages.error(request, month_refused_message(asked, today=today))
        return redirect("attendance:report_page")
    assignments, area = selectors.monthly_report_scope(user=request.user, township_id=request.GET.get("township", ""))
    size = selectors.monthly_report_size(assignments=assignments, month=month)
    if size > export_jobs.sync_max_rows():
        # A province's month (34,000 rows) takes 10–30 s: the export worker builds it.
        export_jobs.export_job_start(user=request.user, kind=ExportJob.Kind.ATTENDANCE_REPORT,
                                     params={"month": [f"{month:%Y-%m}"], "township": [request.GET.get("township", "")]},
                                     rows=size)
        messages.info(request, _("The monthly report of %(n)d cadres is being prepared; it will be ready for "
                                 "download here in a minute or so.") % {"n": size})
        return redirect("export_list")
    data, filename, _rows = services.monthly_report_file(month=month, assignments=assignments, area=area)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- work logs ------------------------------------------------------------------------------------


@profile_required
def worklog_list(request: HttpRequest) -> HttpResponse:
    """One month of work logs in scope, by village or cadre; for staff, each cadre's count that
    month, fewest first, so the ones who write nothing stand out."""
    month = _month(request)
    first, last = selectors.month_bounds(month)
    scope = gate.scope_for_user(request.user)
    qs = selectors.worklogs_for_user(request.user).filter(date__range=(first, last))
    assignments = gate.assignments_for_user(request.user)
    cadre = village = None
    if request.GET.get("cadre", "").isdigit():
        cadre = _get_cadre_for_user(request, int(request.GET["cadre"]))
        qs, assignments = qs.filter(cadre=cadre), assignments.filter(cadre=cadre)
    if request.GET.get("village", "").isdigit():
        village = get_object_or_404(gate.villages_for_user(request.user), pk=int(request.GET["village"]))
        qs, assignments = qs.filter(assignment__village=village), assignments.filter(village=village)
    is_cadre = scope.role == Role.CADRE
    counts, counted = ([], 0) if is_cadre else selectors.worklog_month_counts(
        assignments=assignments, month=month, limit=WORKLOG_COUNT_ROWS)
    villages = gate.villages_for_user(request.user).select_related("township").order_by("code")
    prev, nxt = _neighbour_months(month)
    return render(request, "attendance/worklog_list.html", {
        "page": _page(request, qs.select_related("cadre", "assignment__village").order_by("-date", "-id")),
        "cadre": cadre, "village": village, "month": month, "prev": prev, "next": nxt,
        "counts": counts, "counted": counted, "is_cadre": is_cadre,
        # A choice list only where it stays short (a county has a few hundred villages at most).
        "villages": None if is_cadre or villages.count() > WORKLOG_VILLAGE_CHOICES else villages,
    })


# Most townships offered as a filter on the findings page (a city has a few hundred).
FINDING_TOWNSHIP_CHOICES = 400
# Rows of the per-cadre count table, and the most villages offered as a list.
WORKLOG_COUNT_ROWS = 100
WORKLOG_VILLAGE_CHOICES = 500


@profile_required
@require_http_methods(["GET", "POST"])
def worklog_create(request: HttpRequest) -> HttpResponse:
    _require_cadre(request)
    form = WorkLogForm(request.POST if request.method == "POST" else None,
                       initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.worklog_create(user=request.user, date=d["date"], content=d["content"], duties=d["duties"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Work log saved."))
            return redirect("attendance:worklog_list")
    return render(request, "attendance/form.html", {
        "form": form, "title": _("New work log"), "cancel_url": reverse("attendance:worklog_list"),
    })

