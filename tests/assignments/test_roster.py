"""The roster spreadsheet: export, set-based import, and every way an import is refused."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl.utils import get_column_letter

from assignments import roster
from assignments.models import Assignment, Cadre
from assignments.roster import COLUMNS, roster_export, roster_import
from assignments.selectors import cadres_for_user

from ..factories import AssignmentFactory, CadreFactory, make_id_number


@pytest.fixture(autouse=True)
def _english_messages():
    """Assertions below match the English msgids; one test checks the Chinese text."""
    with translation.override("en"):
        yield


BIRTH = dt.date(1990, 5, 17)


def new_row(seq: int = 1, **overrides) -> dict:
    """A valid row for a new cadre, team member of 白桥村."""
    gender = "M" if overrides.get("性别") == "男" else "F"
    row = {
        "姓名": f"新干部{seq}", "性别": "女", "出生日期": BIRTH, "民族": "汉族", "政治面貌": "中共党员",
        # Distinct per seq, and its 17th digit agrees with the row's gender.
        "学历": "大学本科", "职级": "四级主任科员", "身份证号": make_id_number(BIRTH, seq=seq, gender=gender),
        "手机号": f"1390000{seq:04d}", "派出单位": "苍溪县农业农村局", "村代码": "510824100202",
        "村名称": "白桥村", "岗位": "工作队员", "任职开始日期": dt.date(2026, 3, 1), "计划结束日期": None,
    }
    row.update(overrides)
    return row


def xlsx(*rows: dict, headers=COLUMNS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read(data: bytes) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = list(ws.values)
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def snapshot():
    return (
        Cadre.objects.count(), Assignment.objects.count(),
        Cadre.history.count(), Assignment.history.count(),
        sorted(Cadre.objects.values_list("id_number", "name", "mobile", "unit_id")),
    )


def assert_refused(world, rows, *, row: int, column: str, contains: str = "", user=None):
    before = snapshot()
    result = roster_import(user=user or world.owner, data=xlsx(*rows))
    assert not result.ok
    hits = [e for e in result.errors if e.row == row and e.column == column]
    assert hits, result.errors
    assert contains in hits[0].message, hits[0].message
    assert snapshot() == before, "a refused import must save nothing"
    assert (result.created_cadres, result.updated_cadres, result.created_assignments) == (0, 0, 0)
    return result


# --- good imports ------------------------------------------------------------------------


def test_import_creates_cadres_and_assignments_and_updates_changed_cadres(world):
    member = new_row(1, 岗位="第一书记")  # 白桥村 has no first secretary yet
    unassigned = new_row(2, 村代码=None, 村名称=None, 岗位=None, 任职开始日期=None)
    text_dates = new_row(3, 出生日期="1990-05-17", 任职开始日期="2026-03-01", 计划结束日期="2027-12-31",
                         村代码="510824101201", 学历="专科", 政治面貌="群众", 性别="男")
    changed = {
        "姓名": world.member.name, "性别": "男", "出生日期": world.member.birth_date, "民族": "汉族",
        "政治面貌": "中共党员", "学历": "大学本科", "职级": "", "身份证号": world.member.id_number,
        "手机号": "13999999999", "派出单位": "苍溪县农业农村局", "村代码": "510824100201", "岗位": "工作队员",
        "任职开始日期": world.member_assignment.start_date,
        "计划结束日期": world.member_assignment.planned_end_date,
    }
    result = roster_import(user=world.owner, data=xlsx(member, unassigned, text_dates, changed))

    assert result.ok, result.errors
    assert (result.created_cadres, result.updated_cadres, result.created_assignments, result.unchanged) == (3, 1, 2, 0)
    first = Cadre.objects.get(id_number=member["身份证号"])
    assert first.county == world.county and first.gender == Cadre.Gender.FEMALE
    assert first.education == Cadre.Education.BACHELOR and first.rank == "四级主任科员"
    a = first.assignments.get()
    assert a.village == world.village2 and a.role == Assignment.Role.FIRST_SECRETARY and a.approved_by == world.owner
    assert a.planned_end_date == dt.date(2028, 3, 1)  # start + TENURE_YEARS (2)
    assert not Cadre.objects.get(id_number=unassigned["身份证号"]).assignments.exists()
    third = Cadre.objects.get(id_number=text_dates["身份证号"])
    assert third.education == Cadre.Education.JUNIOR_COLLEGE and third.political_status == "masses"
    assert third.assignments.get().planned_end_date == dt.date(2027, 12, 31)
    world.member.refresh_from_db()
    assert world.member.mobile == "13999999999"
    # History is kept for bulk writes, attributed to the importer.
    assert world.member.history.count() == 2 and world.member.history.first().history_user == world.owner
    assert first.history.get().history_user == world.owner
    assert a.history.get().history_type == "+"


def test_export_then_import_of_an_unchanged_file_changes_nothing(world):
    data = roster_export(user=world.owner, cadres=cadres_for_user(world.owner))
    before = snapshot()
    result = roster_import(user=world.owner, data=data)
    assert result.ok, result.errors
    assert (result.created_cadres, result.updated_cadres, result.created_assignments) == (0, 0, 0)
    assert result.unchanged == cadres_for_user(world.owner).count() == 2
    assert snapshot() == before  # no new history rows either


def test_a_second_import_of_the_same_new_rows_is_unchanged(world):
    data = xlsx(new_row(1), new_row(2, 村代码=None, 岗位=None, 任职开始日期=None))
    assert roster_import(user=world.owner, data=data).created_cadres == 2
    again = roster_import(user=world.owner, data=data)
    assert again.ok and again.unchanged == 2 and again.created_assignments == 0


def test_existing_cadre_without_assignment_gets_one_from_the_file(world):
    free = CadreFactory(name="闲置", unit=world.unit, county=world.county, birth_date=BIRTH)
    AssignmentFactory(cadre=free, village=world.village3, start_date=dt.date(2023, 1, 1),
                      planned_end_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 1, 1), end_reason="rotation")
    row = new_row(9, 姓名="闲置", 性别="男", 身份证号=free.id_number, 手机号=free.mobile, 职级="", 学历="大学本科")
    result = roster_import(user=world.owner, data=xlsx(row))
    assert result.ok, result.errors
    assert (result.created_cadres, result.created_assignments) == (0, 1)
    assert free.assignments.filter(end_date__isnull=True, village=world.village2).exists()


# --- export ------------------------------------------------------------------------------


def test_export_fills_village_columns_from_the_active_assignment(world):
    rows = read(roster_export(user=world.owner, cadres=Cadre.objects.all()))
    assert list(rows[0]) == list(COLUMNS)
    # Re-intersected with the owner's scope: cadres of other counties are not exported.
    assert [r["姓名"] for r in rows] == ["袁杰", "李明"]  # village order, first secretary first
    yuan = rows[0]
    assert yuan["身份证号"] == world.cadre.id_number and yuan["村代码"] == "510824100201"
    assert yuan["村名称"] == "山水村" and yuan["岗位"] == "第一书记" and yuan["性别"] == "男"
    assert yuan["乡镇"] == "陵江镇"
    assert yuan["出生日期"].date() == dt.date(1985, 3, 12)
    assert yuan["任职开始日期"].date() == world.assignment.start_date


def test_export_leaves_village_columns_blank_without_active_assignment(world):
    world.member_assignment.end_date, world.member_assignment.end_reason = world.today, "rotation"
    world.member_assignment.save()
    row = next(r for r in read(roster_export(user=world.owner, cadres=Cadre.objects.all())) if r["姓名"] == "李明")
    assert row["村代码"] is None and row["岗位"] is None and row["任职开始日期"] is None


def test_reviewer_export_masks_id_numbers(world):
    rows = read(roster_export(user=world.city_reviewer, cadres=Cadre.objects.all()))
    assert len(rows) == 3  # 广元市: 苍溪县 and 剑阁县 cadres
    assert all("*" in r["身份证号"] for r in rows)


def test_export_query_count_does_not_grow_with_rows(world):
    def count() -> int:
        world.owner.__dict__.pop("_zhucun_scope", None)
        with CaptureQueriesContext(connection) as ctx:
            roster_export(user=world.owner, cadres=Cadre.objects.all())
        return len(ctx.captured_queries)

    small = count()
    for i in range(10):
        c = CadreFactory(unit=world.unit, county=world.county)
        if i % 2:
            AssignmentFactory(cadre=c, village=world.village3)
    assert count() == small <= 3


# --- refused rows ------------------------------------------------------------------------


def test_bad_id_check_character_is_reported(world):
    good = make_id_number(BIRTH, seq=5, gender="F")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert_refused(world, [new_row(1), new_row(5, 身份证号=bad)], row=3, column="身份证号", contains="check character")


def test_id_number_mangled_by_excel_into_a_float_is_reported(world):
    mangled = float(make_id_number(BIRTH, seq=5)[:17] + "0")
    assert_refused(world, [new_row(5, 身份证号=mangled)], row=2, column="身份证号", contains="as a number")


def test_birth_date_not_matching_the_id_number_is_reported(world):
    assert_refused(world, [new_row(1, 出生日期=dt.date(1990, 5, 18))], row=2, column="出生日期",
                   contains="1990-05-17")


def test_bad_mobile_is_reported(world):
    assert_refused(world, [new_row(1, 手机号="2390000001")], row=2, column="手机号", contains="11 digits")


def test_unknown_village_code_is_reported(world):
    assert_refused(world, [new_row(1, 村代码="510824100299")], row=2, column="村代码", contains="510824100299")


def test_village_of_another_county_is_reported(world):
    assert_refused(world, [new_row(1, 村代码="510823100201")], row=2, column="村代码", contains="another county")


def test_stranger_cannot_import_into_the_owners_county(world):
    row = new_row(1, 派出单位="剑阁县财政局")
    assert_refused(world, [row], row=2, column="村代码", contains="another county", user=world.stranger)


def test_second_first_secretary_for_a_village_with_one_is_reported(world):
    assert_refused(world, [new_row(1, 村代码="510824100201", 岗位="第一书记")], row=2, column="岗位",
                   contains="袁杰")


def test_two_first_secretaries_for_one_village_in_the_file_are_reported(world):
    rows = [new_row(1, 岗位="第一书记"), new_row(2), new_row(3, 岗位="第一书记")]
    assert_refused(world, rows, row=4, column="岗位", contains="Row 2")


def test_duplicate_id_number_in_the_file_is_reported(world):
    rows = [new_row(1), new_row(2), new_row(1, 姓名="重复")]
    assert_refused(world, rows, row=4, column="身份证号", contains="row 2")


def test_unknown_unit_is_reported(world):
    assert_refused(world, [new_row(1, 派出单位="不存在的局")], row=2, column="派出单位", contains="不存在的局")


def test_unit_of_another_county_is_reported(world):
    assert_refused(world, [new_row(1, 派出单位="剑阁县财政局")], row=2, column="派出单位", contains="剑阁县财政局")


@pytest.mark.parametrize("column", ["姓名", "性别", "出生日期", "学历", "身份证号", "手机号", "派出单位"])
def test_missing_required_field_is_reported(world, column):
    assert_refused(world, [new_row(1), new_row(2, **{column: None})], row=3, column=column, contains="required")


@pytest.mark.parametrize(("column", "value"), [("性别", "男性"), ("岗位", "书记"), ("政治面貌", "党外"), ("学历", "小学")])
def test_unknown_label_is_reported_with_the_allowed_ones(world, column, value):
    result = assert_refused(world, [new_row(1, **{column: value})], row=2, column=column, contains=value)
    # Lists the allowed labels (the Chinese ones the file must hold), joined in the reader's language.
    message = result.errors[0].message
    assert "use one of: " in message and ", " in message.split("use one of: ")[1] and "、" not in message


def test_the_allowed_labels_are_joined_with_a_chinese_comma_in_chinese(world):
    with translation.override("zh-hans"):
        result = roster_import(user=world.owner, data=xlsx(new_row(1, 性别="Male")))
    [message] = [e.message for e in result.errors if e.column == "性别"]
    assert "Male" in message and "男、女" in message


def test_unreadable_date_is_reported(world):
    assert_refused(world, [new_row(1, 任职开始日期="2026年3月1日")], row=2, column="任职开始日期", contains="YYYY-MM-DD")


def test_village_without_role_or_start_date_is_reported(world):
    result = assert_refused(world, [new_row(1, 岗位=None, 任职开始日期=None)], row=2, column="岗位")
    assert any(e.column == "任职开始日期" for e in result.errors)


def test_cadre_managed_by_another_county_is_reported(world):
    other = world.neighbour_cadre
    row = new_row(1, 姓名=other.name, 身份证号=other.id_number, 出生日期=other.birth_date, 性别="男")
    assert_refused(world, [row], row=2, column="身份证号", contains="剑阁县")


def test_another_countys_number_under_another_name_names_neither_the_cadre_nor_the_county(world):
    other = world.neighbour_cadre
    row = new_row(1, 身份证号=other.id_number, 出生日期=other.birth_date, 性别="男")
    result = assert_refused(world, [row], row=2, column="身份证号", contains="registered by another county")
    assert not any(other.name in e.message or "剑阁县" in e.message for e in result.errors), result.errors


def test_moving_a_serving_cadre_to_another_village_is_an_error_not_a_change(world):
    m = world.member
    row = new_row(1, 姓名=m.name, 性别="男", 出生日期=m.birth_date, 身份证号=m.id_number, 手机号=m.mobile,
                  村代码="510824100202", 职级="")
    assert_refused(world, [row], row=2, column="村代码", contains="change")
    assert m.assignments.get(end_date__isnull=True).village == world.village


def test_changing_the_role_of_a_serving_cadre_is_an_error(world):
    m = world.member
    row = new_row(1, 姓名=m.name, 性别="男", 出生日期=m.birth_date, 身份证号=m.id_number, 手机号=m.mobile,
                  村代码="510824100201", 岗位="工作队长", 职级="", 任职开始日期=None)
    assert_refused(world, [row], row=2, column="村代码", contains="change")


def test_every_error_of_the_file_is_reported_at_once(world):
    rows = [new_row(1, 手机号="123"), new_row(2), new_row(3, 派出单位="不存在的局", 性别="?"), new_row(4, 村代码="999")]
    result = roster_import(user=world.owner, data=xlsx(*rows))
    assert {(e.row, e.column) for e in result.errors} == {(2, "手机号"), (4, "派出单位"), (4, "性别"), (5, "村代码")}
    assert not Cadre.objects.filter(name__startswith="新干部").exists()


def test_missing_header_column_is_reported_on_row_1(world):
    headers = [h for h in COLUMNS if h != "手机号"]
    result = roster_import(user=world.owner, data=xlsx(new_row(1), headers=headers))
    assert [(e.row, e.column) for e in result.errors] == [(1, "手机号")]


def test_a_file_that_is_not_xlsx_is_reported(world):
    result = roster_import(user=world.owner, data=b"not a workbook")
    assert not result.ok and result.errors[0].row == 0


def test_empty_file_is_reported(world):
    assert not roster_import(user=world.owner, data=xlsx()).ok


def test_concurrent_change_caught_by_the_database_saves_nothing(world, monkeypatch):
    """Another officer names a first secretary for 白桥村 between validation and write: the
    partial unique constraint refuses the import, which then reports it and saves nothing."""
    validate = roster._validate

    def validate_then_race(**kwargs):
        plan = validate(**kwargs)
        AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=world.village2,
                          role=Assignment.Role.FIRST_SECRETARY)
        return plan

    monkeypatch.setattr(roster, "_validate", validate_then_race)
    result = roster_import(user=world.owner, data=xlsx(new_row(1, 岗位="第一书记"), new_row(2)))
    assert not result.ok and "nothing was saved" in result.errors[0].message
    assert not Cadre.objects.filter(name__startswith="新干部").exists()


# --- who may import ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"])
def test_only_county_staff_may_import(world, who):
    with pytest.raises(PermissionDenied):
        roster_import(user=getattr(world, who), data=xlsx(new_row(1)))
    assert not Cadre.objects.filter(name="新干部1").exists()


def _member_row(world, **overrides) -> dict:
    m, a = world.member, world.member_assignment
    row = new_row(1, 姓名=m.name, 性别="男", 出生日期=m.birth_date, 身份证号=m.id_number, 手机号=m.mobile, 职级="",
                  村代码=a.village.code, 村名称="随便写", 岗位="工作队员", 任职开始日期=a.start_date,
                  计划结束日期=a.planned_end_date)
    row.update(overrides)
    return row


def test_village_name_column_is_informational(world):
    result = roster_import(user=world.owner, data=xlsx(_member_row(world)))
    assert result.ok and result.unchanged == 1


def test_blank_village_for_a_serving_cadre_is_an_error_not_an_end(world):
    row = _member_row(world, 村代码=None, 岗位=None, 任职开始日期=None, 计划结束日期=None)
    assert_refused(world, [row], row=2, column="村代码", contains="山水村")


def test_changing_dates_of_an_assignment_in_progress_is_an_error(world):
    row = _member_row(world, 计划结束日期=dt.date(2030, 1, 1))
    assert_refused(world, [row], row=2, column="计划结束日期", contains="assignment page")


def test_workbook_without_dimension_record_and_short_rows_reads(world):
    """openpyxl's write-only mode (and some WPS files) omit trailing blank cells and the
    dimension record: rows come back shorter than the header."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(list(COLUMNS))
    row = new_row(1, 村代码=None, 村名称=None, 岗位=None, 任职开始日期=None)
    ws.append([row[h] for h in COLUMNS[:10]])
    buf = io.BytesIO()
    wb.save(buf)
    result = roster_import(user=world.owner, data=buf.getvalue())
    assert result.ok, result.errors
    assert result.created_cadres == 1



