"""The dashboard: one URL that shows each user their own level, drill-down by ?region=<id>.

Every request goes through `_get_region_for_user`: a region outside the user's scope is a 404
for the page, the export and the map alike (we do not confirm it exists)."""
from __future__ import annotations

import io
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import yesno
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from assignments.models import Region
from assignments.roster import fit_column_widths

from . import selectors

# The figures a user may colour the map by: (field on Row, label). The labels carry no "(%)":
# the map's script adds the unit to each value of a rate (PERCENT_FIGURES).
MAP_FIGURES = [
    ("rate_30", gettext_lazy("Presence rate, last 30 days")),
    ("rate_yesterday", gettext_lazy("Presence rate, last working day")),
    ("training_compliance", gettext_lazy("Training requirement met")),
    ("open_findings", gettext_lazy("Open findings")),
    ("no_first_secretary", gettext_lazy("Villages without a first secretary")),
    ("active_cadres", gettext_lazy("Cadres in post")),
]

# Rates: the map's colour scale spans at least 10 points (static/js/dashboard.js), so that 93.9 % beside
# 94.5 % does not look like the worst beside the best.
PERCENT_FIGURES = {"rate_30", "rate_yesterday", "training_compliance"}


def _get_region_for_user(request: HttpRequest) -> Region:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not selectors.has_dashboard(request.user):
        raise PermissionDenied(_("Dashboards are for province, city, county and township staff."))
    raw = request.GET.get("region", "").strip()
    if raw and not raw.isdigit():
        raise Http404
    region = selectors.dashboard_region_for_user(request.user, int(raw) if raw else None)
    if region is None:
        raise Http404
    return region


def _build(request: HttpRequest, region: Region) -> selectors.Dashboard:
    return selectors.dashboard_for_region(region=region, today=timezone.localdate())


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    region = _get_region_for_user(request)
    board = _build(request, region)
    figure = request.GET.get("figure", "rate_30")
    if figure not in dict(MAP_FIGURES):
        figure = "rate_30"
    # The map draws the sub-regions' boundaries (cities of a province, counties of a city).
    has_map = region.level in (Region.Level.PROVINCE, Region.Level.CITY)
    map_values = {r.name: getattr(r, figure) for r in board.rows}
    return render(request, "dashboard/index.html", {
        "board": board,
        "region": region,
        "crumbs": selectors.breadcrumbs(user=request.user, region=region),
        "request_time": timezone.localtime(),
        "has_map": has_map,
        "map_figures": [(f, str(label)) for f, label in MAP_FIGURES],
        "figure": figure,
        "chart_data": {
            "trend": board.trend,
            "map": {"values": map_values, "label": str(dict(MAP_FIGURES)[figure]),
                    "percent": figure in PERCENT_FIGURES},
        },
    })


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def dashboard_map(request: HttpRequest) -> JsonResponse:
    region = _get_region_for_user(request)
    return JsonResponse(selectors.region_boundaries(region=region))


# --- exports ----------------------------------------------------------------------------------


def _pct(value):
    return value if value is not None else ""


