"""load_regions and seed_demo: the real Sichuan geography and a valid, idempotent demo roster."""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
import shapely
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from assignments.idcard import birth_date_of, id_number_errors
from assignments.models import Assignment, Cadre, DispatchingUnit, Profile, Region, Village

pytestmark = pytest.mark.django_db


def login(client, username: str, password: str = "zhucun-demo") -> bool:
    # django-axes guards authentication and needs the request the password arrived with.
    request = RequestFactory().post("/accounts/login/")
    return client.login(request=request, username=username, password=password)


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def roster_counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "villages": Village.objects.count(),
        "units": DispatchingUnit.objects.count(),
        "cadres": Cadre.objects.count(),
        "cadre_history": Cadre.history.count(),
        "assignments": Assignment.objects.count(),
        "assignment_history": Assignment.history.count(),
        "users": get_user_model().objects.count(),
        "profiles": Profile.objects.count(),
    }


@pytest.fixture
def seeded():
    run("seed_demo", villages=12, cadres=30)


def test_load_regions_creates_sichuan_province_cities_and_counties_with_boundaries():
    run("load_regions")

    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 1
    assert Region.objects.filter(level=Region.Level.CITY, parent__code="510000").count() == 21
    assert Region.objects.filter(level=Region.Level.COUNTY).count() == 183
    assert not Region.objects.filter(boundary="").exists()
    cangxi = Region.objects.get(code="510824")
    assert (cangxi.name, cangxi.parent.code, cangxi.parent.name) == ("苍溪县", "510800", "广元市")
    # Every county hangs on the city whose code shares its first four digits.
    for county in Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"):
        assert county.parent.code == county.code[:4] + "00"
    assert shapely.from_geojson(cangxi.boundary).area > 0


def test_load_regions_twice_creates_and_changes_nothing():
    run("load_regions")
    before = list(Region.objects.order_by("code").values_list("id", "code", "name", "parent_id", "boundary"))

    output = run("load_regions")

    assert "0 created, 0 updated, 205 unchanged" in output
    assert list(Region.objects.order_by("code").values_list("id", "code", "name", "parent_id", "boundary")) == before


def test_load_regions_repairs_a_hand_made_region_in_place():
    province = Region.objects.create(code="510000", name="四川", level=Region.Level.PROVINCE)
    run("load_regions")
    province.refresh_from_db()
    assert province.name == "四川省" and province.boundary
    assert Region.objects.filter(code="510000").count() == 1


def test_seed_demo_runs_load_regions_when_regions_are_missing(seeded):
    assert Region.objects.filter(level=Region.Level.COUNTY).count() == 183


def test_seed_demo_reaches_the_requested_numbers_mostly_in_the_demo_county(seeded):
    assert Village.objects.count() == 12
    assert Cadre.objects.count() == 30
    in_cangxi = Village.objects.filter(county__code="510824").count()
    assert in_cangxi > 12 / 2


def test_seed_demo_codes_follow_the_statistical_hierarchy(seeded):
    for township in Region.objects.filter(level=Region.Level.TOWNSHIP).select_related("parent"):
        assert len(township.code) == 9 and township.code.startswith(township.parent.code)
        assert township.name.endswith(("镇", "乡"))
    for village in Village.objects.select_related("township"):
        assert len(village.code) == 12 and village.code.startswith(village.township.code)
        assert village.county_id == village.township.parent_id
        assert village.name.endswith("村")
    assert Region.objects.filter(level=Region.Level.TOWNSHIP).values("parent", "name").distinct().count() == (
        Region.objects.filter(level=Region.Level.TOWNSHIP).count()
    )


def test_seed_demo_id_numbers_are_valid_unique_and_match_birth_date_and_gender(seeded):
    cadres = list(Cadre.objects.all())
    assert len({c.id_number for c in cadres}) == len(cadres)
    for cadre in cadres:
        assert id_number_errors(cadre.id_number) == [], cadre.id_number
        assert birth_date_of(cadre.id_number) == cadre.birth_date
        assert int(cadre.id_number[16]) % 2 == (1 if cadre.gender == Cadre.Gender.MALE else 0)
        assert 1965 <= cadre.birth_date.year <= 1998
        assert len(cadre.mobile) == 11 and cadre.mobile.startswith("1")
        assert cadre.name and cadre.rank and cadre.education


