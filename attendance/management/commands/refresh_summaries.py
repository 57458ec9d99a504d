"""manage.py refresh_summaries [--days N] [--day YYYY-MM-DD]: rebuild the dashboards' daily
presence summaries (the nightly scan refreshes yesterday's by itself)."""
from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attendance.summaries import presence_summaries_refresh


class Command(BaseCommand):
    help = "Rebuild the daily presence summaries of the last N days (up to yesterday) for every township."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="How many days back from yesterday (default 90).")
        parser.add_argument("--day", help="Only this day (YYYY-MM-DD).")

    def handle(self, *args, **opts):
        if opts["day"]:
            try:
                days = [dt.date.fromisoformat(opts["day"])]
            except ValueError as exc:
                raise CommandError(f"--day must be YYYY-MM-DD: {exc}") from exc
        else:
            if opts["days"] < 1:
                raise CommandError("--days must be at least 1.")
            yesterday = timezone.localdate() - dt.timedelta(days=1)
            days = [yesterday - dt.timedelta(days=i) for i in range(opts["days"])]
        started = time.perf_counter()
        rows = presence_summaries_refresh(days=days)
        self.stdout.write(f"{len(days)} days, {rows} township rows, {time.perf_counter() - started:.1f} s")
