"""Attendance history for seed_demo --days D: presence records, returned leave and work logs.

Per active assignment, for each working day of the last D days (yesterday back; today is left
for the demo cadre to check in live): mostly in-village check-ins near the village, some
township-recorded days and official trips, a few absences and missing days (so the nightly
scans have something to find; a small share of cadres is chronically missing), and now and
then a short leave that was approved and reported back (销假).

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

from assignments.models import Assignment

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


def h(*parts) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def seed_attendance(*, days: int, seed: int, today: dt.date, county_ids: list[int]) -> dict[str, int]:
    from attendance.models import Duty, LeaveRequest, PresenceRecord, WorkingDay, WorkLog
    from attendance.services import working_days_ensure

    first, last = today - dt.timedelta(days=days), today - dt.timedelta(days=1)
    working_days_ensure(start=first, end=last)
    working = sorted(
        WorkingDay.objects.filter(date__range=(first, last), is_working_day=True).values_list("date", flat=True)
    )
    assignments = list(
        Assignment.objects.filter(village__county_id__in=county_ids, end_date__isnull=True, start_date__lte=last)
        .values_list("id", "cadre_id", "start_date", "village__latitude", "village__longitude",
                     "village__checkin_radius_m")
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
    for aid, cid, start, lat, lon, radius in assignments:
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
            elif u % 5 == 0 or lat is None:
                records.append(PresenceRecord(cadre_id=cid, assignment_id=aid, date=day, kind=K.IN_VILLAGE,
                                              source=S.KEEPER, recorded_at=at.replace(hour=17)))
            else:
                # A check-in within a third of the radius of the village centre.
                spread = (radius or 1000) / 3 / 111_000
                dlat = ((u * 7919) % 2001 - 1000) / 1000 * spread
                dlon = ((u * 104729) % 2001 - 1000) / 1000 * spread
                records.append(PresenceRecord(
                    cadre_id=cid, assignment_id=aid, date=day, kind=K.IN_VILLAGE, source=S.SELF, recorded_at=at,
                    latitude=(lat + Decimal(dlat)).quantize(Decimal("0.000001")),
                    longitude=(lon + Decimal(dlon)).quantize(Decimal("0.000001")),
                    accuracy_m=float(10 + u % 40),
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
    return {"leave requests": len(leaves), "presence records": after - before, "work logs": len(logs)}