def _sheets(board: selectors.Dashboard) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the page as (header, rows), keyed by the `table` parameter."""
    level_name = {
        "city": _("City / prefecture"), "county": _("County"), "township": _("Township"), "village": _("Village"),
    }[board.child_level]
    header = [
        level_name, pgettext("column: number of villages", "Villages"), _("Villages with a team"), _("Cadres in post"),
        _("Villages without a first secretary"), _("Under-staffed teams"),
        _("Presence rate, last working day (%)"), _("Presence rate, last 30 days (%)"), _("On leave today"),
        _("Presence shortfalls last month"), _("Training requirement met (%)"), _("Open findings"),
        _("Inspections this quarter"), _("Inspections finding an unexcused absence (%)"),
        _("Assignment changes this year"), _("Replacements owed"),
    ]
    rows = []
    per_village = board.child_level == "village"
    for r in [*board.rows, board.total]:
        total = r is board.total
        rows.append([
            r.name if not total else _("Total"), r.villages, r.villages_with_team, r.active_cadres,
            r.no_first_secretary, r.understaffed, _pct(r.rate_yesterday), _pct(r.rate_30), r.on_leave_today,
            r.shortfalls_last_month, _pct(r.training_compliance), r.open_findings, r.inspections_quarter,
            _pct(r.inspections_unexcused_share), r.changes_year, r.replacements_open,
        ])
        if per_village and not total:
            # A village row's counts of villages are 1 or 0: Yes/No in words, as on the page
            # (the total row keeps counting them). Django's words are lower-case in English.
            for i in (2, 4, 5):
                rows[-1][i] = capfirst(yesno(rows[-1][i]))
    if per_village:
        # "Villages" is 1 on every village row; the total row's count moves into its label.
        header.pop(1)
        for row in rows:
            del row[1]
        n = board.total.villages
        rows[-1][0] = ngettext("Total (%(n)s village)", "Total (%(n)s villages)", n) % {"n": n}
    sheets = {
        "regions": (header, rows),
        "findings": ([_("Kind"), _("Open findings")], [[label, n] for _k, label, n in board.findings_by_kind]),
        "changes": ([_("End reason"), _("Assignments ended")], [[label, n] for _k, label, n in board.changes_by_reason]),
        "units": ([_("Dispatching unit"), _("Open findings")], [[u["name"], u["open_findings"]] for u in board.top_units]),
        "trend": ([_("Day"), _("Cadres expected"), _("In the village or on a trip"), _("Presence rate (%)")],
                  [[t["day"], t["expected"], t["present"], _pct(t["rate"])] for t in board.trend]),
    }
    if board.cadres:
        sheets["cadres"] = (
            [_("Cadre"), _("Role"), _("Village"), _("Working days in post"), _("Days present"),
             _("Presence rate, last 30 days (%)"), _("Open findings")],
            [[c["name"], c["role"], c["village"], c["expected"], c["present"], _pct(c["rate"]), c["open_findings"]]
             for c in board.cadres],
        )
    sheets["exemplars"] = (
        [_("Kind"), _("Title"), _("Date"), _("Cadre or village")],
        [[_("Commendation"), c.title, c.date, c.cadre.name] for c in board.commendations]
        + [[_("Good-practice case"), c.title, c.date, c.village.name] for c in board.cases],
    )
    return sheets


SHEET_TITLES = {
    "regions": gettext_lazy("By region"), "findings": gettext_lazy("Open findings"), "changes": gettext_lazy("Assignment changes"), "units": gettext_lazy("Units"),
    "trend": gettext_lazy("Presence trend"), "cadres": gettext_lazy("Cadres"), "exemplars": gettext_lazy("Exemplars"),
}


def _export_title(region: Region, board: selectors.Dashboard) -> str:
    """The sheets' first row: the region and how old its figures are, in the page's own words
    (the same msgids as the page, so the file is in the user's language like the page)."""
    if board.as_of:
        presence = _("Presence figures as of %(at)s (nightly summaries)") % {
            "at": f"{timezone.localtime(board.as_of):%Y-%m-%d %H:%M}"}
    else:
        presence = _("Presence summaries have not been computed yet.")
    others = _("other figures as of %(at)s") % {"at": f"{timezone.localtime():%Y-%m-%d %H:%M}"}
    return f"{region.full_name or region.name} · {presence} · {others}"


@login_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The page's tables as .xlsx: one sheet per table, or only `?table=<name>`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    region = _get_region_for_user(request)
    board = _build(request, region)
    sheets = _sheets(board)
    wanted = request.GET.get("table", "")
    if wanted:
        if wanted not in sheets:
            raise Http404
        sheets = {wanted: sheets[wanted]}
    wb = Workbook()
    wb.remove(wb.active)
    title = _export_title(region, board)
    for key, (header, rows) in sheets.items():
        ws = wb.create_sheet(str(SHEET_TITLES[key])[:31])
        ws.append([title])
        ws.append(header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append(r)
        ws.freeze_panes = "B3"
        # English headers run long ("Inspections finding an unexcused absence (%)"): each
        # column as wide as its header, so none is cut off in Excel.
        fit_column_widths(ws, header_row=2)
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = _("Dashboard")  # outside the f-string, where makemessages does not look
    filename = f"{name}-{region.name}-{timezone.localdate():%Y%m%d}.xlsx"
    # RFC 5987 form, so the Chinese file name survives every browser.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
