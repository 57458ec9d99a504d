"""Attendance history for seed_demo --days D: presence records, leave in every state, work logs.

Per active assignment, for each working day of the last D days (yesterday back; today is left
for the demo cadre to check in live): mostly in-village check-ins, some township-recorded days
and official trips, a few absences and missing days (so the nightly scans have something to
find; a small share of cadres is chronically missing), and now and then a short leave that was
approved and reported back (销假) — or, for a couple of cadres per county, approved and never
reported back, which the scan flags. Ahead of today: per township one short request waiting
for the township and one approved leave, per county one long request waiting for the county, so
every approver's queue has work in it.

Locations are stored only in counties that turned location check-in on (`located_county_ids`:
seed_demo turns it on for the demo county only, so both modes are there to see). There, about
one check-in in 25 failed a check (poor accuracy or far from the village) and was stored as
"needs review": those of the last week still wait in the county's review queue, older ones were
accepted or rejected with a reason.

Every choice is a hash of (seed, cadre, day), not a draw from a shared generator, so a rerun
on the same day makes the same decisions and, with the unique (cadre, date) constraint and
the checks below, creates nothing new; a rerun on a later day adds only the new days.
"""
from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from simple_history.utils import bulk_create_with_history

from assignments.models import Assignment, Profile, Village

BATCH = 5000
TZ = ZoneInfo("Asia/Shanghai")

LOG_TEMPLATES = {
    "party": ["召开村党支部委员会，研究{x}工作。", "讲授专题党课，组织党员学习{x}。", "走访发展对象，做好{x}相关准备。"],
    "economy": ["到{x}产业基地查看长势，协调技术人员指导。", "对接派出单位，商议{x}项目资金。", "组织村集体经济组织讨论{x}分红方案。"],
    "governance": ["参加村民代表会议，讨论{x}事项。", "排查调处邻里纠纷，涉及{x}问题。", "督促落实{x}村规民约修订。"],
    "service": ["入户走访脱贫户，了解{x}情况。", "帮助群众办理{x}相关手续。", "开展{x}政策宣讲。"],
}
TOPICS = ["防止返贫监测", "医疗保险", "产业发展", "人居环境整治", "高标准农田", "耕地保护", "养老服务", "就业帮扶", "集体经济"]
LEAVE_REASONS = {
    "personal": "处理家中私事。", "sick": "身体不适，需到医院检查治疗。", "annual": "按规定休年休假。",
    "family": "家中直系亲属办理婚丧事宜。",
}
REVIEW_REASONS = {
    "accepted": "经乡镇考勤员电话核实，当日在村，山区信号差导致定位不准。",
    "rejected": "当日在县城办理私事，未请假，定位不在村。",
}
# Review verdicts are shown for check-ins older than this; newer ones still wait in the queue.
REVIEW_QUEUE_DAYS = 7


