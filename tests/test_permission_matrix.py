"""URL × role permission matrix, built from the URL configuration.

Every named URL must appear in MATRIX, or the test fails: a new page cannot skip the
scoping gate unnoticed. For each URL and each role we request it on an object inside the
role's scope and on one outside it, and assert allowed (2xx/3xx) or denied (403/404).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Who can read an object of each type that lives in 苍溪县 / 陵江镇 (the `world` fixture's
# "ours"), by user attribute name on the world.
READERS = {
    "cadre": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "village": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "unit": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "assignment": {"owner", "colleague", "province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"},
    "region": {"owner", "colleague", "province_reviewer", "city_reviewer"},
}
MANAGERS = {"owner", "colleague"}
COUNTY_STAFF = {"owner", "colleague", "stranger"}
# Inspections are the reviewers' one write: county staff and city/province reviewers record them.
RECORDERS = {"owner", "colleague", "stranger", "province_reviewer", "city_reviewer", "other_city_reviewer"}
REGION_READERS = {"owner", "colleague", "province_reviewer", "city_reviewer"}
REPORTERS = COUNTY_STAFF | {"province_reviewer", "city_reviewer", "other_city_reviewer", "township_staff"}
SCOPED = {
    "owner", "colleague", "stranger", "province_reviewer", "city_reviewer", "other_city_reviewer",
    "township_staff", "liaison", "cadre_user",
}
ROLES = sorted(SCOPED)


@dataclass
class Spec:
    # "public": anyone; "list": any scoped user; "county": county staff only (own county implied);
    # "read": readers of obj; "manage": managers of obj; "export": any scoped user, file download.
    access: str
    obj: str | None = None
    kwargs: Callable | None = None  # world -> kwargs for an object inside 苍溪县
    outside: Callable | None = None  # world -> kwargs for an object in 金堂县 (another city)
    readers: set[str] | None = None  # override READERS[obj]
    method: str = "get"
    data: Callable | None = None  # world -> POST data (valid, so only permission can refuse it)
    allowed: set[str] | None = None  # explicit roles allowed inside (overrides `access`)


@pytest.fixture
def mworld(world):
    """The world plus one object of each attendance kind inside 苍溪县 and one in 金堂县."""
    from django.utils import timezone

    from assignments.models import Finding
    from attendance.models import LeaveRequest, PresenceRecord

    now = timezone.now()
    start = world.today + dt.timedelta(days=5)
    for suffix, cadre, assignment in (("", world.cadre, world.assignment), ("far_", world.far_cadre, world.far_assignment)):
        leave = LeaveRequest.objects.create(
            cadre=cadre, assignment=assignment, kind="personal" if "personal" in LeaveRequest.Kind.values
            else LeaveRequest.Kind.values[0], start=start, end=start + dt.timedelta(days=1), reason="家事",
            status=LeaveRequest.Status.SUBMITTED, submitted_at=now,
        )
        presence = PresenceRecord.objects.create(
            cadre=cadre, assignment=assignment, date=world.today - dt.timedelta(days=1), kind="in_village",
            source="self", recorded_at=now, review_status="needs_review",
        )
        finding = Finding.objects.create(
            kind=Finding.Kind.MISSING_CHECKIN, cadre=cadre, assignment=assignment, village=assignment.village,
            county=assignment.village.county, period="2026-01-05", first_seen=now, last_seen=now,
        )
        setattr(world, f"{suffix}leave", leave)
        setattr(world, f"{suffix}presence", presence)
        setattr(world, f"{suffix}finding", finding)
    _supervision_objects(world)
    _training_objects(world)
    from django.contrib.auth import get_user_model

    from assignments.models import ExportJob, Profile
    from tests.factories import make_user

    # A login in 金堂县 for the account actions (the world's cadre_user is the one inside).
    world.far_cadre_user = make_user("far_cadre", Profile.Role.CADRE, cadre=world.far_cadre)
    elsewhere = get_user_model().objects.create_user("exporter_elsewhere")  # none of the roles tested
    for attr, user in (("export_job", world.owner), ("far_export_job", elsewhere)):
        setattr(world, attr, ExportJob.objects.create(user=user, kind="roster", status="done", content=b"xlsx",
                                                      filename="花名册.xlsx"))
    return world


def _training_objects(w) -> None:
    """A 3-day county course in 苍溪县 attended by the cadre, and one in 金堂县."""
    from decimal import Decimal

    from training.models import OrganiserLevel, TrainingCourse, TrainingRecord, TrainingRequirement

    for suffix, county, cadre in (("", w.county, w.cadre), ("far_", w.far_county, w.far_cadre)):
        course = TrainingCourse.objects.create(
            title=f"{county.name}驻村干部培训班", organiser_level=OrganiserLevel.COUNTY, region=county,
            managed_by=county, start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 3), days=Decimal(3),
            hours=Decimal(24),
        )
        TrainingRecord.objects.create(cadre=cadre, course=course, days_attended=3, hours_attended=24)
        setattr(w, f"{suffix}course", course)
        setattr(w, f"{suffix}county_requirement", TrainingRequirement.objects.create(
            name=f"{county.name}培训要求", region=county, levels=",county,", min_days_per_course=3))


def _supervision_objects(w) -> None:
    """One object of each supervision kind inside 苍溪县 and one in 金堂县."""
    from assignments.models import (
        AnnualAssessment,
        Assignment,
        GoodPracticeCase,
        Inspection,
        InspectionMember,
        InspectionSample,
        ReplacementObligation,
    )

    day = w.today - dt.timedelta(days=3)
    for suffix, village, county_user, region, assignment in (
        ("", w.village, w.owner, w.county, w.member_assignment),
        ("far_", w.far_village, None, w.far_county, w.far_assignment),
    ):
        inspection = Inspection(kind="unannounced", date=day, village=village, inspectors="督查组", issues="台账不全",
                                rectification_deadline=w.today, created_by=county_user)
        inspection.save()
        for a in Assignment.objects.filter(village=village, end_date__isnull=True):
            InspectionMember.objects.create(inspection=inspection, assignment=a, cadre=a.cadre, outcome="present")
        sample = InspectionSample.objects.create(region=region, seed=1, size=1, village_ids=[village.id])
        assessment = AnnualAssessment.objects.create(cadre=assignment.cadre, year=w.today.year - 1, grade="competent",
                                                     county=region)
        case = GoodPracticeCase(title="案例", village=village, text="做法", date=day)
        case.save()
        setattr(w, f"{suffix}inspection", inspection)
        setattr(w, f"{suffix}sample", sample)
        setattr(w, f"{suffix}assessment", assessment)
        setattr(w, f"{suffix}case", case)
    # An obligation needs a recalled (ended) assignment: an earlier, ended one.
    for suffix, cadre, village, unit in (("", w.member, w.village, w.unit),
                                         ("far_", w.far_cadre, w.far_village, w.province_unit)):
        ended = Assignment.objects.create(cadre=cadre, village=village, role="team_member",
                                          start_date=dt.date(2023, 1, 1), planned_end_date=dt.date(2025, 1, 1),
                                          end_date=dt.date(2024, 1, 1), end_reason="recall", end_note="x")
        setattr(w, f"{suffix}obligation", ReplacementObligation.objects.create(
            unit=unit, village=village, role="team_member", recalled_assignment=ended, reason="x",
            due_date=w.today + dt.timedelta(days=30)))



def _pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


MATRIX: dict[str, Spec] = {
    "login": Spec("public"),
    "favicon": Spec("public"),
    "logout": Spec("skip"),  # POST-only, tested in the views tests
    "set_language": Spec("skip"),  # Django's i18n view, POST-only
    # Everyone changes their own password (an account without a role too: tests/assignments/test_accounts.py).
    "password_change": Spec("list"),
    "password_change_done": Spec("list"),
    # County staff look after the logins of their county's cadres, township staff and liaisons.
    "accounts:list": Spec("county"),
    "accounts:unlock": Spec("manage", "cadre", lambda w: {"pk": w.cadre_user.pk},
                            lambda w: {"pk": w.far_cadre_user.pk}, method="post"),
    "accounts:password_reset": Spec("manage", "cadre", lambda w: {"pk": w.cadre_user.pk},
                                    lambda w: {"pk": w.far_cadre_user.pk}, method="post"),
    "home": Spec("list"),
    "start": Spec("list"),
    "region_list": Spec("list"),
    "township_create": Spec("county"),
    "village_list": Spec("list"),
    "village_create": Spec("county"),
    "village_detail": Spec("read", "village", _pk("village"), _pk("far_village")),
    "village_edit": Spec("manage", "village", _pk("village"), _pk("far_village")),
    "unit_list": Spec("list"),
    "unit_create": Spec("county"),
    "unit_detail": Spec("read", "unit", _pk("unit"), _pk("province_unit"),
                        readers=READERS["unit"]),
    "unit_edit": Spec("manage", "unit", _pk("unit"), _pk("province_unit")),
    "cadre_list": Spec("list"),
    "cadre_create": Spec("county"),
    "cadre_detail": Spec("read", "cadre", _pk("cadre"), _pk("far_cadre")),
    "cadre_edit": Spec("manage", "cadre", _pk("cadre"), _pk("far_cadre")),
    "assignment_create": Spec("county"),
    "assignment_end": Spec("manage", "assignment", _pk("member_assignment"), _pk("far_assignment")),
    "assignment_change": Spec("manage", "assignment", _pk("member_assignment"), _pk("far_assignment")),
    "roster_import": Spec("county"),
    "roster_export": Spec("list"),
    "roster_template": Spec("list"),
    "export_list": Spec("list"),
    # A finished job of the owner's inside; one of a user outside every tested role outside.
    "export_download": Spec("read", "export", _pk("export_job"), _pk("far_export_job"), allowed={"owner"}),
    # --- attendance -----------------------------------------------------------------------
    "attendance:checkin": Spec("cadre"),
    "attendance:calendar_mine": Spec("cadre"),
    "attendance:leave_create": Spec("cadre"),
    "attendance:worklog_create": Spec("cadre"),
    "attendance:calendar": Spec("read", "cadre", _pk("cadre"), _pk("far_cadre")),
    "attendance:leave_list": Spec("list"),
    "attendance:finding_list": Spec("list"),
    "attendance:finding_export": Spec("export"),
    "attendance:worklog_list": Spec("list"),
    "attendance:leave_detail": Spec("read", "cadre", _pk("leave"), _pk("far_leave")),
    # Only the cadre whose leave it is acts on it.
    "attendance:leave_submit": Spec("read", "cadre", _pk("leave"), _pk("far_leave"), method="post",
                                    allowed={"cadre_user"}),
    "attendance:leave_cancel": Spec("read", "cadre", _pk("leave"), _pk("far_leave"), method="post",
                                    allowed={"cadre_user"}),
    "attendance:leave_return": Spec("read", "cadre", _pk("leave"), _pk("far_leave"), method="post",
                                    data=lambda w: {"actual_return_date": w.today.isoformat()},
                                    allowed={"cadre_user"}),
    # A two-day leave goes to the township of the village, nobody else.
    "attendance:leave_decide": Spec("read", "cadre", _pk("leave"), _pk("far_leave"), method="post",
                                    data=lambda w: {"decision": "approve", "comment": "同意"},
                                    allowed={"township_staff"}),
    "attendance:leave_queue": Spec("staff"),
    "attendance:keeper_grid": Spec("staff"),
    "attendance:presence_correct": Spec(
        "read", "cadre", lambda w: {}, None, method="post",
        data=lambda w: {"cadre": w.cadre.pk, "day": w.today.isoformat(), "kind": "trip", "reason": "县里开会"},
        allowed={"owner", "colleague", "township_staff"},
    ),
    "attendance:review_queue": Spec("county"),
    "attendance:scan_run": Spec("county", method="post"),
    "attendance:presence_review": Spec("manage", "cadre", _pk("presence"), _pk("far_presence"), method="post",
                                       data=lambda w: {"decision": "accept", "reason": "核实在村"}),
    "attendance:finding_resolve": Spec("manage", "cadre", _pk("finding"), _pk("far_finding"), method="post",
                                       data=lambda w: {"note": "已核实"}),
    "attendance:monthly_report": Spec("list", allowed=SCOPED - {"cadre_user"}),
    "attendance:report_page": Spec("list", allowed=SCOPED - {"cadre_user"}),
    "attendance:working_days": Spec("list"),
    "attendance:county_settings": Spec("county"),
    # The province edits the working-day calendar: the province's one write in attendance.
    "attendance:working_day_set": Spec("list", method="post", allowed={"province_reviewer"},
                                       data=lambda w: {"day": "2026-10-08", "is_working_day": "0",
                                                       "reason": "国务院办公厅通知"}),
    # --- dashboard: drill-down is ?region=, covered in tests/dashboard (other city → 404) ------
    "dashboard:index": Spec("list", allowed=SCOPED - {"liaison", "cadre_user"}),
    "dashboard:export": Spec("export", allowed=SCOPED - {"liaison", "cadre_user"}),
    "dashboard:map": Spec("list", allowed=SCOPED - {"liaison", "cadre_user"}),
    # --- training -------------------------------------------------------------------------
    "training:course_list": Spec("list"),
    # Reviewers record courses organised at their own level: their one write besides inspections.
    "training:course_create": Spec("list", allowed=RECORDERS),
    "training:course_detail": Spec("read", "cadre", _pk("course"), _pk("far_course")),
    "training:course_edit": Spec("manage", "cadre", _pk("course"), _pk("far_course")),
    "training:record_bulk": Spec("manage", "cadre", _pk("course"), _pk("far_course")),
    "training:record_import": Spec("manage", "cadre", _pk("course"), _pk("far_course")),
    "training:cadre_training": Spec("read", "cadre", _pk("cadre"), _pk("far_cadre")),
    "training:requirement_list": Spec("list"),
    # County staff set their county's rules; province reviewers province-wide ones (the
    # province's only rule-setting write). City reviewers and the rest only read them.
    "training:requirement_create": Spec("list", allowed=COUNTY_STAFF | {"province_reviewer"}),
    # A county's rule: its county staff only (the province reviewer sees it: 403; 剑阁县: 404).
    "training:requirement_edit": Spec("manage", "cadre", _pk("county_requirement"), _pk("far_county_requirement")),
    "training:report": Spec("list", allowed=REPORTERS | {"liaison"}),
    "training:report_export": Spec("list", allowed=REPORTERS | {"liaison"}),
    # --- supervision ----------------------------------------------------------------------
    "supervision:inspection_list": Spec("list"),
    # Inspections are the reviewers' write: county staff and city/province reviewers.
    "supervision:inspection_create": Spec("list", allowed=RECORDERS),
    "supervision:inspection_detail": Spec("read", "village", _pk("inspection"), _pk("far_inspection"),
                                          readers=REGION_READERS | {"township_staff", "liaison", "cadre_user"}),
    # County staff of the county, or whoever recorded it (here: owner, a county officer).
    "supervision:inspection_rectify": Spec("read", "village", _pk("inspection"), _pk("far_inspection"),
                                           method="post", data=lambda w: {"rectified_on": w.today.isoformat(),
                                                                          "note": "已整改"},
                                           allowed={"owner", "colleague"}),
    "supervision:sample_list": Spec("list", allowed=RECORDERS),
    "supervision:sample_create": Spec("list", method="post", data=lambda w: {"size": 1, "seed": 3},
                                      allowed={"owner", "colleague", "stranger", "city_reviewer",
                                               "other_city_reviewer"}),
    "supervision:sample_detail": Spec("read", "region", _pk("sample"), _pk("far_sample"),
                                      readers={"owner", "colleague", "province_reviewer", "city_reviewer"}),
    "supervision:assessment_list": Spec("list"),
    "supervision:assessment_create": Spec("county"),
    "supervision:assessment_edit": Spec("manage", "cadre", _pk("assessment"), _pk("far_assessment")),
    "supervision:recall": Spec("manage", "assignment", _pk("member_assignment"), _pk("far_assignment")),
    "supervision:obligation_list": Spec("list"),
    "supervision:obligation_fulfil": Spec("manage", "village", _pk("obligation"), _pk("far_obligation")),
    "supervision:benefit_arrears": Spec("list", allowed=SCOPED - {"township_staff", "cadre_user"}),
    "supervision:benefit_export": Spec("export", allowed=SCOPED - {"township_staff", "cadre_user"}),
    "supervision:payment_create": Spec("list", allowed={"owner", "colleague", "stranger", "liaison"}),
    "supervision:commendation_list": Spec("list"),
    "supervision:commendation_create": Spec("county"),
    "supervision:case_list": Spec("list"),
    "supervision:case_create": Spec("county"),
    "supervision:case_detail": Spec("read", "village", _pk("case"), _pk("far_case")),
}


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin" or getattr(p, "namespace", None) == "admin":
                continue  # the Django admin is superuser-only, tested separately
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _named_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}"


def test_every_url_is_in_the_matrix():
    unknown = sorted(set(_named_patterns()) - set(MATRIX))
    assert not unknown, f"URLs missing from the permission matrix: {unknown}"


def _allowed(status: int) -> bool:
    return status < 400


def _denied(status: int) -> bool:
    return status in (403, 404)


def _expected(spec: Spec, role: str, inside: bool) -> bool:
    if spec.access in ("public",):
        return True
    if spec.allowed is not None:
        return inside and role in spec.allowed
    if spec.access == "cadre":
        return role == "cadre_user"
    if spec.access == "staff":
        return role in COUNTY_STAFF | {"township_staff"}
    if spec.access in ("list", "export"):
        return role in SCOPED
    if spec.access == "county":
        return role in COUNTY_STAFF
    readers = spec.readers or READERS[spec.obj]
    if spec.access == "read":
        # "Outside" objects live in 金堂县, 成都市: only the province and that city's reviewer read them.
        return role in {"province_reviewer", "other_city_reviewer"} if not inside else role in readers
    if spec.access == "manage":
        return inside and role in MANAGERS
    raise AssertionError(spec.access)


CASES = [
    (name, role, inside)
    for name, spec in MATRIX.items()
    if spec.access != "skip"
    for role in ROLES
    for inside in ((True, False) if spec.outside else (True,))
]


@pytest.mark.parametrize("name,role,inside", CASES)
def test_matrix(mworld, client, name, role, inside):
    spec = MATRIX[name]
    kwargs = (spec.kwargs if inside else spec.outside)(mworld) if spec.kwargs else {}
    client.force_login(getattr(mworld, role))
    url = reverse(name, kwargs=kwargs)
    if spec.method == "post":
        data = spec.data(mworld) if spec.data else {}
        if not inside and "cadre" in data:
            data["cadre"] = mworld.far_cadre.pk
        status = client.post(url, data).status_code
    else:
        status = client.get(url).status_code
    if _expected(spec, role, inside):
        assert _allowed(status), f"{role} should reach {name} ({'inside' if inside else 'outside'}), got {status}"
    else:
        assert _denied(status), f"{role} should be denied {name} ({'inside' if inside else 'outside'}), got {status}"


@pytest.mark.parametrize("name", [n for n, s in MATRIX.items() if s.access not in ("public", "skip")])
def test_anonymous_users_are_sent_to_login(mworld, client, name):
    spec = MATRIX[name]
    kwargs = spec.kwargs(mworld) if spec.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    response = client.post(url, {}) if spec.method == "post" else client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", [n for n, s in MATRIX.items() if s.access in ("manage", "county")])
def test_denied_roles_cannot_post_changes(mworld, client, name):
    """A POST by a read-only role is refused before any form is processed."""
    spec = MATRIX[name]
    kwargs = spec.kwargs(mworld) if spec.kwargs else {}
    for role in ("province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"):
        client.force_login(getattr(mworld, role))
        status = client.post(reverse(name, kwargs=kwargs), {}).status_code
        assert _denied(status), f"{role} POST {name} got {status}"


def test_admin_is_for_superusers_only(world, client):
    client.force_login(world.owner)
    assert client.get("/admin/").status_code == 302  # sent to the admin login, not in
    world.owner.is_staff = True
    world.owner.save()
    assert client.get("/admin/assignments/cadre/").status_code == 302
    world.owner.is_superuser = True
    world.owner.save()
    assert client.get("/admin/assignments/cadre/").status_code == 200
