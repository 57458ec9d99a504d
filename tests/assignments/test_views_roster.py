"""Roster spreadsheet pages: who may import or export, what the download holds, and how
import errors reach the user."""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assignments.models import Cadre

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(content: bytes) -> set[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}


def test_export_holds_the_filtered_cadres_of_the_users_scope(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("roster_export"), {"name": "袁"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert quote("花名册-") in response["Content-Disposition"]
    cells = _cells(response.content)
    assert world.cadre.name in cells
    assert world.member.name not in cells  # filtered out by name
    assert world.neighbour_cadre.name not in cells  # outside the county


@pytest.mark.parametrize("who", ["province_reviewer", "city_reviewer", "township_staff", "liaison"])
def test_every_role_with_a_cadre_scope_may_export(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("roster_export"))
    assert response.status_code == 200
    assert world.cadre.name in _cells(response.content)


def test_stranger_export_does_not_contain_our_cadres(client, world):
    client.force_login(world.stranger)
    cells = _cells(client.get(reverse("roster_export")).content)
    assert world.cadre.name not in cells
    assert world.neighbour_cadre.name in cells


def test_template_download_has_no_cadre(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("roster_template"))
    assert response.status_code == 200
    assert world.cadre.name not in _cells(response.content)


def test_the_import_page_says_in_english_that_the_files_headers_stay_chinese(client, world, settings):
    from assignments.roster import COLUMNS

    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("roster_import")).content.decode()
    assert ('id="roster-chinese-headers">In every language the template and the roster export have Chinese column '
            "headers") in page
    # And so they do, in an English session.
    for url in (reverse("roster_template"), reverse("roster_export")):
        sheet = openpyxl.load_workbook(io.BytesIO(client.get(url).content)).active
        assert [c.value for c in sheet[1]] == list(COLUMNS) and "姓名" in COLUMNS


@pytest.mark.parametrize("who", ["province_reviewer", "township_staff", "liaison", "cadre_user"])
def test_only_county_staff_may_import(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("roster_import")).status_code == 403


def test_import_of_a_broken_file_lists_the_errors_and_saves_nothing(client, world):
    client.force_login(world.owner)
    before = Cadre.objects.count()
    upload = SimpleUploadedFile("roster.xlsx", b"not a spreadsheet", content_type=XLSX)
    response = client.post(reverse("roster_import"), {"file": upload})
    assert response.status_code == 200
    assert response.context["result"].errors
    assert 'id="import-errors"' in response.content.decode()
    assert Cadre.objects.count() == before


def test_import_refuses_a_file_that_is_not_xlsx(client, world):
    client.force_login(world.owner)
    upload = SimpleUploadedFile("roster.csv", b"a,b", content_type="text/csv")
    response = client.post(reverse("roster_import"), {"file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_reimporting_our_own_export_succeeds_and_changes_nothing(client, world):
    client.force_login(world.owner)
    exported = client.get(reverse("roster_export")).content
    before = Cadre.objects.count()
    upload = SimpleUploadedFile("roster.xlsx", exported, content_type=XLSX)
    response = client.post(reverse("roster_import"), {"file": upload}, follow=True)
    errors = response.context["result"].errors if response.context.get("result") else []
    assert errors == []
    assert response.redirect_chain[-1][0] == reverse("cadre_list")
    assert Cadre.objects.count() == before


def _rows(content: bytes) -> dict[str, dict]:
    values = list(openpyxl.load_workbook(io.BytesIO(content)).active.values)
    return {r[0]: dict(zip(values[0], r, strict=True)) for r in values[1:]}


def test_county_staff_export_has_the_full_birth_date_of_their_cadres(client, world):
    client.force_login(world.owner)
    row = _rows(client.get(reverse("roster_export")).content)[world.cadre.name]
    assert row["身份证号"] == world.cadre.id_number
    assert row["出生日期"].date() == dt.date(1985, 3, 12)


@pytest.mark.parametrize("who", ["province_reviewer", "city_reviewer", "township_staff", "liaison"])
def test_export_with_masked_id_numbers_has_only_the_birth_year(client, world, who):
    client.force_login(getattr(world, who))
    row = _rows(client.get(reverse("roster_export")).content)[world.cadre.name]
    assert row["身份证号"] == world.cadre.masked_id_number
    assert row["出生日期"] == "1985"
