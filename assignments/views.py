"""Roster pages. Views parse input, call a selector or a service, and render or redirect.

Every object is fetched through a `_get_<x>_for_user` helper that starts from the scoping
gate: an object outside the user's jurisdiction is a 404 (we do not even confirm it exists),
an object the user may read but not change is a 403 when `manage=True`.
"""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import export_jobs, roster, selectors, services
from .access import next_url, profile_required
from .access import page_of as _page
from .accounts import selectors as account_selectors
from .filters import CadreFilter, UnitFilter, VillageFilter
from .forms import (
    AssignmentChangeForm,
    AssignmentEndForm,
    AssignmentForm,
    CadreForm,
    RosterImportForm,
    TownshipForm,
    UnitForm,
    VillageForm,
    apply_service_errors,
)
from .models import Assignment, Cadre, DispatchingUnit, ExportJob, Village

Role = selectors.Role


# --- access helpers -----------------------------------------------------------------------



def _require_manager(request: HttpRequest):
    """Only county organisation department staff change the roster."""
    county = selectors.managed_county(request.user)
    if county is None:
        raise PermissionDenied(_("Only county organisation department staff can change the roster."))
    return county


def _posted(request: HttpRequest, *, files: bool = False):
    """Bound data for a POST, None for a GET: an empty POST must still bind (and fail)."""
    if request.method != "POST":
        return (None, None) if files else None
    return (request.POST, request.FILES) if files else request.POST



def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _get_village_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> Village:
    village = get_object_or_404(
        selectors.villages_for_user(request.user).select_related("township", "county"), pk=pk
    )
    if manage and not selectors.can_manage_county(request.user, village.county_id):
        raise PermissionDenied
    return village


def _get_unit_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> DispatchingUnit:
    unit = get_object_or_404(selectors.units_for_user(request.user).select_related("home_region"), pk=pk)
    if manage and not selectors.can_manage_unit(request.user, unit):
        raise PermissionDenied
    return unit


def _get_cadre_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> Cadre:
    cadre = get_object_or_404(selectors.cadres_for_user(request.user).select_related("unit", "county"), pk=pk)
    if manage and not selectors.can_manage_county(request.user, cadre.county_id):
        raise PermissionDenied
    return cadre


def _get_assignment_for_user(request: HttpRequest, pk: int, *, manage: bool = False) -> Assignment:
    assignment = get_object_or_404(
        selectors.assignments_for_user(request.user).select_related("cadre", "village", "village__township"), pk=pk
    )
    if manage and not selectors.can_manage_county(request.user, assignment.village.county_id):
        raise PermissionDenied
    return assignment


# --- home ---------------------------------------------------------------------------------


@profile_required
def start(request: HttpRequest) -> HttpResponse:
    """Where a login lands (LOGIN_REDIRECT_URL): a cadre, on a phone in the morning, on the
    check-in button; everyone else on the overview."""
    if selectors.scope_for_user(request.user).role == Role.CADRE:
        return redirect("attendance:checkin")
    return redirect("home")


@profile_required
def home(request: HttpRequest) -> HttpResponse:
    from attendance.selectors import unit_watch_for_user, work_waiting_for_user  # attendance builds on this app

    today = timezone.localdate()
    return render(request, "assignments/home.html", {
        "summary": selectors.scope_summary(user=request.user),
        "min_team_size": settings.ZHUCUN["MIN_TEAM_SIZE"],
        "waiting": work_waiting_for_user(user=request.user, today=today),
        "watch": unit_watch_for_user(user=request.user, today=today),
    })


# --- regions ------------------------------------------------------------------------------


@profile_required
def region_list(request: HttpRequest) -> HttpResponse:
    scope = selectors.scope_for_user(request.user)
    level, rows = selectors.regions_with_counts(user=request.user)
    return render(request, "assignments/region_list.html", {
        "rows": rows, "level": level, "can_create_township": scope.role == Role.COUNTY,
        "township_form": TownshipForm(initial={"code": scope.region.code}) if scope.role == Role.COUNTY else None,
        "region": scope.region,
    })


@profile_required
@require_http_methods(["GET", "POST"])
def township_create(request: HttpRequest) -> HttpResponse:
    county = _require_manager(request)
    form = TownshipForm(_posted(request), initial={"code": county.code})
    if request.method == "POST" and form.is_valid():
        try:
            township = services.township_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Township %(name)s created.") % {"name": township.name})
            return redirect("region_list")
    return render(request, "assignments/form.html", {
        "form": form, "title": _("New township"), "cancel_url": reverse("region_list"),
    })


