"""Check-in throughput through gunicorn, beside a bare Django view served the same way.

Called by bench/attendance_scan.py (Django already set up, DATABASE_URL on PostgreSQL).
Creates logins and sessions for N cadres in post today, deletes their records for today, starts
gunicorn (production settings + bench URLs), then sends N POSTs to the bare view and N check-in
POSTs (one per cadre: a check-in is once a day; asking for JSON, as the check-in page's script
does) from C client threads with keep-alive, and
compares requests per second. Afterwards the number of today's self check-ins of those cadres
must equal the number of successful check-ins.
"""
from __future__ import annotations

import http.client
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # standalone: set Django up before the model imports below
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    # Sessions and cadre scopes live in the cache; it must be Redis, shared with the workers.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    import django

    django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from assignments.auth import CachedModelBackend, user_cache_forget  # noqa: E402
from assignments.models import Assignment, Cadre, Profile  # noqa: E402
from assignments.selectors import scope_cache_forget, scope_for_user  # noqa: E402
from attendance.models import PresenceRecord  # noqa: E402
from attendance.selectors import active_on  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "18431"))
CSRF = "b" * 32


def _prepare(n: int, warm_scope: bool = True) -> list[str]:
    """Sessions for n cadres in post today, each with a user and a cadre profile."""
    User = get_user_model()
    today = timezone.localdate()
    cadre_ids = list(Assignment.objects.filter(active_on(today)).order_by("id").values_list("cadre_id", flat=True)[:n])
    PresenceRecord.objects.filter(cadre_id__in=cadre_ids, date=today).delete()
    existing = {u.username: u for u in User.objects.filter(username__startswith="bench_att_")}
    new = [User(username=f"bench_att_{cid}", password="!") for cid in cadre_ids if f"bench_att_{cid}" not in existing]
    User.objects.bulk_create(new, batch_size=2000)
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_att_")}
    Profile.objects.bulk_create([Profile(user=u, role=Profile.Role.CADRE) for u in users.values()],
                                ignore_conflicts=True)
    Cadre.objects.filter(user__username__startswith="bench_att_").exclude(id__in=cadre_ids).update(user=None)
    cadres = list(Cadre.objects.filter(id__in=cadre_ids))
    for c in cadres:
        c.user = users[f"bench_att_{c.id}"]
    Cadre.objects.bulk_update(cadres, ["user"], batch_size=2000)
    for c in cadres:
        # bulk_update sends no signals: drop cached scopes and users by hand. Then each cadre's
        # scope and user are cached the way opening the check-in page (GET) caches them: the
        # check-in POST comes from that page, so a real tap finds them warm. (--cold-scope
        # measures without.)
        scope_cache_forget(user_id=c.user.pk, cadre_id=c.id)
        user_cache_forget(user_id=c.user.pk)
        if warm_scope:
            scope_for_user(c.user)
            CachedModelBackend().get_user(c.user.pk)
    # The configured engine (cached_db): a real login writes the session to the cache too.
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    backend = "assignments.auth.CachedModelBackend"
    for c in cadres:
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY], s[HASH_SESSION_KEY] = str(c.user.pk), backend, c.user.get_session_auth_hash()
        s.create()
        keys.append(s.session_key)
    return keys


def _cpu_seconds() -> dict[tuple[str, str], float]:
    """CPU time (user + system) so far of every process on this machine, by (pid, group):
    the gunicorn workers, PostgreSQL, Redis, this client, the rest. Linux /proc only."""
    ticks = os.sysconf("SC_CLK_TCK")
    me = str(os.getpid())
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        group = ("client" if pid == me else "gunicorn" if "gunicorn" in cmd else
                 "postgresql" if comm.startswith("postgres") else "redis" if comm.startswith("redis") else "other")
        out[(pid, group)] = seconds
    return out


