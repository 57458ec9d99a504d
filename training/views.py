"""Training pages. Views parse input, call a selector or a service, and render or redirect.

Every object is fetched through a `_get_<x>_for_user` helper that starts from the scoping
gate: outside the user's jurisdiction is a 404 (we do not confirm it exists); inside it but
not the user's to act on is a 403.
"""
from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assignments import selectors as gate
from assignments.access import page_of, profile_required
from assignments.models import Cadre, DispatchingUnit, Region

from . import selectors, services
from .forms import (
    CourseForm,
    ImportForm,
    RecordBulkForm,
    RequirementForm,
    apply_service_errors,
    requirement_form_initial,
)
from .models import COUNTY_OR_ABOVE, OrganiserLevel, TrainingCourse, TrainingRequirement

Role = gate.Role
# A dispatching unit's liaison follows their own cadres' training (the brief's task 2): their
# report covers the unit's cadres in post, wherever they serve.
REPORT_ROLES = (Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.UNIT)



def _get_course_for_user(request: HttpRequest, pk: int) -> TrainingCourse:
    return get_object_or_404(
        selectors.courses_for_user(request.user).select_related("region", "unit", "managed_by"), pk=pk
    )


def _get_cadre_for_user(request: HttpRequest, pk: int) -> Cadre:
    return get_object_or_404(gate.cadres_for_user(request.user).select_related("unit", "county"), pk=pk)


def _get_report_region_for_user(request: HttpRequest) -> Region | None:
    """?region=<city, county or township id> inside the user's regions; city, county and
    township staff default to their own. None: the province reviewer before picking a city or
    county (the whole province is a worker's job, not a page's), or a unit liaison."""
    scope = gate.scope_for_user(request.user)
    raw = request.GET.get("region", "")
    if raw.isdigit():
        return get_object_or_404(
            gate.regions_for_user(request.user).filter(
                level__in=[Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP]),
            pk=int(raw),
        )
    if scope.role in (Role.CITY, Role.COUNTY, Role.TOWNSHIP):
        return scope.region
    return None


# The assignments of a report's region, by its level.
_REPORT_REGION_FIELD = {Region.Level.CITY: "village__county__parent", Region.Level.COUNTY: "village__county",
                        Region.Level.TOWNSHIP: "village__township"}


def _course_form_initial(course: TrainingCourse) -> dict:
    return {
        "title": course.title, "organiser_level": course.organiser_level, "start_date": course.start_date,
        "end_date": course.end_date, "days": course.days, "hours": course.hours, "location": course.location,
        "topics": course.topic_list, "unit": course.unit_id,
        "township": course.region_id if course.organiser_level == OrganiserLevel.TOWNSHIP else None,
    }


# --- courses ------------------------------------------------------------------------------------