def test_seed_demo_places_every_village_inside_its_county_boundary(seeded):
    boundaries = {}
    for village in Village.objects.select_related("county"):
        geom = boundaries.setdefault(village.county_id, shapely.from_geojson(village.county.boundary))
        assert village.latitude is not None and village.longitude is not None
        assert geom.contains(shapely.Point(float(village.longitude), float(village.latitude))), village.code
        assert 1000 <= village.checkin_radius_m <= 3000


def test_seed_demo_gives_each_village_one_active_first_secretary_and_a_team(seeded):
    active = Assignment.objects.filter(end_date__isnull=True)
    first_secretaries = Counter(active.filter(role=Assignment.Role.FIRST_SECRETARY).values_list("village", flat=True))
    assert set(first_secretaries) == set(Village.objects.values_list("id", flat=True))
    assert max(first_secretaries.values()) == 1
    # No cadre is in two villages at once, and each is managed by the county of their village.
    assert len(set(active.values_list("cadre", flat=True))) == active.count()
    for assignment in active.select_related("cadre", "village"):
        assert assignment.cadre.county_id == assignment.village.county_id
        assert assignment.planned_end_date > assignment.start_date


def test_seed_demo_rows_pass_model_validation(seeded):
    # full_clean runs the field validators (ID check character, choices, lengths) that
    # bulk_create skips.
    for model in (Village, DispatchingUnit, Cadre, Assignment):
        for obj in model.objects.all():
            obj.full_clean()


def test_seed_demo_ended_assignments_carry_a_reason_and_note():
    run("seed_demo", villages=40, cadres=120, seed=7)
    ended = Assignment.objects.filter(end_date__isnull=False)
    assert ended.exists()
    for assignment in ended:
        assert assignment.end_reason in {"rotation", "recall", "adjustment"}
        assert assignment.end_note
        assert assignment.end_date >= assignment.start_date
        # The ended assignment comes before the cadre's current one.
        current = assignment.cadre.assignments.filter(end_date__isnull=True).first()
        assert current is None or current.start_date > assignment.end_date


def test_seed_demo_units_cover_every_level_with_contacts(seeded):
    levels = set(DispatchingUnit.objects.values_list("level", flat=True))
    assert levels == set(DispatchingUnit.Level.values)
    assert set(DispatchingUnit.objects.values_list("kind", flat=True)) >= {
        "party_gov", "institution", "soe", "university", "financial",
    }
    assert DispatchingUnit.objects.filter(name="苍溪县人民医院", home_region__code="510824").exists()
    assert not DispatchingUnit.objects.filter(contact_person="").exists()


def test_seed_demo_logins_have_their_roles_and_scopes_and_can_log_in(seeded, client):
    expected = {
        "demo_province": (Profile.Role.PROVINCE, "510000"),
        "demo_city": (Profile.Role.CITY, "510800"),
        "demo_county": (Profile.Role.COUNTY, "510824"),
    }
    for username, (role, code) in expected.items():
        profile = Profile.objects.select_related("region").get(user__username=username)
        assert (profile.role, profile.region.code) == (role, code)
    township = Profile.objects.get(user__username="demo_township")
    assert township.role == Profile.Role.TOWNSHIP and township.region.parent.code == "510824"
    assert township.region.villages.exists()
    unit = Profile.objects.get(user__username="demo_unit")
    assert unit.role == Profile.Role.UNIT and unit.unit.cadres.filter(county__code="510824").exists()
    cadre = Cadre.objects.get(user__username="demo_cadre")
    assert Profile.objects.get(user__username="demo_cadre").role == Profile.Role.CADRE
    assert cadre.active_assignment.role == Assignment.Role.FIRST_SECRETARY
    assert cadre.active_assignment.village.county.code == "510824"
    # Each login is a person with a name, so pages say who decided, not which login.
    assert cadre.user.get_full_name() == cadre.name
    assert get_user_model().objects.get(username="demo_township").get_full_name() == "陈刚"

    for username in [*expected, "demo_township", "demo_unit", "demo_cadre"]:
        assert login(client, username), username
        client.logout()


