"""Supervision pages: inspections and samples, annual assessment, recall and replacement, the
benefits ledger, and exemplars. Views parse input, call a selector or a service, and render or
redirect.

Every object is fetched through a `_get_<x>_for_user` helper that starts from the scoping gate:
outside the user's jurisdiction is a 404 (we do not confirm it exists); inside it but not the
user's to act on is a 403 (the services raise PermissionDenied, Django answers 403).
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assignments import selectors as gate
from assignments.models import (
    AnnualAssessment,
    Assignment,
    Cadre,
    GoodPracticeCase,
    Inspection,
    InspectionSample,
    ReplacementObligation,
)
from assignments.roster import fit_column_widths

from ..access import day_param, profile_required
from ..access import page_of as _page
from . import selectors, services
from .forms import (
    AssessmentForm,
    CaseForm,
    CommendationForm,
    InspectionForm,
    PaymentForm,
    RecallForm,
    RectifyForm,
    ReplacementForm,
    SampleForm,
    apply_service_errors,
)

Role = gate.Role


# --- access helpers -----------------------------------------------------------------------------



def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("This page is not part of your role."))


def _require_county_staff(request: HttpRequest) -> None:
    _require(gate.managed_county(request.user) is not None)


def _get_inspection_for_user(request: HttpRequest, pk: int) -> Inspection:
    return get_object_or_404(
        selectors.inspections_for_user(request.user).select_related("village__township", "created_by"), pk=pk)


def _get_sample_for_user(request: HttpRequest, pk: int) -> InspectionSample:
    return get_object_or_404(selectors.samples_for_user(request.user).select_related("region", "created_by"), pk=pk)


def _get_cadre_for_user(request: HttpRequest, pk) -> Cadre:
    if not str(pk).isdigit():  # ?cadre=abc: no such cadre
        raise Http404
    return get_object_or_404(gate.cadres_for_user(request.user).select_related("unit"), pk=int(pk))


def _get_assessment_for_user(request: HttpRequest, pk: int) -> AnnualAssessment:
    return get_object_or_404(selectors.assessments_for_user(request.user).select_related("cadre"), pk=pk)


def _get_assignment_for_user(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(gate.assignments_for_user(request.user).select_related("cadre__unit", "village"), pk=pk)


def _get_obligation_for_user(request: HttpRequest, pk: int) -> ReplacementObligation:
    return get_object_or_404(
        selectors.obligations_for_user(request.user).select_related("unit", "village", "recalled_assignment__cadre"),
        pk=pk)


def _get_case_for_user(request: HttpRequest, pk: int) -> GoodPracticeCase:
    return get_object_or_404(selectors.cases_for_user(request.user).select_related("village", "created_by"), pk=pk)



def _year(request: HttpRequest) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and services.FIRST_YEAR <= int(value) <= this_year + 1 else this_year


def _form_page(request, form, *, title: str, cancel_url: str, **extra) -> HttpResponse:
    return render(request, "supervision/form.html", {"form": form, "title": title, "cancel_url": cancel_url, **extra})


# --- inspections --------------------------------------------------------------------------------


@profile_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.inspections_for_user(request.user).select_related("village__township")
    kind = request.GET.get("kind", "")
    if kind in Inspection.Kind.values:
        qs = qs.filter(kind=kind)
    return render(request, "supervision/inspection_list.html", {
        "page": _page(request, qs), "kind": kind, "kinds": Inspection.Kind.choices,
        "can_record": selectors.can_record_inspection(request.user),
        "can_sample": selectors.can_draw_sample(request.user),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def inspection_create(request: HttpRequest) -> HttpResponse:
    _require(selectors.can_record_inspection(request.user))
    if request.method == "POST":
        form = InspectionForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                inspection = services.inspection_create(
                    user=request.user, village=d["village"], kind=d["kind"], date=d["date"],
                    inspectors=d["inspectors"], issues=d["issues"],
                    rectification_deadline=d["rectification_deadline"], absent_cadre_ids=d["absent"],
                    repeat_confirmed=d.get("repeat_confirmed", False),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Inspection recorded."))
                return redirect("supervision:inspection_detail", pk=inspection.pk)
    else:
        # A ?date= preselects the day, through the one day parser (a day outside the programme's
        # years is today instead, as on every page); as text, since the date input wants
        # YYYY-MM-DD whatever the language. The form checks what is posted.
        today = timezone.localdate()
        day = day_param(request, today=today, value=request.GET.get("date", "")) or today
        initial = {"date": day.isoformat(),
                   "village": request.GET.get("village", ""), "kind": Inspection.Kind.UNANNOUNCED}
        form = InspectionForm(initial=initial, user=request.user)
    return render(request, "supervision/inspection_form.html", {"form": form})


@profile_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _get_inspection_for_user(request, pk)
    can_rectify = (gate.can_manage_county(request.user, inspection.county_id)
                   or inspection.created_by_id == request.user.pk)
    members = list(selectors.inspection_members_for_user(user=request.user, inspection=inspection))
    return render(request, "supervision/inspection_detail.html", {
        "inspection": inspection, "members": members,
        # Say that the list is not the whole team (a liaison's or a cadre's view), not who else was in it.
        "members_partial": inspection.members.exclude(pk__in=[m.pk for m in members]).exists(),
        "can_rectify": can_rectify and inspection.rectification_status in ("open", "overdue"),
        "rectify_form": RectifyForm(initial={"rectified_on": timezone.localdate()}),
    })


@profile_required
@require_POST
def inspection_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _get_inspection_for_user(request, pk)
    form = RectifyForm(request.POST)
    if not form.is_valid():
        # Permission first: a reader without the right gets 403 whatever they posted.
        if not (gate.can_manage_county(request.user, inspection.county_id)
                or inspection.created_by_id == request.user.pk):
            raise PermissionDenied
        messages.error(request, _("Give the date and how the issues were rectified."))
        return redirect("supervision:inspection_detail", pk=pk)
    try:
        services.inspection_rectify(user=request.user, inspection=inspection,
                                    rectified_on=form.cleaned_data["rectified_on"], note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rectification closed."))
    return redirect("supervision:inspection_detail", pk=pk)


# --- inspection samples -------------------------------------------------------------------------


@profile_required
def sample_list(request: HttpRequest) -> HttpResponse:
    _require(gate.scope_for_user(request.user).role in selectors.REGION_ROLES)
    qs = selectors.samples_for_user(request.user).select_related("region", "created_by")
    return render(request, "supervision/sample_list.html", {
        "page": _page(request, qs), "form": SampleForm(), "can_sample": selectors.can_draw_sample(request.user),
    })


@profile_required
@require_POST
def sample_create(request: HttpRequest) -> HttpResponse:
    _require(selectors.can_draw_sample(request.user))
    form = SampleForm(request.POST)
    if form.is_valid():
        try:
            sample = services.inspection_sample_create(
                user=request.user, size=form.cleaned_data["size"], seed=form.cleaned_data["seed"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("supervision:sample_detail", pk=sample.pk)
    qs = selectors.samples_for_user(request.user).select_related("region", "created_by")
    return render(request, "supervision/sample_list.html", {"page": _page(request, qs), "form": form,
                                                            "can_sample": True}, status=400)


@profile_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _get_sample_for_user(request, pk)
    return render(request, "supervision/sample_detail.html", {
        "sample": sample, "villages": selectors.sample_villages(sample=sample),
        "can_record": selectors.can_record_inspection(request.user),
    })


# --- annual assessment --------------------------------------------------------------------------


@profile_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    qs = selectors.assessments_for_user(request.user).filter(year=year).select_related("cadre__unit", "assessed_by")
    return render(request, "supervision/assessment_list.html", {
        "page": _page(request, qs), "year": year, "can_assess": gate.managed_county(request.user) is not None,
    })


@profile_required
@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest) -> HttpResponse:
    _require_county_staff(request)
    cadre_id = request.POST.get("cadre") or request.GET.get("cadre")
    if not cadre_id:
        # First step: pick a cadre of the county.
        # Named with their village and unit: a county has several 王莹.
        cadres = gate.cadres_with_active_assignment(
            gate.cadres_for_user(request.user).filter(county=gate.managed_county(request.user))).order_by("name")
        return render(request, "supervision/assessment_pick.html", {"cadres": cadres, "year": _year(request)})
    cadre = _get_cadre_for_user(request, cadre_id)
    if request.method == "POST":
        posted = request.POST.get("year", "")
        year = int(posted) if posted.isdigit() and services.FIRST_YEAR <= int(posted) <= 9999 else _year(request)
        evidence = selectors.assessment_evidence(cadre=cadre, year=year)
        form = AssessmentForm(request.POST, evidence=evidence, year=year)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.assessment_save(user=request.user, cadre=cadre, year=d["year"], grade=d["grade"],
                                         comments=d["comments"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Assessment saved."))
                return redirect(f"{reverse('supervision:assessment_list')}?year={d['year']}")
    else:
        # Assessments are usually made early in the next year: default to last year.
        year = _year(request) if "year" in request.GET else timezone.localdate().year - 1
        evidence = selectors.assessment_evidence(cadre=cadre, year=year)
        form = AssessmentForm(initial={"year": year}, evidence=evidence, year=year)
    return render(request, "supervision/assessment_form.html", {
        "form": form, "cadre": cadre, "evidence": evidence, "year": year,
        "title": _("Annual assessment of %(c)s") % {"c": cadre.name},
    })


@profile_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not gate.can_manage_county(request.user, assessment.cadre.county_id):
        raise PermissionDenied(_("Only staff of the cadre's county assess the cadre."))
    # The grades offered follow the assessed year's evidence (the year field can change it: the
    # service then checks the new year's cap).
    evidence = selectors.assessment_evidence(cadre=assessment.cadre, year=assessment.year)
    form = AssessmentForm(request.POST or None, initial={
        "year": assessment.year, "grade": assessment.grade, "comments": assessment.comments},
        evidence=evidence, year=assessment.year)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assessment_save(user=request.user, cadre=assessment.cadre, year=d["year"], grade=d["grade"],
                                     comments=d["comments"], instance=assessment)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Assessment saved."))
            return redirect(f"{reverse('supervision:assessment_list')}?year={d['year']}")
    return render(request, "supervision/assessment_form.html", {
        "form": form, "cadre": assessment.cadre, "year": assessment.year, "evidence": evidence,
        "title": _("Annual assessment of %(c)s") % {"c": assessment.cadre.name},
    })


# --- recall and replacement ---------------------------------------------------------------------


@profile_required
@require_http_methods(["GET", "POST"])
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_user(request, pk)
    if not gate.can_manage_county(request.user, assignment.village.county_id):
        raise PermissionDenied(_("Only staff of the village's county recall a cadre."))
    form = RecallForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            obligation = services.cadre_recall(user=request.user, assignment=assignment, reason=d["reason"],
                                               end_date=d["end_date"], due_date=d["due_date"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(c)s recalled. %(u)s must send a replacement by %(d)s.") % {
                "c": assignment.cadre.name, "u": obligation.unit.name, "d": obligation.due_date.isoformat()})
            return redirect("supervision:obligation_list")
    return _form_page(request, form, title=_("Recall %(c)s from %(v)s") % {
        "c": assignment.cadre.name, "v": assignment.village.name},
        cancel_url=reverse("cadre_detail", args=[assignment.cadre_id]), danger=True)


@profile_required
def obligation_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    qs = selectors.obligations_for_user(request.user).select_related(
        "unit", "village__township", "recalled_assignment__cadre", "fulfilled_by__cadre")
    status = request.GET.get("status", "open")
    if status in ReplacementObligation.Status.values:
        qs = qs.filter(status=status)
    qs = selectors.obligations_listed(qs, today=today)
    return render(request, "supervision/obligation_list.html", {
        "page": _page(request, qs), "status": status, "statuses": ReplacementObligation.Status.choices,
        "today": today, "county": gate.managed_county(request.user),
    })


@profile_required
@require_http_methods(["GET", "POST"])
def obligation_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    obligation = _get_obligation_for_user(request, pk)
    if not gate.can_manage_county(request.user, obligation.county_id):
        raise PermissionDenied(_("Only staff of the village's county assign a replacement."))
    form = ReplacementForm(request.POST or None, user=request.user, obligation=obligation,
                           initial={"start_date": timezone.localdate(), "role": obligation.role})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assignment_create_replacement(user=request.user, obligation=obligation, cadre=d["cadre"],
                                                   start_date=d["start_date"], role=d["role"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Replacement assigned to %(v)s.") % {"v": obligation.village.name})
            return redirect("supervision:obligation_list")
    # No cadre of the unit is free: say so and where to register one, instead of an empty list.
    notice = None if form.fields["cadre"].queryset.exists() else _(
        "%(u)s has no cadre free to send: register the new cadre first (with this unit), then come back "
        "here.") % {"u": obligation.unit.name}
    return _form_page(request, form, title=_("Replacement for %(v)s from %(u)s") % {
        "v": obligation.village.name, "u": obligation.unit.name},
        cancel_url=reverse("supervision:obligation_list"), notice=notice,
        notice_link=reverse("cadre_create") if notice else None)


# --- benefits ledger ----------------------------------------------------------------------------


@profile_required
def benefit_arrears(request: HttpRequest) -> HttpResponse:
    _require(selectors.can_see_benefits(request.user))
    year = _year(request)
    payments = selectors.payments_for_user(request.user).filter(year=year).select_related("unit", "cadre", "village")
    return render(request, "supervision/benefits.html", {
        "data": selectors.benefit_arrears(user=request.user, year=year), "year": year,
        "payments": payments[:100], "can_record": selectors.can_record_payment(request.user),
    })


@profile_required
def benefit_export(request: HttpRequest) -> HttpResponse:
    """Arrears by unit and by cadre as .xlsx, from the same scoped selector as the page."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _require(selectors.can_see_benefits(request.user))
    year = _year(request)
    data = selectors.benefit_arrears(user=request.user, year=year)
    wb = Workbook()
    ws = wb.active
    ws.title = _("By unit")
    ws.append([_("Benefits arrears %(y)d by dispatching unit") % {"y": year}])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Dispatching unit"), _("Due"), _("Paid"), _("Arrears"), _("Overpaid"), _("Owed to cadres"),
               _("Cadres in arrears"), _("Work funds owed"), _("Villages in arrears")])
    for u in data["units"]:
        ws.append([u["unit"], u["due"], u["paid"], u["arrears"], u["overpaid"], u["cadre_arrears"],
                   u["cadres_in_arrears"], u["work_funds_arrears"], u["villages_in_arrears"]])
    # The page's headline, as the last row: the figures a reader checks the file against.
    ws.append([_("Total"), data["total_due"], data["total_paid"], data["total_arrears"], data["total_overpaid"]])
    ws2 = wb.create_sheet(_("By cadre"))
    ws2.append([_("Cadre"), _("Dispatching unit"), _("Village"), _("Days in the village"), _("Due"), _("Paid"),
                _("Arrears"), _("Overpaid")])
    for c in data["cadres"]:
        ws2.append([c["name"], c["unit"], c["village"], c["days"], c["due"], c["paid"], c["arrears"], c["overpaid"]])
    bold = Font(bold=True)
    # Amounts (their columns, 1-based) stay numbers, shown as the page shows them: 34,260.27;
    # the counts and days between them stay plain.
    for sheet, header_row, amounts in ((ws, 2, {2, 3, 4, 5, 6, 8}), (ws2, 1, {5, 6, 7, 8})):
        # Header in bold and kept in view.
        for cell in sheet[header_row]:
            cell.font = bold
        sheet.freeze_panes = f"A{header_row + 1}"
        for row in sheet.iter_rows(min_row=header_row + 1):
            for cell in row:
                if cell.column in amounts and isinstance(cell.value, (int, float, Decimal)):
                    cell.number_format = "#,##0.00"
        # Each column as wide as its header or its widest value (a unit's full name).
        fit_column_widths(sheet, header_row=header_row)
    for cell in ws[ws.max_row]:
        cell.font = bold
    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(
        True, _("Benefits arrears %(y)d") % {"y": year} + ".xlsx")
    return response


