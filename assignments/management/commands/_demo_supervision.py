"""Supervision demo data for seed_demo: inspections (some finding a cadre absent, reconciled with
the attendance history like a real one), last year's assessments under the cap rule, a recall
per county with its open replacement obligation, benefit payments (some in arrears),
commendations and good-practice cases.

Every choice is a hash of (seed, object), so the data is the same on every machine. A county
that already has demo inspections or payments is skipped: a rerun adds nothing.
"""
from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from assignments.models import (
    AnnualAssessment,
    Assignment,
    BenefitKind,
    BenefitPayment,
    Commendation,
    GoodPracticeCase,
    Inspection,
    InspectionMember,
    ReplacementObligation,
    Village,
)
from assignments.supervision import selectors, services

PAYMENT_NOTE = "演示数据"
MARK = "（演示）"  # ends every demo inspector name: how a rerun recognises its own rows
INSPECTORS = ["县委组织部督查组", "市委组织部调研组", "县乡村振兴局指导组", "乡镇党委检查组"]
ISSUES = ["驻村工作日志记录不全", "村集体经济项目进度滞后", "民情走访台账缺少签字", "党员活动室制度未上墙", ""]
CASES = [
    ("“院坝会”议事解民忧", "每月召开院坝会，群众提事、村里议事、驻村工作队帮办，一年解决急难愁盼问题40余件。"),
    ("茶叶合作社带动增收", "派出单位对接销路，工作队牵头成立茶叶专业合作社，村集体经济年收入突破20万元。"),
    ("“积分超市”激发治理活力", "以人居环境、孝老爱亲等事项积分兑换生活用品，带动群众参与乡村治理。"),
]
HONOURS = [("county", "优秀驻村第一书记"), ("city", "脱贫攻坚先进个人"), ("province", "四川省优秀驻村干部")]


def h(*parts) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def seed_supervision(*, seed: int, today: dt.date, county_ids: list[int]) -> dict[str, int]:
    counts = dict.fromkeys(["inspections", "unexcused", "assessments", "recalls", "payments", "commendations",
                            "cases"], 0)
    # A county is done if it has any demo row (a small county may have no demo inspection).
    done = set(Inspection.objects.filter(county_id__in=county_ids, inspectors__endswith=MARK)
               .values_list("county_id", flat=True))
    done |= set(BenefitPayment.objects.filter(county_id__in=county_ids, note=PAYMENT_NOTE)
                .values_list("county_id", flat=True))
    for county_id in county_ids:
        if county_id in done:
            continue
        with transaction.atomic():
            for key, n in _seed_county(seed=seed, today=today, county_id=county_id).items():
                counts[key] += n
    return counts