def h(*parts) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def seed_attendance(*, days: int, seed: int, today: dt.date, county_ids: list[int],
                    located_county_ids: tuple[int, ...] = ()) -> dict[str, int]:
    from attendance.models import CountyAttendanceSetting, Duty, LeaveRequest, PresenceRecord, WorkingDay, WorkLog
    from attendance.services import _location_problems, working_days_ensure

    # Turned on once; a county that later switches it off keeps its choice on a rerun.
    for county_id in located_county_ids:
        if not CountyAttendanceSetting.objects.filter(county_id=county_id).exists():
            setting = CountyAttendanceSetting(county_id=county_id, location_checkin_enabled=True)
            setting._change_reason = "演示数据：本县启用定位打卡"
            setting.save()
    located = set(CountyAttendanceSetting.objects.filter(
        county_id__in=county_ids, location_checkin_enabled=True).values_list("county_id", flat=True))

    first, last = today - dt.timedelta(days=days), today - dt.timedelta(days=1)
    working_days_ensure(start=first, end=last)
    working = sorted(
        WorkingDay.objects.filter(date__range=(first, last), is_working_day=True).values_list("date", flat=True)
    )
    assignments = list(
        Assignment.objects.filter(village__county_id__in=county_ids, end_date__isnull=True, start_date__lte=last)
        .values_list("id", "cadre_id", "start_date", "village__latitude", "village__longitude",
                     "village__checkin_radius_m", "village_id", "village__county_id")
    )
    cadre_ids = [a[1] for a in assignments]
    with_leave = set(
        LeaveRequest.objects.filter(cadre_id__in=cadre_ids, start__range=(first, last)).values_list("cadre_id", flat=True)
    )
    last_log = dict(
        WorkLog.objects.filter(cadre_id__in=cadre_ids, date__range=(first, last))
        .values_list("cadre_id").annotate(d=Max("date")).values_list("cadre_id", "d")
    )

    # Leave first: the presence records of leave days point at their request.
    leaves = []
    for aid, cid, start, *_ in assignments:
        if cid in with_leave or h(seed, "leave", cid, first) % 1000 >= min(600, 6 * days):
            continue
        span = [d for d in working if d >= start]
        if len(span) < 3:
            continue
        begin = span[h(seed, "leave-day", cid) % (len(span) - 2)]
        end = min(begin + dt.timedelta(days=h(seed, "leave-len", cid) % 4), last)
        kind = ("personal", "sick", "annual", "family")[h(seed, "leave-kind", cid) % 4]
        decided = dt.datetime.combine(begin - dt.timedelta(days=2), dt.time(10, 30), TZ)
        leaves.append(LeaveRequest(
            cadre_id=cid, assignment_id=aid, kind=kind, start=begin, end=end, days=(end - begin).days + 1,
            reason=LEAVE_REASONS[kind], status=LeaveRequest.Status.RETURNED,
            submitted_at=decided - dt.timedelta(hours=20), decided_at=decided, decision_comment="同意。",
            actual_return_date=end + dt.timedelta(days=1),
            returned_at=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(9, 0), TZ),
        ))
    # A couple of cadres per county never reported back (销假) after their leave: the nightly
    # scan turns that into a finding. Only leave created by this run is picked, so a rerun
    # changes nothing.
    county_of = {cid: county for _aid, cid, *_rest, county in assignments}
    overdue = sorted((lv for lv in leaves if lv.end < last), key=lambda lv: h(seed, "unreturned", lv.cadre_id))
    per_county: dict[int, int] = defaultdict(int)
    for leave in overdue:
        if per_county[county_of[leave.cadre_id]] < 2:
            per_county[county_of[leave.cadre_id]] += 1
            leave.status, leave.actual_return_date, leave.returned_at = LeaveRequest.Status.APPROVED, None, None
    bulk_create_with_history(leaves, LeaveRequest, batch_size=BATCH, default_change_reason="seed_demo")
    leave_days: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for leave in LeaveRequest.objects.filter(cadre_id__in=cadre_ids, start__range=(first, last)).values_list(
        "id", "cadre_id", "start", "end"
    ):
        lid, cid, begin, end = leave
        for i in range((end - begin).days + 1):
            leave_days[cid][begin + dt.timedelta(days=i)] = lid

    # Days up to a cadre's latest record are done: a rerun only looks at later days.
    last_presence = dict(
        PresenceRecord.objects.filter(cadre_id__in=cadre_ids, date__range=(first, last))
        .values_list("cadre_id").annotate(d=Max("date")).values_list("cadre_id", "d")
    )
    K, S = PresenceRecord.Kind, PresenceRecord.Source
    duties = list(Duty.values)
    before = PresenceRecord.objects.filter(cadre_id__in=cadre_ids, date__range=(first, last)).count()
    records, logs = [], []
    villages = {v.pk: v for v in Village.objects.filter(county_id__in=located).select_related("county")}
    reviewer = dict(Profile.objects.filter(role=Profile.Role.COUNTY, region_id__in=located)
                    .order_by("user_id").values_list("region_id", "user_id"))
    for aid, cid, start, lat, lon, radius, village_id, county_id in assignments:
        # About 3 in 100 cadres are often missing: the shortfall scan should find them.
        missing_rate = 300 if h(seed, "slacker", cid) % 100 < 3 else 15
        done = last_presence.get(cid, start - dt.timedelta(days=1))
        for day, lid in leave_days.get(cid, {}).items():
            if day >= start and day > done:
                records.append(PresenceRecord(
                    cadre_id=cid, assignment_id=aid, date=day, kind=K.LEAVE, source=S.LEAVE, leave_id=lid,
                    recorded_at=dt.datetime.combine(day - dt.timedelta(days=2), dt.time(10, 30), TZ),
                ))
        for day in working:
            if day < start or day <= done or day in leave_days.get(cid, ()):
                continue
            u = h(seed, cid, day) % 1000
            if u < missing_rate:
                continue  # no record: a missing check-in
            at = dt.datetime.combine(day, dt.time(8 + u % 3, u % 60), TZ)
            if u < missing_rate + 10:
                records.append(PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.ABSENT,
                                              source=S.KEEPER, recorded_at=at.replace(hour=17)))
                continue
            if u < missing_rate + 50:
                records.append(PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.TRIP,
                                              source=S.KEEPER, recorded_at=at))
            elif u % 5 == 0:
                records.append(PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.IN_VILLAGE,
                                              source=S.KEEPER, recorded_at=at.replace(hour=17)))
            elif county_id not in located or lat is None:
                # Location check-in is off in this county: the tap stores no position.
                records.append(PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.IN_VILLAGE,
                                              source=S.SELF, recorded_at=at))
            else:
                records.append(_located_checkin(
                    PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.IN_VILLAGE, source=S.SELF,
                                   recorded_at=at),
                    u=u, lat=lat, lon=lon, radius=radius, village=villages[village_id], today=today,
                    reviewer_id=reviewer.get(county_id), problems_of=_location_problems,
                ))
            if u % 10 < 4 and day > last_log.get(cid, dt.date.min):
                picked = sorted({duties[u % 4], duties[(u // 7) % 4]})
                topic = TOPICS[(u // 3) % len(TOPICS)]
                content = "".join(LOG_TEMPLATES[d][(u // 11) % 3].format(x=topic) for d in picked)
                logs.append(WorkLog(cadre_id=cid, assignment_id=aid, date=day, content=content,
                                    duties=WorkLog.pack_duties(picked)))
    # Plain bulk_create (no history rows): presence is the bulk of the data set, and the
    # unique (cadre, date) constraint skips days a rerun has already filled.
    PresenceRecord.objects.bulk_create(records, batch_size=BATCH, ignore_conflicts=True)
    WorkLog.objects.bulk_create(logs, batch_size=BATCH)
    after = PresenceRecord.objects.filter(cadre_id__in=cadre_ids, date__range=(first, last)).count()
    ahead, ahead_records = _leave_ahead(seed=seed, today=today, assignments=assignments)
    return {"leave requests": len(leaves) + ahead, "presence records": after - before + ahead_records,
            "work logs": len(logs)}


def _located_checkin(record, *, u: int, lat, lon, radius, village, today: dt.date, reviewer_id, problems_of):
    """A check-in where the county uses locations: mostly within a third of the village radius
    with good accuracy; about 1 in 25 with poor accuracy or taken far away, stored "needs
    review" with the reasons the check-in service gives, and decided by county staff unless
    it is from the last week."""
    from attendance.models import PresenceRecord, presence_note

    Review = PresenceRecord.Review
    flagged = (u // 13) % 25 == 0
    far = flagged and u % 3 == 0
    spread = (radius or 1000) / 3 / 111_000 * (30 if far else 1)  # far: ~10 km out
    dlat = ((u * 7919) % 2001 - 1000) / 1000 * spread
    dlon = ((u * 104729) % 2001 - 1000) / 1000 * spread
    record.latitude = (lat + Decimal(dlat)).quantize(Decimal("0.000001"))
    record.longitude = (lon + Decimal(dlon)).quantize(Decimal("0.000001"))
    record.accuracy_m = float(350 + u % 500) if flagged and not far else float(10 + u % 40)
    if not flagged:
        return record
    problems = problems_of(village=village, county=village.county, latitude=record.latitude,
                           longitude=record.longitude, accuracy=record.accuracy_m)
    if not problems:
        return record
    record.review_status = Review.NEEDS_REVIEW
    record.review_note, parts = presence_note(problems)  # as the service: site language + the messages
    record.note_args = {"review": parts}
    if record.date < today - dt.timedelta(days=REVIEW_QUEUE_DAYS):
        verdict = "rejected" if far else "accepted"
        record.review_status = Review.REJECTED if far else Review.ACCEPTED
        record.review_note = f"{record.review_note}\n{REVIEW_REASONS[verdict]}"
        record.reviewed_by_id = reviewer_id
        record.reviewed_at = dt.datetime.combine(record.date + dt.timedelta(days=1), dt.time(10, 0), TZ)
    return record


def _leave_ahead(*, seed: int, today: dt.date, assignments: list) -> tuple[int, int]:
    """Requests ahead of today, so each approver's queue has work: per township one short
    request waiting for the township and one short leave already approved (with its leave
    days recorded, as approval does), per county one long request waiting for the county.
    A township or county that already has such a request gets no other (reruns add nothing).
    The demo cadre gets none: their own leave request in the demo must not overlap one."""
    from attendance.models import LeaveRequest, PresenceRecord
    from attendance.selectors import rule

    Status = LeaveRequest.Status
    short_max = rule("LEAVE_TOWNSHIP_MAX_DAYS")
    ids = [a[0] for a in assignments]
    rows = {aid: (cid, tid, county, planned_end) for aid, cid, tid, county, planned_end in Assignment.objects.filter(
        id__in=ids).values_list("id", "cadre_id", "village__township_id", "village__county_id", "planned_end_date")}
    ahead = LeaveRequest.objects.filter(assignment_id__in=ids, start__gt=today)
    have_short = set(ahead.filter(status=Status.SUBMITTED, days__lte=short_max)
                     .values_list("assignment__village__township_id", flat=True))
    have_approved = set(ahead.filter(status=Status.APPROVED).values_list("assignment__village__township_id", flat=True))
    have_long = set(ahead.filter(status=Status.SUBMITTED, days__gt=short_max)
                    .values_list("assignment__village__county_id", flat=True))
    busy = set(LeaveRequest.objects.filter(assignment_id__in=ids, end__gte=today).values_list("cadre_id", flat=True))
    busy.update(Assignment.objects.filter(id__in=ids, cadre__user__username="demo_cadre").values_list("cadre_id", flat=True))
    deciders = dict(Profile.objects.filter(role=Profile.Role.TOWNSHIP).filter(
        region_id__in={r[1] for r in rows.values()}).order_by("user_id").values_list("region_id", "user_id"))
    now = dt.datetime.combine(today, dt.time(8, 0), TZ)
    new = []

    def add(aid, cid, *, begin: dt.date, length: int, status: str, salt: str):
        end = begin + dt.timedelta(days=length - 1)
        planned_end = rows[aid][3]
        if planned_end is not None and end > planned_end:
            return False
        kind = ("personal", "sick", "annual", "family")[h(seed, salt, "kind", cid) % 4]
        leave = LeaveRequest(cadre_id=cid, assignment_id=aid, kind=kind, start=begin, end=end, days=length,
                             reason=LEAVE_REASONS[kind], status=status,
                             submitted_at=now - dt.timedelta(hours=1 + h(seed, salt, "at", cid) % 40))
        if status == Status.APPROVED:
            leave.decided_by_id = deciders.get(rows[aid][1])
            leave.decided_at, leave.decision_comment = now - dt.timedelta(hours=2), "同意。"
        new.append(leave)
        busy.add(cid)
        return True

    for salt, have, group, status in [("short", have_short, 1, Status.SUBMITTED),
                                      ("approved", have_approved, 1, Status.APPROVED),
                                      ("long", have_long, 2, Status.SUBMITTED)]:
        for aid in sorted(rows, key=lambda a: h(seed, salt, rows[a][0])):
            cid, key = rows[aid][0], rows[aid][group]
            if key in have or cid in busy:
                continue
            x = h(seed, salt, "when", cid)
            if salt == "long":
                ok = add(aid, cid, begin=today + dt.timedelta(days=5 + x % 7), length=short_max + 2 + x % 4,
                         status=status, salt=salt)
            else:
                ok = add(aid, cid, begin=today + dt.timedelta(days=2 + x % 8), length=1 + x % short_max,
                         status=status, salt=salt)
            if ok:
                have.add(key)
    bulk_create_with_history(new, LeaveRequest, batch_size=BATCH, default_change_reason="seed_demo")
    # Approval records the leave days at once (attendance.services.leave_request_approve).
    records = []
    for leave in LeaveRequest.objects.filter(assignment_id__in=ids, status=Status.APPROVED, start__gt=today,
                                             presence_records__isnull=True):
        for i in range(leave.days):
            records.append(PresenceRecord(
                cadre_id=leave.cadre_id, assignment_id=leave.assignment_id, date=leave.start + dt.timedelta(days=i),
                kind=PresenceRecord.Kind.LEAVE, source=PresenceRecord.Source.LEAVE, leave_id=leave.pk,
                recorded_at=leave.decided_at, recorded_by_id=leave.decided_by_id,
            ))
    PresenceRecord.objects.bulk_create(records, batch_size=BATCH, ignore_conflicts=True)
    return len(new), len(records)