def test_errors_read_in_chinese_by_default(world):
    good = make_id_number(BIRTH, seq=5, gender="F")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with translation.override("zh-hans"):
        result = roster.roster_import(user=world.owner, data=xlsx(new_row(5, 身份证号=bad)))
    assert not result.ok
    assert any("校验" in e.message for e in result.errors), [e.message for e in result.errors]


def test_export_is_a_sheet_named_roster_with_a_frozen_header_wide_enough_for_chinese(world):
    Cadre.objects.filter(pk=world.cadre.pk).update(name="=1+1")  # typed text, never a formula
    data = roster.roster_export(user=world.owner, cadres=Cadre.objects.all())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert wb.sheetnames == ["花名册"] and ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    names = [c.value for c in ws["A"][1:]]
    assert "=1+1" in names and ws.cell(row=1 + names.index("=1+1") + 1, column=1).data_type == "s"
    headers = [c.value for c in ws[1]]
    unit_col = get_column_letter(headers.index("派出单位") + 1)
    assert ws.column_dimensions[unit_col].width >= 2 * len(world.unit.name)


def test_a_gender_the_id_number_contradicts_is_reported(world):
    male_id = make_id_number(BIRTH, seq=3, gender="M")
    assert_refused(world, [new_row(3, 身份证号=male_id)], row=2, column="性别", contains="man's")


@pytest.mark.parametrize("born", [dt.date(1850, 5, 1), dt.date(2025, 5, 1)])
def test_a_new_cadre_too_old_or_too_young_to_be_stationed_is_reported(world, born):
    assert_refused(world, [new_row(1, 出生日期=born, 身份证号=make_id_number(born, seq=2, gender="F"))],
                   row=2, column="出生日期", contains=f"born on {born.isoformat()}")


def test_an_assignment_starting_years_ahead_is_reported(world):
    assert_refused(world, [new_row(1, 任职开始日期=dt.date(2030, 1, 1))], row=2, column="任职开始日期",
                   contains="90 days")
