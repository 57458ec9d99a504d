"""Spreadsheets attendance pages hand out. Reads happen in selectors; these only lay out rows."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .models import PresenceRecord
from .selectors import REVIEW

# One character per day, as county staff write the paper 考勤表 (差 假 驳 未); an English reader
# gets letters the legend explains. √ and × read the same in both.
SHORT = {
    "in_village": "√", "absent": "×",
    "leave": pgettext_lazy("attendance report mark: on leave", "L"),
    "trip": pgettext_lazy("attendance report mark: official trip", "T"),
    "rejected": pgettext_lazy("attendance report mark: check-in rejected", "R"),
    "missing": pgettext_lazy("attendance report mark: working day without a record", "M"),
    # The calendar's 待复核: a check-in the county has not reviewed yet, counted meanwhile.
    REVIEW: pgettext_lazy("attendance report mark: check-in awaiting the county's review", "P"),
}


def monthly_report_name() -> str:
    """The monthly report's name, as its page and the menus call it, for its title row and its
    file name alike."""
    return _("Monthly attendance report")


def monthly_report_xlsx(*, month: dt.date, area: str, days: list[dict], rows: list[dict]) -> bytes:
    """考勤月报表 from selectors.monthly_report_rows: a title, a legend, a header row, then a row
    per cadre with a mark per day and the month's totals."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    # Write-only (streamed) workbook: a whole province is 34,000 rows × 40 columns, which the
    # ordinary in-memory workbook takes over 30 s to build.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{month:%Y-%m}")
    # As county staff read it on screen: names and days stay in view while scrolling; days off
    # are shaded and the gaps the nightly scan flags stand out.
    ws.freeze_panes = "E4"
    centre, bold = Alignment(horizontal="center"), Font(bold=True)
    off, gap = PatternFill("solid", fgColor="E7E6E6"), PatternFill("solid", fgColor="F8CBAD")
    pending = PatternFill("solid", fgColor="FFF2CC")  # waiting for review: yellow, as on the calendar
    # Day columns are styled as columns (grey for days off), not cell by cell: styling each of a
    # province's million day cells took most of the time. Only the gaps get a style of their own.
    for i, d in enumerate(days, start=5):
        column = ws.column_dimensions[get_column_letter(i)]
        column.width, column.alignment = 4, centre
        if not d["working"]:
            column.fill = off

    def styled(value, *, fill=None, font=None):
        cell = WriteOnlyCell(ws, value=value)
        cell.alignment = centre
        if fill is not None:
            cell.fill = fill
        if font is not None:
            cell.font = font
        return cell

    # The report's name as its page says it (考勤月报表), then the area and the month, as in the file name.
    title = WriteOnlyCell(ws, value=f"{monthly_report_name()} {area} {month:%Y-%m}")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([" ".join([
        _("Legend: √ in the village, T official trip, L leave, × absent (recorded by the township), "
          "R check-in rejected by the county, M working day without a record; grey columns are days off"),
        _("P: a check-in waiting for the county's review, counted as in the village until it is decided."),
    ])])
    kinds = PresenceRecord.Kind
    ws.append([styled(v, font=bold) for v in [_("Township"), _("Village"), _("Cadre"), _("Role")]]
              + [styled(d["date"].day, font=bold, fill=None if d["working"] else off) for d in days]
              + [styled(str(v), font=bold) for v in [
                  kinds.IN_VILLAGE.label, kinds.TRIP.label, kinds.LEAVE.label, kinds.ABSENT.label,
                  _("Check-ins rejected"), _("Working days without a valid record (M and R)"),
                  _("Days counted (in the village and trips)"),
                  _("Days required (pro-rated for days in post and leave)"), _("Requirement met")]])
    # "Met" only once the month is over: mid-month a cadre cannot have met a month's requirement.
    met_label = {True: _("Yes"), False: _("No"), None: _("Month not over")}
    marks = {status: str(mark) for status, mark in SHORT.items()}  # translated once, not per cell
    for row in rows:
        a, totals, cells = row["assignment"], row["totals"], row["cells"]
        day_cells = []
        for d in days:
            status = cells.get(d["date"])
            if status in ("missing", "rejected"):
                day_cells.append(styled(marks[status], fill=gap))
            elif status == REVIEW:
                day_cells.append(styled(marks[status], fill=pending))
            else:
                day_cells.append(marks.get(status))
        met = totals["met"]
        ws.append([a.village.township.name, a.village.name, a.cadre.name, a.get_role_display()] + day_cells
                  + [totals["in_village"], totals["trip"], totals["leave"], totals["absent"], totals["rejected"],
                     totals["missing"], totals["counted"], totals["required"],
                     styled(met_label[met], fill=gap) if met is False else met_label[met]])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def findings_xlsx(*, findings) -> bytes:
    """The findings list as a sheet, one row per finding, in the reader's language: who, where,
    which dispatching unit, what and since when, and how it was resolved."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from assignments.roster import display_width, text_safe

    headers = [_("Kind"), _("Severity"), _("Status"), _("County"), _("Township"), _("Village"), _("Cadre"),
               _("Dispatching unit"), _("Period"), _("Detail"), _("First seen"), _("Last seen"), _("Resolved at"),
               _("Resolution note"), _("Resolved by")]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Findings"))
    ws.freeze_panes = "A2"
    widths = [20, 8, 8, 10, 12, 12, 8, 24, 10, 60, 17, 17, 17, 40, 10]
    for i, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(width, display_width(header) + 2)
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)

    def local(moment):
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None

    for f in findings.iterator(chunk_size=2000):
        # Typed text (a resolution note) that begins with "=" stays text, never a formula.
        ws.append([text_safe(ws, v) for v in (
            f.get_kind_display(), f.get_severity_display(), f.get_status_display(), f.county.name,
            f.village.township.name, f.village.name, f.cadre.name, f.cadre.unit.name, f.period_label,
            f.detail_text, local(f.first_seen), local(f.last_seen), local(f.resolved_at),
            f.resolution_note_text,
            # As the page: the officer's name, or their login; empty when a scan resolved it.
            (f.resolved_by.get_full_name() or f.resolved_by.username) if f.resolved_by else "",
        )])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