def test_seed_demo_second_run_creates_nothing_and_resets_demo_password(seeded, client):
    before = roster_counts()
    user = get_user_model().objects.get(username="demo_county")
    user.set_password("changed-by-someone")
    user.save()

    output = run("seed_demo", villages=12, cadres=30)

    assert roster_counts() == before
    assert "zhucun-demo" in output
    assert login(client, "demo_county")
    assert not login(client, "demo_county", "changed-by-someone")


def test_seed_demo_tops_up_to_larger_targets_keeping_what_exists(seeded):
    village_ids = set(Village.objects.values_list("id", flat=True))
    cadre_ids = set(Cadre.objects.values_list("id", flat=True))

    run("seed_demo", villages=20, cadres=50)

    assert Village.objects.count() == 20 and Cadre.objects.count() == 50
    assert village_ids <= set(Village.objects.values_list("id", flat=True))
    assert cadre_ids <= set(Cadre.objects.values_list("id", flat=True))
    assert Profile.objects.filter(user__username__startswith="demo_").count() == 6


def test_seed_demo_rerun_keeps_demo_scopes_that_still_fit(seeded):
    current = Profile.objects.get(user__username="demo_township").region
    township = Region.objects.filter(parent__code="510824", villages__isnull=False).exclude(pk=current.pk).first()
    assert township is not None
    Profile.objects.filter(user__username="demo_township").update(region=township)

    run("seed_demo", villages=12, cadres=30)

    assert Profile.objects.get(user__username="demo_township").region == township


def test_seed_demo_same_seed_gives_the_same_roster():
    def snapshot():
        return (
            list(Village.objects.order_by("code").values_list("code", "name", "latitude", "longitude", "categories")),
            list(Cadre.objects.order_by("id_number").values_list("name", "id_number", "mobile", "unit__name")),
        )

    run("seed_demo", villages=8, cadres=16, seed=42)
    first = snapshot()
    apps.get_model("training", "TrainingCourse").objects.all().delete()  # courses protect their township
    Assignment.objects.all().delete()
    Profile.objects.all().delete()
    Cadre.objects.all().delete()
    Village.objects.all().delete()
    DispatchingUnit.objects.all().delete()
    Region.objects.filter(level=Region.Level.TOWNSHIP).delete()

    run("seed_demo", villages=8, cadres=16, seed=42)

    assert snapshot() == first


def test_seed_demo_days_generates_attendance_history_once(seeded):
    from attendance.models import LeaveRequest, PresenceRecord, WorkingDay, WorkLog

    output = run("seed_demo", villages=12, cadres=30, days=20)

    today = dt.date.today()
    records = PresenceRecord.objects.all()
    assert records.exists() and WorkLog.objects.exists()
    assert "presence records" in output
    working = set(WorkingDay.objects.filter(is_working_day=True).values_list("date", flat=True))
    for record in records.select_related("assignment", "leave"):
        # Each record belongs to the cadre's own assignment and falls inside it.
        assert record.assignment.cadre_id == record.cadre_id
        assert record.date >= record.assignment.start_date
        if record.date >= today:  # only the days of leave approved ahead, as approval records them
            assert record.kind == PresenceRecord.Kind.LEAVE and record.leave.status == LeaveRequest.Status.APPROVED
            continue
        assert today - dt.timedelta(days=20) <= record.date
        assert record.kind == PresenceRecord.Kind.LEAVE or record.date in working
        if record.kind == PresenceRecord.Kind.LEAVE:
            assert record.leave.start <= record.date <= record.leave.end
    for leave in LeaveRequest.objects.all():
        assert leave.days == (leave.end - leave.start).days + 1
    counts = (PresenceRecord.objects.count(), WorkLog.objects.count(), LeaveRequest.objects.count())

    run("seed_demo", villages=12, cadres=30, days=20)

    assert (PresenceRecord.objects.count(), WorkLog.objects.count(), LeaveRequest.objects.count()) == counts