# --- villages -----------------------------------------------------------------------------


@profile_required
def village_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.villages_listed_for_user(request.user)
    flt = VillageFilter(request.GET or None, queryset=qs, user=request.user)
    page = _page(request, flt.qs)
    return render(request, "assignments/village_list.html", {
        "filter": flt, "page": page, "query": _query_without_page(request),
        "min_team_size": settings.ZHUCUN["MIN_TEAM_SIZE"],
    })


def _village_initial(village: Village) -> dict:
    return {
        "township": village.township_id, "name": village.name, "code": village.code,
        "categories": village.category_list, "latitude": village.latitude, "longitude": village.longitude,
        "checkin_radius_m": village.checkin_radius_m,
    }


@profile_required
@require_http_methods(["GET", "POST"])
def village_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = VillageForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            village = services.village_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Village %(name)s created.") % {"name": village.name})
            return redirect("village_detail", pk=village.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("New village"), "cancel_url": reverse("village_list"),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def village_edit(request: HttpRequest, pk: int) -> HttpResponse:
    village = _get_village_for_user(request, pk, manage=True)
    form = VillageForm(_posted(request), user=request.user, initial=_village_initial(village))
    if request.method == "POST" and form.is_valid():
        try:
            services.village_update(user=request.user, village=village, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Village %(name)s saved.") % {"name": village.name})
            return redirect("village_detail", pk=village.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("Edit village %(name)s") % {"name": village.name},
        "cancel_url": reverse("village_detail", args=[village.pk]),
    })


@profile_required
def village_detail(request: HttpRequest, pk: int) -> HttpResponse:
    village = _get_village_for_user(request, pk)
    team = selectors.village_team(village=village)
    return render(request, "assignments/village_detail.html", {
        "village": village, "team": team,
        # A liaison or a cadre reads the whole team, but opens only their own cadres' pages.
        "cadre_links": selectors.cadres_openable(request.user, (a.cadre_id for a in team["current"] + team["past"])),
        "can_edit": selectors.can_manage_county(request.user, village.county_id),
    })


# --- dispatching units --------------------------------------------------------------------


@profile_required
def unit_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.units_for_user(request.user).select_related("home_region").order_by("name")
    flt = UnitFilter(request.GET or None, queryset=qs, user=request.user)
    page = _page(request, flt.qs)
    return render(request, "assignments/unit_list.html", {
        "filter": flt, "page": page, "query": _query_without_page(request),
    })


def _unit_initial(unit: DispatchingUnit) -> dict:
    return {
        "name": unit.name, "level": unit.level, "kind": unit.kind, "home_region": unit.home_region_id,
        "contact_person": unit.contact_person, "contact_phone": unit.contact_phone,
    }


@profile_required
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    county = _require_manager(request)
    form = UnitForm(_posted(request), user=request.user,
                    initial={"level": DispatchingUnit.Level.COUNTY, "home_region": county.id})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Dispatching unit %(name)s created.") % {"name": unit.name})
            return redirect("unit_detail", pk=unit.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("New dispatching unit"), "cancel_url": reverse("unit_list"),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _get_unit_for_user(request, pk, manage=True)
    form = UnitForm(_posted(request), user=request.user, initial=_unit_initial(unit))
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(user=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Dispatching unit %(name)s saved.") % {"name": unit.name})
            return redirect("unit_detail", pk=unit.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("Edit dispatching unit %(name)s") % {"name": unit.name},
        "cancel_url": reverse("unit_detail", args=[unit.pk]),
    })


@profile_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _get_unit_for_user(request, pk)
    cadres = selectors.cadres_with_active_assignment(
        selectors.cadres_for_user(request.user).filter(unit=unit)
    ).order_by("name", "id")
    page = _page(request, cadres)
    return render(request, "assignments/unit_detail.html", {
        "unit": unit, "page": page, "query": "", "village_links": _active_village_links(request, page),
        "can_edit": selectors.can_manage_unit(request.user, unit),
    })


# --- cadres -------------------------------------------------------------------------------


def _filtered_cadres(request: HttpRequest) -> CadreFilter:
    # The same filters the roster export (and its background job) applies.
    return export_jobs.roster_queryset(user=request.user, params=request.GET)


@profile_required
def cadre_list(request: HttpRequest) -> HttpResponse:
    flt = _filtered_cadres(request)
    # Prefetching after filtering keeps the page at a fixed number of queries.
    page = _page(request, selectors.cadres_with_active_assignment(flt.qs))
    return render(request, "assignments/cadre_list.html", {
        "filter": flt, "page": page, "query": _query_without_page(request),
        "village_links": _active_village_links(request, page),
    })


def _active_village_links(request: HttpRequest, page) -> set[int]:
    """Of the villages where the cadres of a list page serve now, those the user may open: a
    township's cadre who moved on serves in a village of another township."""
    return selectors.villages_openable(request.user, (a.village_id for c in page for a in c.active_assignments))


def _cadre_initial(cadre: Cadre) -> dict:
    return {
        "name": cadre.name, "id_number": cadre.id_number, "gender": cadre.gender, "birth_date": cadre.birth_date,
        "ethnicity": cadre.ethnicity, "political_status": cadre.political_status, "education": cadre.education,
        "rank": cadre.rank, "mobile": cadre.mobile, "unit": cadre.unit_id,
    }


@profile_required
@require_http_methods(["GET", "POST"])
def cadre_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = CadreForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cadre = services.cadre_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Cadre %(name)s registered.") % {"name": cadre.name})
            return redirect("cadre_detail", pk=cadre.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("New cadre"), "cancel_url": reverse("cadre_list"),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def cadre_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _get_cadre_for_user(request, pk, manage=True)
    form = CadreForm(_posted(request), user=request.user, instance=cadre, initial=_cadre_initial(cadre))
    if request.method == "POST" and form.is_valid():
        try:
            services.cadre_update(user=request.user, cadre=cadre, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Cadre %(name)s saved.") % {"name": cadre.name})
            return redirect("cadre_detail", pk=cadre.pk)
    return render(request, "assignments/form.html", {
        "form": form, "title": _("Edit cadre %(name)s") % {"name": cadre.name},
        "cancel_url": reverse("cadre_detail", args=[cadre.pk]),
    })


@profile_required
def cadre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _get_cadre_for_user(request, pk)
    history = list(cadre.assignments.select_related("village", "village__township").order_by("-start_date", "-id"))
    can_edit = selectors.can_manage_county(request.user, cadre.county_id)
    return render(request, "assignments/cadre_detail.html", {
        "cadre": cadre, "history": history,
        # Township staff read a cadre's whole history, including villages of other townships.
        "village_links": selectors.villages_openable(request.user, (a.village_id for a in history)),
        "unit_link": bool(selectors.units_openable(request.user, [cadre.unit_id])),
        "identity": selectors.cadre_identity_for_user(request.user, cadre),
        "can_edit": can_edit,
        # The cadre's login, for the county staff who unlock it or reset its password when the
        # cadre phones: they are on this page already.
        "login": account_selectors.account_status_for_user(request.user, account_id=cadre.user_id)
        if can_edit else None,
    })


# --- assignments --------------------------------------------------------------------------


@profile_required
@require_http_methods(["GET", "POST"])
def assignment_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    initial = {}
    # Coming from a cadre or village page: preselect it (the form's choices are scoped).
    for key in ("cadre", "village"):
        if request.GET.get(key, "").isdigit():
            initial[key] = int(request.GET[key])
    form = AssignmentForm(_posted(request), user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(cadre)s now serves in %(village)s as %(role)s.") % {
                "cadre": assignment.cadre.name, "village": assignment.village.name,
                "role": assignment.get_role_display(),
            })
            return redirect("village_detail", pk=assignment.village_id)
    cancel_url = next_url(request, request.GET.get("next"), reverse("cadre_list"))
    return render(request, "assignments/form.html", {
        "form": form, "title": _("Assign a cadre to a village"), "cancel_url": cancel_url,
    })


@profile_required
@require_http_methods(["GET", "POST"])
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_user(request, pk, manage=True)
    form = AssignmentEndForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assignment_end(user=request.user, assignment=assignment, end_date=data["end_date"],
                                    reason=data["reason"], note=data["note"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The assignment of %(cadre)s in %(village)s has ended.") % {
                "cadre": assignment.cadre.name, "village": assignment.village.name,
            })
            return redirect("village_detail", pk=assignment.village_id)
    return render(request, "assignments/form.html", {
        "form": form, "assignment": assignment,
        # A recall is not one of the reasons here: the page points to the recall workflow.
        "recall_url": reverse("supervision:recall", args=[assignment.pk]),
        "title": _("End the assignment of %(cadre)s in %(village)s") % {
            "cadre": assignment.cadre.name, "village": assignment.village.name,
        },
        "cancel_url": reverse("village_detail", args=[assignment.village_id]),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def assignment_change(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_user(request, pk, manage=True)
    form = AssignmentChangeForm(_posted(request), user=request.user,
                                initial={"village": assignment.village_id, "role": assignment.role})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.assignment_change(user=request.user, assignment=assignment, village=data["village"],
                                             role=data["role"], change_date=data["change_date"], note=data["note"])
        except ValidationError as exc:
            # The service ends the old assignment and starts the new one: both dates are the change date.
            apply_service_errors(form, exc, rename={"end_date": "change_date", "start_date": "change_date"})
        else:
            messages.success(request, _("%(cadre)s now serves in %(village)s as %(role)s.") % {
                "cadre": new.cadre.name, "village": new.village.name, "role": new.get_role_display(),
            })
            return redirect("cadre_detail", pk=new.cadre_id)
    return render(request, "assignments/form.html", {
        "form": form, "assignment": assignment,
        "title": _("Move %(cadre)s to another village or role") % {"cadre": assignment.cadre.name},
        "cancel_url": reverse("cadre_detail", args=[assignment.cadre_id]),
    })


# --- roster spreadsheet -------------------------------------------------------------------


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # RFC 5987 form, so the Chinese file name survives every browser.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@profile_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = RosterImportForm(*_posted(request, files=True))
    result = None
    if request.method == "POST" and form.is_valid():
        # Imported here: the roster module is optional for every other page.

        result = roster.roster_import(user=request.user, data=form.cleaned_data["file"].read())
        if not result.errors:
            messages.success(request, _(
                "Roster imported: %(created)d cadres added, %(updated)d updated, "
                "%(assigned)d assignments added, %(unchanged)d rows unchanged."
            ) % {
                "created": result.created_cadres, "updated": result.updated_cadres,
                "assigned": result.created_assignments, "unchanged": result.unchanged,
            })
            return redirect("cadre_list")
    return render(request, "assignments/roster_import.html", {"form": form, "result": result})


@profile_required
def roster_export(request: HttpRequest) -> HttpResponse:
    cadres = export_jobs.roster_queryset(user=request.user, params=request.GET).qs
    rows = cadres.count()
    if rows > export_jobs.sync_max_rows():
        # A province's roster takes ~20 s to build: a worker builds it, the user waits on a list.
        export_jobs.export_job_start(user=request.user, kind=ExportJob.Kind.ROSTER,
                                     params={k: request.GET.getlist(k) for k in request.GET}, rows=rows)
        messages.info(request, _("The roster of %(n)d cadres is being prepared; it will be ready for download "
                                 "here in a minute or so.") % {"n": rows})
        return redirect("export_list")
    data = roster.roster_export(user=request.user, cadres=cadres)
    # The file is the Chinese-format roster whatever the page language, so is its name.
    return _xlsx_response(data, f"花名册-{timezone.localdate():%Y%m%d}.xlsx")


@profile_required
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = list(export_jobs.export_jobs_for_user(request.user)[:50])
    return render(request, "assignments/export_list.html", {
        "jobs": jobs, "keep_days": export_jobs.EXPORT_KEEP_DAYS,
        # The page reloads itself while a file is still being made.
        "pending": any(j.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) and not j.stalled for j in jobs),
    })


def _get_export_job_for_user(request: HttpRequest, pk: int) -> ExportJob:
    # Only the user who asked: a job holds exactly what its owner may see.
    return get_object_or_404(export_jobs.export_jobs_for_user(request.user).defer(None),
                             pk=pk, status=ExportJob.Status.DONE)


@profile_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_export_job_for_user(request, pk)
    return _xlsx_response(bytes(job.content), job.filename)


@profile_required
def roster_template(request: HttpRequest) -> HttpResponse:
    data = roster.roster_export(user=request.user, cadres=Cadre.objects.none())
    return _xlsx_response(data, "花名册模板.xlsx")