@profile_required
def course_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.courses_for_user(request.user).select_related("region", "unit").order_by("-start_date", "id")
    level = request.GET.get("level", "")
    if level in OrganiserLevel.values:
        qs = qs.filter(organiser_level=level)
    return render(request, "training/course_list.html", {
        "page": page_of(request, qs), "levels": OrganiserLevel.choices,
        "level": level, "can_create": selectors.can_create_course(request.user),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest) -> HttpResponse:
    if not selectors.can_create_course(request.user):
        raise PermissionDenied(_("Only county staff and city or province reviewers enter training courses."))
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if services.recording_closed_reason(course) is not None:
                # Entered from the plan, ahead of time: attendance comes once it has started.
                messages.success(request, _("Course saved. Record who attended once it has started."))
                return redirect("training:course_detail", pk=course.pk)
            messages.success(request, _("Course saved. Now record who attended."))
            return redirect("training:record_bulk", pk=course.pk)
    return render(request, "training/course_form.html", {"form": form, "title": _("New training course")})


@profile_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_course_for_user(request, pk)
    if not selectors.can_edit_course(request.user, course):
        raise PermissionDenied(_("Only staff of the region that entered the course change it."))
    form = CourseForm(request.POST or None, user=request.user, initial=_course_form_initial(course))
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(user=request.user, course=course, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:course_detail", pk=course.pk)
    return render(request, "training/course_form.html", {"form": form, "title": _("Edit training course"),
                                                         "course": course})


@profile_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_course_for_user(request, pk)
    return render(request, "training/course_detail.html", {
        "course": course, "records": selectors.records_by_course(course, request.user),
        "can_record": selectors.can_record_for_course(request.user, course),
        "can_import": gate.managed_county(request.user) is not None,  # by ID number: record_import
        "can_edit": selectors.can_edit_course(request.user, course),
    })


# --- attendance records -------------------------------------------------------------------------


def _get_recordable_course_for_user(request: HttpRequest, pk: int) -> TrainingCourse:
    course = _get_course_for_user(request, pk)
    if not selectors.can_record_for_course(request.user, course):
        raise PermissionDenied(_("You cannot record attendance for this course."))
    return course


@profile_required
@require_http_methods(["GET", "POST"])
def record_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_recordable_course_for_user(request, pk)
    candidates = selectors.record_candidates(user=request.user, course=course)
    form = RecordBulkForm(request.POST or None, candidates=candidates, course=course,
                          initial={"days_attended": course.days, "hours_attended": course.hours, "result": "completed"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entries = [
            services.RecordEntry(cadre=c, days_attended=data["days_attended"], hours_attended=data["hours_attended"],
                                 result=data["result"])
            for c in data["cadres"]
        ]
        try:
            created = services.training_records_create(user=request.user, course=course, entries=entries)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)d attendance records saved.") % {"n": len(created)})
            return redirect("training:course_detail", pk=course.pk)
    return render(request, "training/record_bulk.html", {
        "course": course, "form": form, "closed": services.recording_closed_reason(course),
        "can_import": gate.managed_county(request.user) is not None,  # as on the course page: record_import
    })


@profile_required
@require_http_methods(["GET", "POST"])
def record_import(request: HttpRequest, pk: int) -> HttpResponse:
    course = _get_recordable_course_for_user(request, pk)
    if gate.managed_county(request.user) is None:
        # Rows are matched by whole ID numbers, which only a cadre's county staff see (the
        # gate's rule); a reviewer records with the form, by name, or the counties import.
        raise PermissionDenied(_("Importing by ID number is for county staff, who hold their cadres' ID numbers. "
                                 "Record attendance with the form, or ask the counties to import their cadres."))
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.training_records_import(user=request.user, course=course,
                                                  data=form.cleaned_data["file"].read())
        if result.ok:
            messages.success(request, _("%(n)d attendance records imported.") % {"n": result.created})
            return redirect("training:course_detail", pk=course.pk)
    return render(request, "training/record_import.html", {
        "course": course, "form": form, "result": result, "columns": services.import_column_names(),
        "closed": services.recording_closed_reason(course),
    })


# --- a cadre's training ---------------------------------------------------------------------------


@profile_required
def cadre_training(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _get_cadre_for_user(request, pk)
    return render(request, "training/cadre_training.html", {
        "cadre": cadre, "training": selectors.training_status_for_cadre(cadre=cadre),
    })


# --- requirements ---------------------------------------------------------------------------------


def _get_requirement_for_user(request: HttpRequest, pk: int) -> TrainingRequirement:
    """A rule that applies in the user's view (404 otherwise: another county's rules are not
    confirmed to exist). Whether they may change it is the caller's 403."""
    return get_object_or_404(selectors.requirements_for_user(request.user), pk=pk)


@profile_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    requirements = list(selectors.requirements_for_user(request.user).order_by("-active", "id"))
    for req in requirements:
        req.can_edit = selectors.can_edit_requirement(request.user, req)
    return render(request, "training/requirement_list.html", {
        "requirements": requirements, "can_create": selectors.can_create_requirement(request.user),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest) -> HttpResponse:
    # County staff set rules for their county; province reviewers set province-wide rules,
    # the province's only rule-setting write. City reviewers and everyone else read.
    if not selectors.can_create_requirement(request.user):
        raise PermissionDenied(_("Only county staff and province reviewers set training requirements."))
    form = RequirementForm(request.POST or None, initial={
        "levels": [str(level) for level in COUNTY_OR_ABOVE], "min_days_per_course": 3, "courses_required": 1,
        "period": TrainingRequirement.Period.ASSIGNMENT,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.training_requirement_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Requirement saved. The next training scan applies it."))
            return redirect("training:requirement_list")
    scope = gate.scope_for_user(request.user)
    return render(request, "training/requirement_form.html", {
        "form": form, "title": _("New training requirement"),
        "applies_in": scope.region.name if scope.role == Role.COUNTY else _("Whole province"),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = _get_requirement_for_user(request, pk)
    if not selectors.can_edit_requirement(request.user, requirement):
        raise PermissionDenied(_("Only the county that set this requirement (or the province, for province-wide "
                                 "ones) changes it."))
    form = RequirementForm(request.POST or None, editing=True, initial=requirement_form_initial(requirement))
    if request.method == "POST" and form.is_valid():
        try:
            services.training_requirement_update(user=request.user, requirement=requirement, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Requirement saved. The next training scan applies the change."))
            return redirect("training:requirement_list")
    return render(request, "training/requirement_form.html", {
        "form": form, "title": _("Edit training requirement"), "requirement": requirement,
        "applies_in": requirement.region.name if requirement.region_id else _("Whole province"),
    })


# --- reports --------------------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[str, Region | None, dict | None]:
    """(what the report covers, its region, the report), the report None until a province
    reviewer picks a city or county. Always inside the user's assignments (the gate)."""
    scope = gate.scope_for_user(request.user)
    if scope.role not in REPORT_ROLES:
        raise PermissionDenied(_("This page is not part of your role."))
    today = timezone.localdate()
    if scope.role == Role.UNIT:
        assignments = gate.assignments_for_user(request.user)
        unit = DispatchingUnit.objects.only("name").get(pk=scope.unit_id)
        return unit.name, None, selectors.training_report(user=request.user, assignments=assignments, today=today)
    region = _get_report_region_for_user(request)
    if region is None:
        return "", None, None
    assignments = gate.assignments_for_user(request.user).filter(**{_REPORT_REGION_FIELD[region.level]: region})
    return region.full_name, region, selectors.training_report(user=request.user, assignments=assignments, today=today)


def _overview(request: HttpRequest, region: Region | None) -> dict | None:
    """Shares by sub-region, with no names: by city for the province reviewer before they pick
    one (the whole province's list of names is too long for a page), by county on a city's
    report. None elsewhere. Inside the user's assignments (the gate), as `_report`."""
    scope = gate.scope_for_user(request.user)
    assignments = gate.assignments_for_user(request.user)
    if region is None and scope.role == Role.PROVINCE:
        by, area = "city", scope.region
    elif region is not None and region.level == Region.Level.CITY:
        by, area = "county", region
        assignments = assignments.filter(village__county__parent=region)
    else:
        return None
    requirements, rows, total = selectors.training_shares_by_region(
        assignments=assignments, by=by, today=timezone.localdate())
    return {"by": by, "area": area.full_name or area.name, "requirements": requirements, "rows": rows, "total": total,
            "today": timezone.localdate()}


@profile_required
def report(request: HttpRequest) -> HttpResponse:
    area, region, data = _report(request)
    overview = _overview(request, region)
    choices = townships = None
    scope = gate.scope_for_user(request.user)
    if scope.is_reviewer:
        # A city reviewer's city and its counties; the province reviewer's cities and counties.
        choices = gate.regions_for_user(request.user).filter(
            level__in=[Region.Level.CITY, Region.Level.COUNTY]).exclude(pk=scope.region.pk).select_related(
            "parent").order_by("code")
        if scope.role == Role.CITY:
            choices = [scope.region, *choices]
    if region is not None and region.level == Region.Level.COUNTY:
        townships = gate.regions_for_user(request.user).filter(parent=region).order_by("code")
    return render(request, "training/report.html", {
        "area": area or (overview["area"] if overview else ""), "region": region, "report": data,
        "overview": overview, "choices": choices, "townships": townships,
        # A city's or a unit's cadres serve in several counties: each row names its county.
        "show_county": data is not None and (region is None or region.level == Region.Level.CITY),
        "export_query": f"?region={region.pk}" if region is not None else "",
    })


@profile_required
def report_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    area, region, data = _report(request)
    overview = _overview(request, region)
    if data is None and overview is None:
        return redirect("training:report")
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    # Every sheet opens with what it is: the region and the day the figures are for, since a
    # printed or forwarded sheet loses the file name.
    today = (data or overview)["today"]
    area = area or overview["area"]
    title = _("Training report: %(region)s, as of %(day)s") % {"region": area, "day": today.isoformat()}
    sheets = []
    if overview is not None:
        sheets.append(_overview_sheet(wb, overview, title))
    if data is None:
        return _workbook_response(wb, sheets, area, today)
    ws = wb.create_sheet(_("Summary")[:31], 0)
    ws.append([title])
    ws.append([_("Requirement"), _("Active cadres it applies to"), _("Meeting it"), _("Share")])
    for line in data["requirements"]:
        ws.append([line.requirement.name, line.applicable, line.met, round(line.share, 4)])
        ws.cell(ws.max_row, 4).number_format = "0.0%"
    ws.append([])
    ws.append([_("Organiser level"), _("Training days"), _("Records"), _("Cadres")])
    ws.cell(ws.max_row, 1).font = bold
    for lv in data["levels"]:
        ws.append([str(lv["level"]), float(lv["days"]), lv["records"], lv["cadres"]])
    ws2 = wb.create_sheet(_("Not meeting")[:31])
    ws2.append([title])
    # The ID number as the reader may see it (full for the cadre's own county staff, masked
    # otherwise), as in the roster export: selectors.training_report applies the gate's rule.
    # A city's or a unit's cadres serve in several counties (two of them may have a 城关镇): as
    # on the page, each row then names its county.
    county = region is None or region.level == Region.Level.CITY
    ws2.append([_("Requirement"), *([_("County")] if county else []), _("Township"), _("Village"), _("Cadre"),
                _("ID number"), _("Dispatching unit"), _("Courses that count"), _("Hours"), _("Period ends"),
                _("Months left")])
    for line in data["requirements"]:
        for u in line.unmet:
            ws2.append([line.requirement.name, *([u["county"]] if county else []), u["township"], u["village"],
                        u["cadre"], u["id_number"], u["unit"], u["courses"], float(u["hours"]), u["period_end"],
                        u["months_left"]])
    return _workbook_response(wb, [ws, *sheets, ws2], area, today)


def _overview_sheet(wb, overview: dict, title: str):
    """The shares by city or county as a sheet: per requirement, cadres it applies to, meeting
    it and the share, then a total row (the page's overview table)."""
    ws = wb.create_sheet((_("By city") if overview["by"] == "city" else _("By county"))[:31])
    ws.append([title])
    ws.append([_("City / prefecture") if overview["by"] == "city" else _("County"),
               *[f"{req.name}: {label}" for req in overview["requirements"]
                 for label in (_("Active cadres it applies to"), _("Meeting it"), _("Share"))]])
    for name, lines in [*[(r.region.name, r.lines) for r in overview["rows"]], (_("Total"), overview["total"])]:
        ws.append([name, *[v for line in lines for v in (line.applicable, line.met,
                                                         round(line.share, 4) if line.applicable else None)]])
        for i in range(len(lines)):
            ws.cell(ws.max_row, 4 + 3 * i).number_format = "0.0%"
    ws.freeze_panes = "B3"  # the region's name stays in view beside many requirements
    return ws


def _workbook_response(wb, sheets: list, area: str, today) -> HttpResponse:
    from openpyxl.styles import Font

    for sheet in sheets:
        sheet["A1"].font = Font(bold=True, size=13)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = sheet.freeze_panes or "A3"
    buf = BytesIO()
    wb.save(buf)
    # Named after what it covers, in the reader's language (培训统计-苍溪县-20261127.xlsx).
    filename = f"{_('Training report')}-{area}-{today:%Y%m%d}.xlsx"
    response = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