def test_seed_demo_days_leaves_work_in_every_queue_and_an_unreturned_leave(seeded):
    from attendance import services
    from attendance.models import LeaveRequest
    from attendance.selectors import leave_queue_for_user

    # Big enough that every case occurs whatever today's date does to the hashed choices.
    run("seed_demo", villages=30, cadres=80, days=30)
    today = dt.date.today()
    Status = LeaveRequest.Status
    assert LeaveRequest.objects.filter(status=Status.RETURNED).exists()
    waiting = LeaveRequest.objects.filter(status=Status.SUBMITTED, start__gt=today)
    assert waiting.filter(days__lte=3).exists() and waiting.filter(days__gt=3).exists()
    assert LeaveRequest.objects.filter(status=Status.APPROVED, start__gt=today).exists()
    assert LeaveRequest.objects.filter(status=Status.APPROVED, end__lt=today, actual_return_date__isnull=True).exists()
    # The demo approvers each have something waiting, and the demo cadre has no leave in the way.
    User = get_user_model()
    assert leave_queue_for_user(User.objects.get(username="demo_township")).exists()
    assert leave_queue_for_user(User.objects.get(username="demo_county")).filter(days__gt=3).exists()
    assert not LeaveRequest.objects.filter(cadre__user__username="demo_cadre", end__gte=today).exists()
    # Every generated request obeys the rules a cadre's own request must pass.
    for leave in LeaveRequest.objects.select_related("cadre"):
        services._leave_rules(cadre=leave.cadre, start=leave.start, end=leave.end, exclude_id=leave.pk)
    # The nightly scan finds the leave that was never reported back.
    assert services.attendance_scan(day=today - dt.timedelta(days=1)).unreturned > 0


def test_seed_demo_stores_locations_only_where_the_county_turned_location_check_in_on(seeded):
    from attendance.models import CountyAttendanceSetting, PresenceRecord
    from attendance.selectors import review_queue_for_user

    run("seed_demo", villages=30, cadres=80, days=30)
    located = set(CountyAttendanceSetting.objects.filter(location_checkin_enabled=True).values_list("county_id", flat=True))
    assert len(located) == 1
    self_checkins = PresenceRecord.objects.filter(source=PresenceRecord.Source.SELF)
    with_position = self_checkins.filter(latitude__isnull=False)
    assert with_position.exists() and self_checkins.filter(latitude__isnull=True).exists()
    assert not with_position.exclude(assignment__village__county_id__in=located).exists()
    assert not self_checkins.filter(latitude__isnull=True, assignment__village__county_id__in=located).exists()
    # Some located check-ins failed a check: recent ones wait for the county, older ones were decided.
    Review = PresenceRecord.Review
    assert review_queue_for_user(get_user_model().objects.get(username="demo_county")).exists()
    decided = self_checkins.filter(review_status__in=[Review.ACCEPTED, Review.REJECTED])
    assert decided.exists() and not decided.filter(reviewed_by__isnull=True).exists()
    assert not self_checkins.exclude(review_status=Review.OK).filter(review_note="").exists()


def test_seed_demo_village_names_stay_unique_per_township_when_random_names_run_out(seeded, monkeypatch):
    from assignments.management.commands import _demo_names

    # One possible random name: every further village of a township needs the numbered name.
    monkeypatch.setattr(_demo_names, "VILLAGE_FIRST", ["红"])
    monkeypatch.setattr(_demo_names, "VILLAGE_SECOND", ["星"])
    run("seed_demo", villages=40, cadres=50)

    assert Village.objects.count() == 40
    per_township = Counter(Village.objects.values_list("township_id", "name"))
    assert max(per_township.values()) == 1
    assert Village.objects.filter(name__regex=r"[0-9]+村$").exists()
