"""The supervision URLs × every role, with the project matrix's machinery and Spec format.

SUPERVISION_MATRIX is written to be pasted into tests/test_permission_matrix.py (MATRIX) once
config/urls.py mounts /supervision/; until then it runs here against tests.supervision.urls.
`smworld` adds one object of each supervision kind inside 苍溪县 and one in 金堂县.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.test_permission_matrix import ROLES, SCOPED, Spec, _allowed, _denied, _expected, mworld  # noqa: F401

pytestmark = pytest.mark.urls("tests.supervision.urls")

RECORDERS = {"owner", "colleague", "stranger", "province_reviewer", "city_reviewer", "other_city_reviewer"}
REGION_READERS = {"owner", "colleague", "province_reviewer", "city_reviewer"}


@pytest.fixture
def smworld(mworld):  # noqa: F811 (the project matrix fixture, imported above)
    from assignments.models import (
        AnnualAssessment,
        Assignment,
        GoodPracticeCase,
        Inspection,
        InspectionMember,
        InspectionSample,
        ReplacementObligation,
    )

    w = mworld
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
    return w


def _pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


# Proposed entries for tests/test_permission_matrix.py MATRIX (add `smworld`'s objects to mworld).
SUPERVISION_MATRIX: dict[str, Spec] = {
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


def _expected_supervision(spec: Spec, role: str, inside: bool) -> bool:
    # `allowed` in the project matrix means "these roles, inside only"; for the list-style
    # pages without an object, "inside" is the only case.
    return _expected(spec, role, inside)


CASES = [
    (name, role, inside)
    for name, spec in SUPERVISION_MATRIX.items()
    for role in ROLES
    for inside in ((True, False) if spec.outside else (True,))
]


def test_every_supervision_url_is_in_the_matrix():
    from assignments.supervision.urls import urlpatterns

    assert {f"supervision:{p.name}" for p in urlpatterns} == set(SUPERVISION_MATRIX)


@pytest.mark.parametrize("name,role,inside", CASES)
def test_supervision_matrix(smworld, client, name, role, inside):
    spec = SUPERVISION_MATRIX[name]
    kwargs = (spec.kwargs if inside else spec.outside)(smworld) if spec.kwargs else {}
    client.force_login(getattr(smworld, role))
    url = reverse(name, kwargs=kwargs)
    if spec.method == "post":
        status = client.post(url, spec.data(smworld) if spec.data else {}).status_code
    else:
        status = client.get(url).status_code
    if _expected_supervision(spec, role, inside):
        assert _allowed(status), f"{role} should reach {name} ({'inside' if inside else 'outside'}), got {status}"
    else:
        assert _denied(status), f"{role} should be denied {name} ({'inside' if inside else 'outside'}), got {status}"


@pytest.mark.parametrize("name", list(SUPERVISION_MATRIX))
def test_anonymous_users_are_sent_to_login(smworld, client, name):
    spec = SUPERVISION_MATRIX[name]
    url = reverse(name, kwargs=spec.kwargs(smworld) if spec.kwargs else {})
    response = client.post(url, {}) if spec.method == "post" else client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", [n for n, s in SUPERVISION_MATRIX.items() if s.access in ("manage", "county")])
def test_denied_roles_cannot_post_changes(smworld, client, name):
    spec = SUPERVISION_MATRIX[name]
    url = reverse(name, kwargs=spec.kwargs(smworld) if spec.kwargs else {})
    for role in ("province_reviewer", "city_reviewer", "township_staff", "liaison", "cadre_user"):
        client.force_login(getattr(smworld, role))
        status = client.post(url, {}).status_code
        assert _denied(status), f"{role} POST {name} got {status}"
