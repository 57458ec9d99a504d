"""The cadre roster spreadsheet (花名册): export and set-based import.

One row per cadre, with the village and role of their active assignment. The column headers
are Chinese whatever the UI language: the spreadsheet is a file format exchanged with
organisation departments, so COLUMNS below is its single definition, used by the export
resource and by the import parser alike.

Export goes through django-import-export (a Resource with explicit dehydrate methods), and
the rows are written with openpyxl's streamed writer (tablib's in-memory workbook was too slow
for a province). The import reads the upload with import-export's XLSX format class but does
NOT use import-export's row-by-row import_data: that runs queries per row,
and a province-sized roster (34,000 rows) must go through in well under a minute. Instead
the whole file is parsed, then checked against a handful of `__in` lookups, then written
with bulk operations (with simple-history records) in one transaction. Any bad row means
nothing is saved and every problem is reported with its Excel row and column.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import tablib
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.formats.base_formats import XLSX
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import selectors
from .idcard import id_number_errors
from .models import Assignment, Cadre, DispatchingUnit, Village
from .services import assignment_start_error, cadre_validate
from .text import list_join

# --- the file format ----------------------------------------------------------------------

NAME = "姓名"
GENDER = "性别"
BIRTH_DATE = "出生日期"
ETHNICITY = "民族"
POLITICAL_STATUS = "政治面貌"
EDUCATION = "学历"
RANK = "职级"
ID_NUMBER = "身份证号"
MOBILE = "手机号"
UNIT = "派出单位"
TOWNSHIP = "乡镇"
VILLAGE_CODE = "村代码"
VILLAGE_NAME = "村名称"
ROLE = "岗位"
START_DATE = "任职开始日期"
PLANNED_END_DATE = "计划结束日期"

# The columns, in file order. Import finds columns by header, so a reordered file still reads.
COLUMNS: tuple[str, ...] = (
    NAME, GENDER, BIRTH_DATE, ETHNICITY, POLITICAL_STATUS, EDUCATION, RANK, ID_NUMBER, MOBILE,
    UNIT, TOWNSHIP, VILLAGE_CODE, VILLAGE_NAME, ROLE, START_DATE, PLANNED_END_DATE,
)
# Written for the reader, not read back: the village code says which village (and township).
INFORMATIONAL: tuple[str, ...] = (TOWNSHIP, VILLAGE_NAME)
REQUIRED: tuple[str, ...] = (
    NAME, GENDER, BIRTH_DATE, ETHNICITY, POLITICAL_STATUS, EDUCATION, ID_NUMBER, MOBILE, UNIT,
)

# Chinese terms of the model choices. Fixed here, not taken from the active translation: the
# file is Chinese even when the officer uses the English UI, and a wording change in locale/
# must not break files already in circulation. The first label of each value is the one the
# export writes; further labels are common spellings the import also accepts.
GENDER_LABELS: dict[str, tuple[str, ...]] = {
    Cadre.Gender.MALE: ("男",),
    Cadre.Gender.FEMALE: ("女",),
}
POLITICAL_STATUS_LABELS: dict[str, tuple[str, ...]] = {
    Cadre.PoliticalStatus.MEMBER: ("中共党员", "党员", "中国共产党党员"),
    Cadre.PoliticalStatus.PROBATIONARY: ("中共预备党员", "预备党员"),
    Cadre.PoliticalStatus.LEAGUE: ("共青团员", "团员"),
    Cadre.PoliticalStatus.DEMOCRATIC: ("民主党派", "民主党派成员"),
    Cadre.PoliticalStatus.MASSES: ("群众",),
}
EDUCATION_LABELS: dict[str, tuple[str, ...]] = {
    Cadre.Education.POSTGRADUATE: ("研究生", "硕士研究生", "博士研究生"),
    Cadre.Education.BACHELOR: ("大学本科", "本科"),
    Cadre.Education.JUNIOR_COLLEGE: ("大学专科", "专科", "大专"),
    Cadre.Education.SECONDARY: ("中专及以下", "中专", "高中", "高中及以下"),
}
ROLE_LABELS: dict[str, tuple[str, ...]] = {
    Assignment.Role.FIRST_SECRETARY: ("第一书记",),
    Assignment.Role.TEAM_LEADER: ("工作队长",),
    Assignment.Role.TEAM_MEMBER: ("工作队员",),
}


def _label_maps(labels: dict[str, tuple[str, ...]], choices) -> tuple[dict[str, str], dict[str, str]]:
    """(value -> export label, label -> value), checked complete against the model choices."""
    missing = set(choices.values) - set(labels)
    assert not missing, f"roster labels missing for {missing}"
    to_label = {str(value): names[0] for value, names in labels.items()}
    to_value = {name: str(value) for value, names in labels.items() for name in names}
    return to_label, to_value


GENDER_OUT, GENDER_IN = _label_maps(GENDER_LABELS, Cadre.Gender)
POLITICAL_OUT, POLITICAL_IN = _label_maps(POLITICAL_STATUS_LABELS, Cadre.PoliticalStatus)
EDUCATION_OUT, EDUCATION_IN = _label_maps(EDUCATION_LABELS, Cadre.Education)
ROLE_OUT, ROLE_IN = _label_maps(ROLE_LABELS, Assignment.Role)

# Rows per INSERT/UPDATE statement: large enough to be fast, small enough for SQLite's
# variable limit and PostgreSQL's CASE-heavy bulk_update.
_BATCH = 1000
_CHANGE_REASON = "roster import"


# --- export -------------------------------------------------------------------------------


class RosterResource(resources.Resource):
    """One row per cadre; the village columns come from the ACTIVE assignment.

    Expects cadres prepared by `selectors.cadres_with_active_assignment` (unit and
    `active_assignments` already loaded), and the exporting user, to mask ID numbers the user
    may not see in full.
    """

    name = fields.Field(column_name=NAME, dehydrate_method="dehydrate_name")
    gender = fields.Field(column_name=GENDER, dehydrate_method="dehydrate_gender")
    birth_date = fields.Field(column_name=BIRTH_DATE, dehydrate_method="dehydrate_birth_date")
    ethnicity = fields.Field(column_name=ETHNICITY, dehydrate_method="dehydrate_ethnicity")
    political_status = fields.Field(column_name=POLITICAL_STATUS, dehydrate_method="dehydrate_political_status")
    education = fields.Field(column_name=EDUCATION, dehydrate_method="dehydrate_education")
    rank = fields.Field(column_name=RANK, dehydrate_method="dehydrate_rank")
    id_number = fields.Field(column_name=ID_NUMBER, dehydrate_method="dehydrate_id_number")
    mobile = fields.Field(column_name=MOBILE, dehydrate_method="dehydrate_mobile")
    unit = fields.Field(column_name=UNIT, dehydrate_method="dehydrate_unit")
    township = fields.Field(column_name=TOWNSHIP, dehydrate_method="dehydrate_township")
    village_code = fields.Field(column_name=VILLAGE_CODE, dehydrate_method="dehydrate_village_code")
    village_name = fields.Field(column_name=VILLAGE_NAME, dehydrate_method="dehydrate_village_name")
    role = fields.Field(column_name=ROLE, dehydrate_method="dehydrate_role")
    start_date = fields.Field(column_name=START_DATE, dehydrate_method="dehydrate_start_date")
    planned_end_date = fields.Field(column_name=PLANNED_END_DATE, dehydrate_method="dehydrate_planned_end_date")

    class Meta:
        export_order = (
            "name", "gender", "birth_date", "ethnicity", "political_status", "education", "rank",
            "id_number", "mobile", "unit", "township", "village_code", "village_name", "role", "start_date",
            "planned_end_date",
        )

    def __init__(self, *, user, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    @staticmethod
    def _active(cadre: Cadre) -> Assignment | None:
        active = getattr(cadre, "active_assignments", None)
        if active is None:  # not prefetched: fall back to one query (never in roster_export)
            return cadre.active_assignment
        return active[0] if active else None

    def dehydrate_name(self, cadre: Cadre) -> str:
        return cadre.name

    def dehydrate_gender(self, cadre: Cadre) -> str:
        return GENDER_OUT.get(cadre.gender, cadre.gender)

    def dehydrate_birth_date(self, cadre: Cadre) -> dt.date | str:
        # Only the year beside a masked ID number (see selectors.cadre_identity_for_user).
        return selectors.cadre_identity_for_user(self.user, cadre).birth

    def dehydrate_ethnicity(self, cadre: Cadre) -> str:
        return cadre.ethnicity

    def dehydrate_political_status(self, cadre: Cadre) -> str:
        return POLITICAL_OUT.get(cadre.political_status, cadre.political_status)

    def dehydrate_education(self, cadre: Cadre) -> str:
        return EDUCATION_OUT.get(cadre.education, cadre.education)

    def dehydrate_rank(self, cadre: Cadre) -> str:
        return cadre.rank

    def dehydrate_id_number(self, cadre: Cadre) -> str:
        # Reviewers and other counties get the masked number, as on every page.
        return selectors.cadre_identity_for_user(self.user, cadre).id_number

    def dehydrate_mobile(self, cadre: Cadre) -> str:
        return cadre.mobile

    def dehydrate_unit(self, cadre: Cadre) -> str:
        return cadre.unit.name

    def dehydrate_township(self, cadre: Cadre) -> str:
        a = self._active(cadre)
        return a.village.township.name if a else ""

    def dehydrate_village_code(self, cadre: Cadre) -> str:
        a = self._active(cadre)
        return a.village.code if a else ""

    def dehydrate_village_name(self, cadre: Cadre) -> str:
        a = self._active(cadre)
        return a.village.name if a else ""

    def dehydrate_role(self, cadre: Cadre) -> str:
        a = self._active(cadre)
        return ROLE_OUT.get(a.role, a.role) if a else ""

    def dehydrate_start_date(self, cadre: Cadre) -> dt.date | str:
        a = self._active(cadre)
        return a.start_date if a else ""

    def dehydrate_planned_end_date(self, cadre: Cadre) -> dt.date | str:
        a = self._active(cadre)
        return a.planned_end_date if a else ""


_ROLE_ORDER = {value: i for i, value in enumerate(Assignment.Role.values)}


def roster_export(*, user, cadres: QuerySet[Cadre]) -> bytes:
    """The roster of `cadres` (intersected with what `user` may see) as .xlsx bytes.

    A constant number of queries whatever the size: the cadres with their unit, and their
    active assignments with the village.
    """
    visible = cadres.filter(pk__in=selectors.cadres_for_user(user).values("pk"))
    rows = list(selectors.cadres_with_active_assignment(visible))

    # Village by village, first secretary first: the order a county reads its roster in.
    def order(c: Cadre):
        a = c.active_assignments[0] if c.active_assignments else None
        return (a is None, a.village.code if a else "", _ROLE_ORDER.get(a.role, 9) if a else 0, c.name, c.pk)

    rows.sort(key=order)
    dataset = RosterResource(user=user).export(queryset=rows)
    return _roster_workbook(dataset)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet or a terminal: a Chinese character two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


XLSX_MAX_WIDTH = 50


def fit_column_widths(ws, *, header_row: int, rows: int = 200) -> None:
    """Widths for a sheet built in memory (not write-only): each column as wide as its header
    or its widest value among the first `rows` rows, as `display_width` counts them and as the
    cell's number format shows a number (34,260.27), so no header is cut off in Excel; a
    header wider than XLSX_MAX_WIDTH wraps instead. Rows above the header (a title) spill over
    their neighbours and are not measured."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    def shown(cell) -> str:
        if isinstance(cell.value, (int, float, Decimal)) and "#,##0" in cell.number_format:
            decimals = len(cell.number_format.partition(".")[2])
            return f"{cell.value:,.{decimals}f}"
        if isinstance(cell.value, dt.date):
            return cell.value.isoformat()[:10]
        return str(cell.value)

    widest: dict[int, int] = {}
    # Bounded by the sheet's last row: iter_rows would otherwise add empty rows up to max_row.
    for row in ws.iter_rows(min_row=header_row, max_row=min(ws.max_row, header_row + rows)):
        for cell in row:
            if cell.value not in (None, ""):
                widest[cell.column] = max(widest.get(cell.column, 0), display_width(shown(cell)))
    for column, width in widest.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 6), XLSX_MAX_WIDTH)
    for cell in ws[header_row]:
        if cell.value is not None and display_width(str(cell.value)) + 2 > XLSX_MAX_WIDTH:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def text_safe(ws, value):
    """A value for a write-only sheet's row: typed text that begins with "=" stays text (a cell
    must not become a formula because of what someone typed); anything else as it is."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _roster_workbook(dataset: tablib.Dataset) -> bytes:
    """The roster as a county officer reads it: one sheet named 花名册, a bold header row that
    stays in view, and columns wide enough for their Chinese text.

    Written in openpyxl's write-only (streamed) mode: tablib's in-memory workbook took 24 s of
    a province's 34 s export (34,000 rows), past gunicorn's 30 s timeout. A text that begins
    with "=" stays text: a cell must not become a formula because of what someone typed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.freeze_panes = "A2"
    headers = list(dataset.headers or [])
    sample = dataset[:200]
    for i, header in enumerate(headers):
        widest = max([display_width(str(header))]
                     + [display_width(str(r[i])) for r in sample if r[i] not in (None, "")])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(widest + 2, 6), 40)
    bold = Font(bold=True)

    def header(value):
        c = WriteOnlyCell(ws, value=value)
        c.font = bold
        return c

    ws.append([header(h) for h in headers])
    for row in dataset:
        ws.append([text_safe(ws, v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # Excel row number; the header is row 1, 0 means the whole file
    column: str  # the Chinese header, "" when the error is not about one column
    message: str


@dataclass
class RosterImportResult:
    errors: list[RowError] = field(default_factory=list)
    created_cadres: int = 0
    updated_cadres: int = 0
    created_assignments: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    """One parsed data row; values are None where the cell was blank or unreadable."""

    number: int
    values: dict[str, object] = field(default_factory=dict)


class _Parser:
    """Turns cells into typed values, collecting an error per bad cell."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.bad: set[tuple[int, str]] = set()  # (row, column) pairs already reported
        self.bad_rows: set[int] = set()

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))
        self.bad.add((row, column))
        self.bad_rows.add(row)

    @staticmethod
    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def digits(self, row: int, column: str, value) -> str:
        """Codes and phone numbers: text, or a whole number Excel kept exactly."""
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return self.text(value)

    def id_number(self, row: int, value) -> str | None:
        if isinstance(value, float):
            # 18 digits do not fit in a double: Excel has already rounded the last ones away.
            self.error(row, ID_NUMBER, _(
                "Excel stored this ID number as a number and lost its last digits. Format the column "
                "as text and type the ID number again."
            ))
            return None
        text = self.text(value).upper()
        if not text:
            return ""
        problems = id_number_errors(text)
        if problems:
            self.error(row, ID_NUMBER, problems[0])
            return None
        return text

    _DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")

    def date(self, row: int, column: str, value) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            match = self._DATE_TEXT.match(value.strip())
            if match:
                try:
                    return dt.date(*(int(g) for g in match.groups()))
                except ValueError:
                    pass
            elif not value.strip():
                return None
        self.error(row, column, _("“%(v)s” is not a date: write it as YYYY-MM-DD or format the cell as a date.")
                   % {"v": value})
        return None

    def choice(self, row: int, column: str, value, to_value: dict[str, str], to_label: dict[str, str]) -> str | None:
        text = self.text(value)
        if not text:
            return None
        if text in to_value:
            return to_value[text]
        self.error(row, column, _("Unknown value “%(v)s”; use one of: %(choices)s.") % {
            "v": text, "choices": list_join(to_label.values()),
        })
        return None


_MAX_LENGTHS = {NAME: 32, ETHNICITY: 16, RANK: 32}


class RosterXLSX(XLSX):
    """import-export's XLSX format, made tolerant of what real roster files look like.

    The stock reader appends `cell.value` rows as they come; a workbook written without a
    dimension record (openpyxl's write-only mode, some WPS versions) then yields rows of
    uneven length, which tablib rejects. Here every row is cut or padded to the header width,
    blank lines are kept (so row numbers stay Excel's), and values are read with
    `values_only`, which is several times faster on a 34,000-row sheet.
    """

    def create_dataset(self, in_stream):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            headers = next(rows, None)
            if headers is None:
                return tablib.Dataset()
            width = len(headers)
            dataset = tablib.Dataset(headers=list(headers))
            pad = (None,) * width
            for row in rows:
                dataset.append(row[:width] + pad[len(row):] if len(row) != width else row)
            return dataset
        finally:
            book.close()


def _parse(data: bytes, parser: _Parser) -> list[_Row]:
    try:
        dataset = RosterXLSX().create_dataset(data)
    except tablib.InvalidDimensions:
        parser.error(0, "", _("The file could not be read: its rows are uneven."))
        return []
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a non-xlsx upload
        parser.error(0, "", _("The file could not be read as an Excel workbook (.xlsx)."))
        return []

    headers = [parser.text(h) for h in dataset.headers or []]
    index = {}
    for i, header in enumerate(headers):
        if header in COLUMNS and header not in index:
            index[header] = i
    missing = [c for c in COLUMNS if c not in index and c not in INFORMATIONAL]
    for column in missing:
        parser.error(1, column, _("The header row has no column “%(c)s”.") % {"c": column})
    if missing:
        return []

    rows = []
    for offset, cells in enumerate(dataset):
        number = offset + 2
        raw = {c: cells[i] for c, i in index.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
            continue  # blank line
        row = _Row(number=number)
        v = row.values
        for column in REQUIRED:
            if parser.text(raw[column]) == "":
                parser.error(number, column, _("This column is required."))
        for column, limit in _MAX_LENGTHS.items():
            text = parser.text(raw[column])
            if len(text) > limit:
                parser.error(number, column, _("At most %(n)d characters.") % {"n": limit})
            v[column] = text
        v[GENDER] = parser.choice(number, GENDER, raw[GENDER], GENDER_IN, GENDER_OUT)
        v[POLITICAL_STATUS] = parser.choice(number, POLITICAL_STATUS, raw[POLITICAL_STATUS], POLITICAL_IN, POLITICAL_OUT)
        v[EDUCATION] = parser.choice(number, EDUCATION, raw[EDUCATION], EDUCATION_IN, EDUCATION_OUT)
        v[ROLE] = parser.choice(number, ROLE, raw[ROLE], ROLE_IN, ROLE_OUT)
        v[BIRTH_DATE] = parser.date(number, BIRTH_DATE, raw[BIRTH_DATE])
        v[START_DATE] = parser.date(number, START_DATE, raw[START_DATE])
        v[PLANNED_END_DATE] = parser.date(number, PLANNED_END_DATE, raw[PLANNED_END_DATE])
        v[ID_NUMBER] = parser.id_number(number, raw[ID_NUMBER])
        v[MOBILE] = parser.digits(number, MOBILE, raw[MOBILE])
        v[UNIT] = parser.text(raw[UNIT])
        v[VILLAGE_CODE] = parser.digits(number, VILLAGE_CODE, raw[VILLAGE_CODE])
        rows.append(row)
    return rows


_CADRE_ATTRS = {
    NAME: "name", GENDER: "gender", BIRTH_DATE: "birth_date", ETHNICITY: "ethnicity",
    POLITICAL_STATUS: "political_status", EDUCATION: "education", RANK: "rank", MOBILE: "mobile",
}
_UPDATE_FIELDS = [*_CADRE_ATTRS.values(), "unit"]
_IDENTITY_COLUMNS = {"id_number": ID_NUMBER, "birth_date": BIRTH_DATE, "mobile": MOBILE, "gender": GENDER}


@dataclass
class _Plan:
    new_cadres: list[Cadre] = field(default_factory=list)
    changed_cadres: list[Cadre] = field(default_factory=list)
    # (row's id number, unsaved assignment without cadre yet)
    new_assignments: list[tuple[str, Assignment]] = field(default_factory=list)
    unchanged: int = 0


def _validate(*, user, county, rows: list[_Row], parser: _Parser) -> _Plan:
    """Check every row against the database (a fixed number of `__in` queries) and against the
    other rows, and plan the writes."""
    err = parser.error
    ids = {r.values[ID_NUMBER] for r in rows if r.values[ID_NUMBER]}
    unit_names = {r.values[UNIT] for r in rows if r.values[UNIT]}
    codes = {r.values[VILLAGE_CODE] for r in rows if r.values[VILLAGE_CODE]}

    units = {u.name: u for u in DispatchingUnit.objects.filter(name__in=unit_names)}
    selectable = set(
        selectors.units_selectable_for_user(user).filter(name__in=unit_names).values_list("id", flat=True)
    )
    villages = {v.code: v for v in Village.objects.filter(code__in=codes).select_related("county")}
    existing = {c.id_number: c for c in Cadre.objects.filter(id_number__in=ids).select_related("county")}
    active_by_cadre = {
        a.cadre_id: a
        for a in Assignment.objects.filter(cadre__in=[c.pk for c in existing.values()], end_date__isnull=True)
        .select_related("village")
    }
    last_end = dict(
        Assignment.objects.filter(cadre__in=[c.pk for c in existing.values()], end_date__isnull=False)
        .values("cadre_id").annotate(last=Max("end_date")).values_list("cadre_id", "last")
    )
    secretaries = {
        a.village_id: a
        for a in Assignment.objects.filter(
            village__in=[v.pk for v in villages.values()], end_date__isnull=True,
            role=Assignment.Role.FIRST_SECRETARY,
        ).select_related("cadre")
    }

    plan = _Plan()
    seen_ids: dict[str, int] = {}
    secretary_rows: dict[str, int] = {}  # village code -> row naming its first secretary
    for row in rows:
        v, n = row.values, row.number

        # Identity checks shared with the cadre form (ID check character, birth date, mobile).
        id_number = v[ID_NUMBER]
        if id_number:
            for key, message in cadre_validate(
                id_number=id_number, birth_date=v[BIRTH_DATE], mobile=v[MOBILE], gender=v[GENDER],
                new=id_number not in existing,
            ).items():
                if key != "id_number":  # already reported by the parser
                    err(n, _IDENTITY_COLUMNS.get(key, ""), message)
            if id_number in seen_ids:
                err(n, ID_NUMBER, _("This ID number is already on row %(r)d of the file.") % {"r": seen_ids[id_number]})
            else:
                seen_ids[id_number] = n
        elif v[MOBILE]:
            mobile_error = cadre_validate(id_number="", birth_date=None, mobile=v[MOBILE]).get("mobile")
            if mobile_error:
                err(n, MOBILE, mobile_error)

        unit = units.get(v[UNIT]) if v[UNIT] else None
        if v[UNIT] and unit is None:
            err(n, UNIT, _("There is no dispatching unit named “%(u)s”; register it first.") % {"u": v[UNIT]})

        cadre = existing.get(id_number) if id_number else None
        if cadre is not None and cadre.county_id != county.id:
            # Another county's cadre. The number is unique province-wide, so "already registered"
            # cannot be hidden; which county (to ask about a transfer) is said only when the row
            # also has the cadre's name right, so a bare number never returns a name and a place.
            if v[NAME] == cadre.name:
                err(n, ID_NUMBER, _("%(c)s is managed by %(county)s; only that county can change this cadre.") % {
                    "c": cadre.name, "county": cadre.county.name,
                })
            else:
                err(n, ID_NUMBER, _("A cadre with this ID number is registered by another county; only that county "
                                    "can change this cadre. Check the number and the name."))
            continue
        if unit is not None and unit.pk not in selectable and (cadre is None or cadre.unit_id != unit.pk):
            err(n, UNIT, _("%(u)s does not send cadres to your county; choose a unit of your county or a "
                           "higher-level unit.") % {"u": unit.name})

        # The assignment columns.
        code, role = v[VILLAGE_CODE], v[ROLE]
        start, planned_end = v[START_DATE], v[PLANNED_END_DATE]
        village = None
        active = active_by_cadre.get(cadre.pk) if cadre is not None else None
        if not code:
            if role or start or planned_end:
                err(n, VILLAGE_CODE, _("A role or dates are given but no village code."))
            if active is not None:
                err(n, VILLAGE_CODE, _("%(c)s serves in %(v)s; end that assignment on the assignment page "
                                       "instead of leaving the village blank.") % {
                    "c": cadre.name, "v": active.village.name})
        else:
            village = villages.get(code)
            if village is None:
                err(n, VILLAGE_CODE, _("There is no village with code %(code)s.") % {"code": code})
            elif village.county_id != county.id:
                err(n, VILLAGE_CODE, _("Village %(v)s (%(code)s) is in %(county)s: a county officer cannot "
                                       "import into another county.") % {
                    "v": village.name, "code": code, "county": village.county.name})
                village = None
            if not role and (n, ROLE) not in parser.bad:
                err(n, ROLE, _("A cadre with a village needs a role."))
            if start is None and active is None and (n, START_DATE) not in parser.bad:
                err(n, START_DATE, _("A new assignment needs a start date."))

        if village is not None and role:
            if active is not None:
                if active.village_id != village.pk or active.role != role:
                    err(n, VILLAGE_CODE, _("%(c)s serves in %(v)s as %(r)s; a change of village or role goes "
                                           "through the assignment change page, with a reason.") % {
                        "c": cadre.name, "v": active.village.name, "r": ROLE_OUT[active.role]})
                else:
                    if start is not None and start != active.start_date:
                        err(n, START_DATE, _("The current assignment started on %(d)s; dates of an assignment "
                                             "in progress are changed on the assignment page.") % {
                            "d": active.start_date.isoformat()})
                    if planned_end is not None and planned_end != active.planned_end_date:
                        err(n, PLANNED_END_DATE, _("The current assignment is planned to end on %(d)s; dates of "
                                                   "an assignment in progress are changed on the assignment "
                                                   "page.") % {"d": active.planned_end_date.isoformat()})
            if role == Assignment.Role.FIRST_SECRETARY:
                holder = secretaries.get(village.pk)
                if holder is not None and holder.cadre.id_number != id_number:
                    err(n, ROLE, _("%(v)s already has a first secretary (%(c)s).") % {
                        "v": village.name, "c": holder.cadre.name})
                elif code in secretary_rows:
                    err(n, ROLE, _("Row %(r)d already names the first secretary of %(v)s.") % {
                        "r": secretary_rows[code], "v": village.name})
                else:
                    secretary_rows[code] = n
            if active is None and start is not None:
                if (start_error := assignment_start_error(start)) is not None:
                    err(n, START_DATE, start_error)
                planned_end = planned_end or Assignment.default_planned_end(start)
                if planned_end <= start:
                    err(n, PLANNED_END_DATE, _("The planned end date must come after the start date."))
                ended = last_end.get(cadre.pk) if cadre is not None else None
                if ended is not None and start < ended:
                    err(n, START_DATE, _("The start date overlaps the cadre's previous assignment, which ended "
                                         "on %(d)s.") % {"d": ended.isoformat()})

        if n in parser.bad_rows or not id_number:
            continue  # nothing is written anyway; keep collecting errors

        # Plan the writes for a clean row.
        wanted = {attr: v[column] for column, attr in _CADRE_ATTRS.items()}
        if cadre is None:
            cadre = Cadre(id_number=id_number, unit=unit, county=county, **wanted)
            plan.new_cadres.append(cadre)
            changed = True
        else:
            changed = cadre.unit_id != unit.pk or any(getattr(cadre, a) != x for a, x in wanted.items())
            if changed:
                for attr, value in wanted.items():
                    setattr(cadre, attr, value)
                cadre.unit = unit
                plan.changed_cadres.append(cadre)
        if village is not None and active is None:
            plan.new_assignments.append((id_number, Assignment(
                village=village, role=role, start_date=start, planned_end_date=planned_end, approved_by=user,
            )))
            changed = True
        if not changed:
            plan.unchanged += 1
    return plan


def _write(*, user, plan: _Plan) -> None:
    """All writes, in bulk and with history; the caller holds the transaction."""
    created = bulk_create_with_history(
        plan.new_cadres, Cadre, batch_size=_BATCH, default_user=user, default_change_reason=_CHANGE_REASON,
    )
    if plan.changed_cadres:
        bulk_update_with_history(
            plan.changed_cadres, Cadre, fields=_UPDATE_FIELDS, batch_size=_BATCH, default_user=user,
            default_change_reason=_CHANGE_REASON,
        )
    if plan.new_assignments:
        pk_by_id_number = {c.id_number: c.pk for c in created}
        pk_by_id_number.update({c.id_number: c.pk for c in plan.changed_cadres})
        missing = [i for i, _a in plan.new_assignments if i not in pk_by_id_number]
        if missing:  # existing, unchanged cadres starting a new assignment
            pk_by_id_number.update(Cadre.objects.filter(id_number__in=missing).values_list("id_number", "pk"))
        assignments = []
        for id_number, assignment in plan.new_assignments:
            assignment.cadre_id = pk_by_id_number[id_number]
            assignments.append(assignment)
        bulk_create_with_history(
            assignments, Assignment, batch_size=_BATCH, default_user=user, default_change_reason=_CHANGE_REASON,
        )


def roster_import(*, user, data: bytes, timings: dict | None = None) -> RosterImportResult:
    """Create or update cadres (by ID number) and start assignments from a roster .xlsx.

    All or nothing: if any row is wrong, nothing is saved and `errors` lists every problem with
    its Excel row and column. Only county staff import, into their own county. An assignment
    already in progress is never changed from a spreadsheet: a different village, role or date
    is an error pointing to the assignment pages, where changes need a reason.
    """
    county = selectors.managed_county(user)
    if county is None:
        raise PermissionDenied(_("Only county organisation department staff can import a roster."))

    clock = time.perf_counter()
    parser = _Parser()
    rows = _parse(data, parser)
    parsed_at = time.perf_counter()
    plan = _validate(user=user, county=county, rows=rows, parser=parser) if rows else _Plan()
    validated_at = time.perf_counter()
    if not rows and not parser.errors:
        parser.error(0, "", _("The file has no cadre rows."))

    result = RosterImportResult()
    if parser.errors:
        result.errors = sorted(parser.errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS
                                                              else -1))
    else:
        try:
            with transaction.atomic():
                _write(user=user, plan=plan)
        except IntegrityError:
            # The partial unique constraints (one active assignment per cadre, one first
            # secretary per village) or the unique ID number caught a concurrent change.
            result.errors = [RowError(row=0, column="", message=_(
                "Someone else changed the roster while the file was being imported; nothing was saved. "
                "Import the file again."
            ))]
        else:
            result.created_cadres = len(plan.new_cadres)
            result.updated_cadres = len(plan.changed_cadres)
            result.created_assignments = len(plan.new_assignments)
            result.unchanged = plan.unchanged
    if timings is not None:
        timings.update(parse=parsed_at - clock, validate=validated_at - parsed_at,
                       write=time.perf_counter() - validated_at)
    return result