def _seed_county(*, seed: int, today: dt.date, county_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    villages = list(Village.objects.filter(county_id=county_id, assignments__end_date__isnull=True)
                    .distinct().order_by("id"))
    # Inspections: about one village in eight, in the last 90 days; 1 in 6 finds someone absent.
    inspections = unexcused = 0
    for v in villages:
        if h(seed, "insp", v.id) % 8:
            continue
        day = today - dt.timedelta(days=1 + h(seed, "insp-day", v.id) % 90)
        while day.weekday() >= 5:  # inspectors visit on weekdays: a Sunday "absence" is no absence
            day -= dt.timedelta(days=1)
        team = selectors.team_on(village=v, day=day)
        if not team:
            continue
        absent = {team[h(seed, "absent", v.id) % len(team)].cadre_id} if h(seed, "finds", v.id) % 6 == 0 else set()
        issues = ISSUES[h(seed, "issue", v.id) % len(ISSUES)]
        inspection = services.inspection_record(
            village=v, kind=("unannounced", "unannounced", "research", "guidance")[h(seed, "kind", v.id) % 4],
            date=day, inspectors=INSPECTORS[h(seed, "who", v.id) % len(INSPECTORS)] + MARK, issues=issues,
            rectification_deadline=day + dt.timedelta(days=30) if issues else None, absent=absent, team=team,
        )
        if issues and h(seed, "rectified", v.id) % 2 and day + dt.timedelta(days=10) < today:
            Inspection.objects.filter(pk=inspection.pk).update(rectified_on=day + dt.timedelta(days=10),
                                                               rectification_note="已按要求整改到位")
        inspections += 1
        unexcused += inspection.members.filter(outcome=InspectionMember.Outcome.UNEXCUSED).count()
    counts["inspections"], counts["unexcused"] = inspections, unexcused

    # Last year's assessments, within the cap rule.
    year = today.year - 1
    active = list(Assignment.objects.filter(village__county_id=county_id, end_date__isnull=True,
                                            start_date__lte=dt.date(year, 12, 31)).select_related("cadre"))
    grades = ["excellent", "competent", "competent", "competent", "basically_competent"]
    order = AnnualAssessment.GRADE_ORDER
    rows = []
    existing = set(AnnualAssessment.objects.filter(year=year, cadre__in=[a.cadre_id for a in active])
                   .values_list("cadre_id", flat=True))
    for a in active:
        if a.cadre_id in existing:
            continue
        grade = grades[h(seed, "grade", a.cadre_id) % len(grades)]
        best = selectors.assessment_best_grade(
            unexcused=selectors.unexcused_absence_days(cadre_id=a.cadre_id, year=year))
        if best is not None and order.index(grade) < order.index(best):
            grade = best
        rows.append(AnnualAssessment(cadre_id=a.cadre_id, year=year, grade=grade, county_id=county_id,
                                     comments="年度考核"))
    AnnualAssessment.objects.bulk_create(rows)
    counts["assessments"] = len(rows)

    # Recalls the roster history already holds (end reason 召回) get their replacement obligation:
    # fulfilled where the unit has since sent someone to the village, open otherwise. The roster
    # itself is not changed, so seed_demo's roster top-up stays stable.
    counts["recalls"] = 0
    recalled = Assignment.objects.filter(village__county_id=county_id, end_reason=Assignment.EndReason.RECALL,
                                         replacement_obligation__isnull=True).select_related("cadre")
    taken: set[int] = set()
    for a in recalled:
        ob = ReplacementObligation(
            unit_id=a.cadre.unit_id, village_id=a.village_id, role=a.role, recalled_assignment=a,
            reason=a.end_note or "经县委组织部研究予以召回",
            due_date=a.end_date + dt.timedelta(days=selectors.replacement_due_days()))
        match = (Assignment.objects.filter(village_id=a.village_id, cadre__unit_id=a.cadre.unit_id,
                                           start_date__gte=a.end_date).exclude(pk__in=taken)
                 .order_by("start_date", "id").first())
        if match is not None:
            taken.add(match.pk)
            ob.status, ob.fulfilled_by = ReplacementObligation.Status.FULFILLED, match
        ob.save()
        counts["recalls"] += 1

    # Benefit payments this year: insurance mostly paid, health checks often, subsidies partly.
    rules = selectors.benefit_rules()
    paid_on = today - dt.timedelta(days=5)
    payments = []
    for a in Assignment.objects.filter(village__county_id=county_id).filter(
            Q(end_date__isnull=True) | Q(end_date__year=today.year)).select_related("cadre", "village"):
        c = a.cadre
        if h(seed, "ins", c.id) % 10 < 8:
            payments.append((c, None, BenefitKind.ACCIDENT_INSURANCE, rules["ACCIDENT_INSURANCE_PER_YEAR"]))
        if h(seed, "hc", c.id) % 10 < 6:
            payments.append((c, None, BenefitKind.HEALTH_CHECK, rules["HEALTH_CHECK_PER_YEAR"]))
        if h(seed, "ls", c.id) % 10 < 7:
            payments.append((c, None, BenefitKind.LIVING_SUBSIDY, rules["LIVING_SUBSIDY_PER_DAY"] * 100))
        if a.role == Assignment.Role.FIRST_SECRETARY and a.end_date is None and h(seed, "wf", a.village_id) % 3:
            payments.append((c, a.village, BenefitKind.WORK_FUNDS, rules["WORK_FUNDS_PER_VILLAGE_YEAR"] / 2))
    BenefitPayment.objects.bulk_create([
        BenefitPayment(unit_id=c.unit_id, cadre=None if village else c, village=village, kind=kind, year=today.year,
                       amount=Decimal(amount).quantize(Decimal("0.01")), paid_on=paid_on, county_id=county_id,
                       note=PAYMENT_NOTE)
        for c, village, kind, amount in payments
    ])
    counts["payments"] = len(payments)

    # Exemplars: a few commendations and cases per county.
    commended = [a for a in active if h(seed, "honour", a.cadre_id) % 12 == 0][:3]
    for i, a in enumerate(commended):
        level, title = HONOURS[i % len(HONOURS)]
        Commendation(cadre=a.cadre, level=level, title=title, date=today - dt.timedelta(days=30 + 40 * i)).save()
    counts["commendations"] = len(commended)
    for i, v in enumerate([v for v in villages if h(seed, "case", v.id) % 15 == 0][:2]):
        title, text = CASES[h(seed, "case-text", v.id) % len(CASES)]
        GoodPracticeCase(title=title, village=v, text=text, date=today - dt.timedelta(days=20 + 30 * i)).save()
        counts["cases"] = counts.get("cases", 0) + 1
    counts.setdefault("cases", 0)
    return counts
