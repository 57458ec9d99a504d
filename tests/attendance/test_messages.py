"""A Chinese user gets the rules' messages in Chinese (the catalogue covers attendance)."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from attendance import services

TODAY = dt.date(2026, 11, 18)


def test_overlapping_leave_is_refused_in_chinese(world):
    services.leave_request_create(user=world.cadre_user, kind="sick", start=TODAY, end=TODAY, reason="发烧")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as err:
        services.leave_request_create(user=world.cadre_user, kind="sick", start=TODAY, end=TODAY, reason="发烧")
    assert "重叠" in " ".join(err.value.messages)


@pytest.mark.urls("tests.attendance.urls")
def test_second_check_in_message_is_chinese_for_a_chinese_user(client, world, monkeypatch, settings):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    client.force_login(world.cadre_user)
    client.post(reverse("attendance:checkin"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the language switcher's choice
    body = client.post(reverse("attendance:checkin"), follow=True).content.decode()
    assert "您今天已于" in body


def test_a_finding_reads_in_the_readers_language_whatever_language_the_scan_ran_in(client, world, settings):
    from assignments.models import Finding

    settings.LANGUAGE_CODE = "zh-hans"  # the site language (this package's conftest sets English)
    with translation.override("en"):  # a county officer using the English pages runs the scan
        services.attendance_scan(day=TODAY)
    finding = Finding.objects.get(cadre=world.cadre)
    assert finding.detail == "2026-11-18无打卡、请假或出差记录。"  # stored in the site language
    with translation.override("en"):
        assert finding.detail_text == "No check-in, leave or trip recorded on 2026-11-18."
    client.force_login(world.owner)
    for lang, text in (("en", "No check-in, leave or trip recorded on 2026-11-18."),
                       ("zh-hans", "2026-11-18无打卡、请假或出差记录。")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        assert text in client.get(reverse("attendance:finding_list")).content.decode()
    # A detail written before findings carried their message shows as stored.
    Finding.objects.filter(pk=finding.pk).update(detail_args=None)
    finding.refresh_from_db()
    with translation.override("en"):
        assert finding.detail_text == finding.detail


def test_an_automatic_resolution_note_reads_in_the_readers_language(client, world, settings):
    from django.utils import timezone

    from assignments.models import Finding
    from attendance.models import PresenceRecord

    settings.LANGUAGE_CODE = "zh-hans"
    services.attendance_scan(day=TODAY)
    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=TODAY, kind="in_village",
                                  source="keeper", recorded_at=timezone.now())
    with translation.override("en"):  # started from the English pages
        services.attendance_scan(day=TODAY)
    finding = Finding.objects.get(cadre=world.cadre)
    assert finding.resolution_note == "自动处理：当天的考勤记录已补登。"  # stored in the site language
    client.force_login(world.owner)
    for lang, text in (("en", "Resolved automatically: a presence record for this day was added later."),
                       ("zh-hans", "自动处理：当天的考勤记录已补登。")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        assert text in client.get(reverse("attendance:finding_list"), {"status": "resolved"}).content.decode()
    # A note typed by a person shows as typed.
    Finding.objects.filter(pk=finding.pk).update(resolution_note="县里开会")
    finding.refresh_from_db()
    with translation.override("en"):
        assert finding.resolution_note_text == "县里开会"


@pytest.mark.urls("tests.attendance.urls")
def test_the_monthly_report_marks_days_as_the_paper_form_does_in_chinese_and_with_letters_in_english(
        client, world, settings):
    from io import BytesIO

    from django.utils import timezone
    from openpyxl import load_workbook

    from attendance.models import PresenceRecord

    PresenceRecord.objects.create(cadre=world.cadre, assignment=world.assignment, date=TODAY, kind="trip",
                                  source="keeper", recorded_at=timezone.now())
    client.force_login(world.owner)

    def mark(lang):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        ws = load_workbook(BytesIO(client.get(reverse("attendance:monthly_report"), {"month": "2026-11"}).content)).active
        row = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}["袁杰"]
        return row[3 + TODAY.day], ws["A2"].value

    (zh_mark, zh_legend), (en_mark, en_legend) = mark("zh-hans"), mark("en")
    assert zh_mark == "差" and "差 公务出差" in zh_legend
    assert en_mark == "T" and "T official trip" in en_legend