def _cpu_per_request(before: dict, after: dict, n: int) -> str:
    groups: dict[str, float] = {}
    for key, seconds in after.items():
        groups[key[1]] = groups.get(key[1], 0.0) + seconds - before.get(key, 0.0)
    order = ["gunicorn", "postgresql", "redis", "client", "other"]
    return ", ".join(f"{g} {groups.get(g, 0.0) / n * 1000:.2f}" for g in order) + \
        f"; total {sum(groups.values()) / n * 1000:.2f} ms CPU per request"


def _load(path: str, sessions: list[str], concurrency: int, accept: str = "*/*",
          cpu: list | None = None) -> tuple[float, dict[int, int]]:
    work: queue.Queue = queue.Queue()
    for key in sessions:
        work.put(key)
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while True:
            try:
                key = work.get_nowait()
            except queue.Empty:
                break
            try:
                conn.request("POST", path, body="", headers={
                    "Cookie": f"sessionid={key}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
                    "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
                resp = conn.getresponse()
                body = resp.read()
                status = resp.status
                # 302 to the login page is a failure; so is a JSON check-in that stored nothing.
                if status == 302 and "login" in (resp.getheader("Location") or ""):
                    status = 401
                elif accept == "application/json" and status == 200 and b'"created": true' not in body:
                    status = 409
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = _cpu_seconds() if cpu is not None else None
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(f"{path}: {_cpu_per_request(cpu_before, _cpu_seconds(), len(sessions))}")
    return len(sessions) / elapsed, statuses


def run(n: int = 3000, concurrency: int = 8, workers: int = 4, warm_scope: bool = True) -> None:
    sessions = _prepare(n, warm_scope)
    db = settings.DATABASES["default"]
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "bench.attendance_settings", "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application", "-w", str(workers),
         "-b", f"127.0.0.1:{PORT}", "--chdir", str(ROOT), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                c.request("GET", "/bench/bare/")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        _load("/bench/bare/", sessions[:200], concurrency)  # warm-up: every worker imports and connects
        cpu: list[str] = []
        bare_rps, bare_status = _load("/bench/bare/", sessions, concurrency, cpu=cpu)
        auth_rps, auth_status = _load("/bench/bare-logged-in/", sessions, concurrency, cpu=cpu)
        # As the check-in page's script sends it: a POST asking for JSON, answered in place.
        checkin_rps, checkin_status = _load("/attendance/", sessions, concurrency, accept="application/json", cpu=cpu)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)
    today = timezone.localdate()
    stored = PresenceRecord.objects.filter(cadre__user__username__startswith="bench_att_", date=today,
                                           source=PresenceRecord.Source.SELF).count()
    ok = checkin_status.get(200, 0)
    engine = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"{len(sessions):,} requests each, {concurrency} client threads, gunicorn {workers} sync workers; "
          f"sessions {engine}, cache {backend}, cadre scopes {'cached' if warm_scope else 'not cached'}")
    print(f"bare view:  {bare_rps:7.0f} req/s  statuses {bare_status}")
    print(f"bare view, user loaded (information only): {auth_rps:7.0f} req/s  statuses {auth_status}")
    print(f"check-in:   {checkin_rps:7.0f} req/s  statuses {checkin_status}  "
          f"({checkin_rps / bare_rps:.0%} of the bare view; {checkin_rps / auth_rps:.0%} of the one that loads the user)")
    print(f"records stored for today: {stored:,}; successful check-ins (200, created): {ok:,}; equal: {stored == ok}")
    print("CPU per request, by process (ms; the machine's whole CPU time while each side ran):")
    for line in cpu:
        print(f"  {line}")


if __name__ == "__main__":
    # Standalone: only the gunicorn part (bench/attendance_scan.py runs it after the scans).
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000, help="Requests per side (one check-in per cadre).")
    parser.add_argument("-c", type=int, default=8, help="Client threads.")
    parser.add_argument("-w", type=int, default=4, help="gunicorn sync workers.")
    parser.add_argument("--cold-scope", action="store_true", help="Check in without the cadres' scopes cached.")
    opts = parser.parse_args()
    run(n=opts.n, concurrency=opts.c, workers=opts.w, warm_scope=not opts.cold_scope)