@profile_required
@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest) -> HttpResponse:
    _require(selectors.can_record_payment(request.user))
    form = PaymentForm(request.POST or None, user=request.user, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            payment = services.benefit_payment_create(
                user=request.user, kind=d["kind"], year=d["year"], amount=d["amount"], paid_on=d["paid_on"],
                note=d["note"], cadre=d["cadre"], village=d["village"], unit=d.get("unit"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(f"{reverse('supervision:benefit_arrears')}?year={payment.year}")
    return _form_page(request, form, title=_("Record a payment"), cancel_url=reverse("supervision:benefit_arrears"))


# --- exemplars ----------------------------------------------------------------------------------


@profile_required
def commendation_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.commendations_for_user(request.user).select_related("cadre__unit")
    return render(request, "supervision/commendation_list.html", {
        "page": _page(request, qs), "can_create": gate.managed_county(request.user) is not None})


@profile_required
@require_http_methods(["GET", "POST"])
def commendation_create(request: HttpRequest) -> HttpResponse:
    _require_county_staff(request)
    form = CommendationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.commendation_create(user=request.user, cadre=d["cadre"], level=d["level"], title=d["title"],
                                         date=d["date"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Commendation recorded."))
            return redirect("supervision:commendation_list")
    return _form_page(request, form, title=_("Record a commendation"),
                      cancel_url=reverse("supervision:commendation_list"))


@profile_required
def case_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.cases_for_user(request.user).select_related("village__township")
    return render(request, "supervision/case_list.html", {
        "page": _page(request, qs), "can_create": gate.managed_county(request.user) is not None})


@profile_required
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    _require_county_staff(request)
    form = CaseForm(request.POST or None, user=request.user, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_create(user=request.user, village=d["village"], title=d["title"], text=d["text"],
                                        date=d["date"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Good-practice case recorded."))
            return redirect("supervision:case_detail", pk=case.pk)
    return _form_page(request, form, title=_("Record a good-practice case"),
                      cancel_url=reverse("supervision:case_list"))


@profile_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "supervision/case_detail.html", {"case": _get_case_for_user(request, pk)})
