"""manage.py run_scans [--day YYYY-MM-DD] [--county CODE] [--back N]: the nightly scans, by hand.

The same services the beat schedule runs: attendance (missing check-ins, unreturned leave,
month-end shortfalls), then training (unmet requirements as of the day after --day), then, for
the whole province only, erasing check-in positions past their keeping time and dropping export
files past theirs."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assignments.export_jobs import export_jobs_prune
from assignments.models import Region
from attendance.services import attendance_scan, presence_positions_erase
from training.services import training_scan


class Command(BaseCommand):
    help = ("Flag missing check-ins, unreturned leave, (after a month's last day) presence shortfalls, "
            "and unmet training requirements.")

    def add_arguments(self, parser):
        parser.add_argument("--day", help="Day to scan (YYYY-MM-DD); default yesterday.")
        parser.add_argument("--county", help="Only this county (6-digit code).")
        parser.add_argument("--with-month-end", action="store_true",
                            help="Also scan the last day of the month before --day's month, which checks that "
                                 "month's presence (a new installation's first run: the nightly job did not "
                                 "run on the 1st).")
        parser.add_argument("--back", type=int, default=0, metavar="N",
                            help="First run the attendance scan for each of the N days before --day, oldest "
                                 "first, as if the nightly job had run on each (a new installation with history, "
                                 "the demo). Month ends in that range check their month if the whole month is in "
                                 "it.")

    def handle(self, *args, **opts):
        try:
            day = dt.date.fromisoformat(opts["day"]) if opts["day"] else timezone.localdate() - dt.timedelta(days=1)
        except ValueError as exc:
            raise CommandError(f"--day must be YYYY-MM-DD: {exc}") from exc
        county = None
        if opts["county"]:
            county = Region.objects.filter(code=opts["county"], level=Region.Level.COUNTY).first()
            if county is None:
                raise CommandError(f"No county with code {opts['county']}.")
        if not 0 <= opts["back"] <= 366:
            raise CommandError("--back must be between 0 and 366 days.")
        first = day - dt.timedelta(days=opts["back"])
        for n in range(opts["back"], 0, -1):
            earlier = day - dt.timedelta(days=n)
            # A month whose start is before the replay is judged only by --with-month-end: the
            # replayed history (the demo's) may not reach back to its first day.
            result = attendance_scan(day=earlier, county=county, month_end=earlier.replace(day=1) >= first)
            self.stdout.write(f"attendance {earlier}: missing {result.missing}, created {result.created}, "
                              f"resolved {result.resolved}")
        month_end = day.replace(day=1) - dt.timedelta(days=1)
        checked_in_replay = 0 < (day - month_end).days <= opts["back"] and month_end.replace(day=1) >= first
        if opts["with_month_end"] and month_end != day and not checked_in_replay:
            for key, value in attendance_scan(day=month_end, county=county).as_dict().items():
                self.stdout.write(f"attendance {month_end} {key}: {value}")
        result = attendance_scan(day=day, county=county)
        for key, value in result.as_dict().items():
            self.stdout.write(f"attendance {key}: {value}")
        # The training scan judges "as of today": the nightly run for yesterday runs today.
        trained = training_scan(today=day + dt.timedelta(days=1), county=county)
        for key, value in trained.as_dict().items():
            self.stdout.write(f"training {key}: {value}")
        if county is None:
            erased = presence_positions_erase(today=day + dt.timedelta(days=1))
            self.stdout.write(f"positions erased: {erased}")
            self.stdout.write(f"old export files dropped: {export_jobs_prune()}")
