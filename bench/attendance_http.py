"""Check-in throughput through gunicorn, beside a bare Django view served the same way.

Called by bench/attendance_scan.py (Django already set up, DATABASE_URL on PostgreSQL).
Creates logins and sessions for N cadres in post today, deletes their records for today, starts
gunicorn (production settings + bench URLs), then sends N POSTs to the bare view and N check-in
POSTs (one per cadre: a check-in is once a day; asking for JSON, as the check-in page's script
does) from C client threads, alternating by blocks of requests, and compares requests per second;
the number of today's self check-ins of those cadres must equal the number of successful check-ins.
Two more lines per round, for information: the bare view loading the logged-in user (what every
page of the app pays before its view runs), and the check-in's PostgreSQL statement called from a
bench view with no session and no user (what the write alone costs through the same stack).
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


def _cpu_per_request(before: dict, after: dict, n: int) -> dict[str, float]:
    """ms of CPU per request, by process group."""
    groups: dict[str, float] = {}
    for key, seconds in after.items():
        groups[key[1]] = groups.get(key[1], 0.0) + seconds - before.get(key, 0.0)
    return {g: groups.get(g, 0.0) / n * 1000 for g in CPU_GROUPS}


CPU_GROUPS = ["gunicorn", "postgresql", "redis", "client", "other"]


def _load(path: str, sessions: list[str], concurrency: int, accept: str = "*/*",
          body=None) -> tuple[float, dict[int, int], dict[str, float]]:
    """POST `path` once per session from `concurrency` threads (keep-alive where the server
    allows it): requests per second, statuses, and the machine's CPU per request by process.
    `body(session_key)` gives a form body (default: none)."""
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
                conn.request("POST", path, body=body(key) if body else "", headers={
                    "Cookie": f"sessionid={key}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
                    "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
                resp = conn.getresponse()
                answer = resp.read()
                status = resp.status
                # 302 to the login page is a failure; so is a JSON check-in that stored nothing.
                if status == 302 and "login" in (resp.getheader("Location") or ""):
                    status = 401
                elif accept == "application/json" and status == 200 and b'"created": true' not in answer:
                    status = 409
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return len(sessions) / elapsed, statuses, _cpu_per_request(cpu_before, _cpu_seconds(), len(sessions))


def _stored_today() -> int:
    return PresenceRecord.objects.filter(cadre__user__username__startswith="bench_att_", date=timezone.localdate(),
                                         source=PresenceRecord.Source.SELF).count()


def _clear_today() -> None:
    PresenceRecord.objects.filter(cadre__user__username__startswith="bench_att_", date=timezone.localdate()).delete()


def _interleaved(pairs, blocks: list[list[str]], concurrency: int) -> dict[str, dict]:
    """Each block of sessions through each (name, path, accept, body) in turn, block after block,
    so every line is measured across the same stretch of time; per line: overall requests per
    second (all its requests / all its time), statuses, mean CPU per request, and the per-block
    requests per second."""
    out = {name: {"requests": 0, "seconds": 0.0, "statuses": {}, "cpu": dict.fromkeys(CPU_GROUPS, 0.0),
                  "blocks": []} for name, *_ in pairs}
    for block in blocks:
        for name, path, accept, body in pairs:
            rps, statuses, cpu = _load(path, block, concurrency, accept=accept, body=body)
            line = out[name]
            line["requests"] += len(block)
            line["seconds"] += len(block) / rps
            line["blocks"].append(rps)
            for status, count in statuses.items():
                line["statuses"][status] = line["statuses"].get(status, 0) + count
            for g in CPU_GROUPS:
                line["cpu"][g] += cpu[g] * len(block)
    for line in out.values():
        line["rps"] = line["requests"] / line["seconds"]
        line["cpu"] = {g: ms / line["requests"] for g, ms in line["cpu"].items()}
    return out


def run(n: int = 3000, concurrency: int = 8, workers: int = 4, warm_scope: bool = True, block: int = 500) -> None:
    """The sides are interleaved in blocks of `block` requests (bare view, check-in, bare view,
    check-in, …): this machine's speed drifts by ±20 % within a minute (a shared virtual
    machine), and a drift must not fall on one side only. Each check-in block has its own
    cadres, since a cadre checks in once a day."""
    sessions = _prepare(n, warm_scope)
    blocks = [sessions[i:i + block] for i in range(0, len(sessions), block)]
    # For the "statement alone" line: each session's cadre and user, as the bench view takes them.
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    user_of = {key: int(SessionStore(key)[SESSION_KEY]) for key in sessions}
    cadre_of_user = dict(Cadre.objects.filter(user_id__in=user_of.values()).values_list("user_id", "id"))
    statement_body = {key: f"cadre={cadre_of_user[uid]}&user={uid}" for key, uid in user_of.items()}
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
    bare = ("bare", "/bench/bare/", "*/*", None)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                c.request("GET", "/bench/bare/")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        # Warm-up: every worker imports, connects and serves both kinds of page a while.
        _load("/bench/bare/", sessions[:1000], concurrency)
        _load("/bench/bare-logged-in/", sessions[:1000], concurrency)
        _clear_today()
        # The verdict: the bare view and the check-in (as the page's script sends it: a POST
        # asking for JSON, answered in place), and for information the bare view that loads the
        # logged-in user.
        main = _interleaved([bare, ("check-in", "/attendance/", "application/json", None),
                             ("logged-in", "/bench/bare-logged-in/", "*/*", None)], blocks, concurrency)
        stored, ok = _stored_today(), main["check-in"]["statuses"].get(200, 0)
        _clear_today()
        alone = _interleaved([bare, ("statement", "/bench/checkin-statement/", "application/json",
                                     statement_body.get)], blocks, concurrency)
        _clear_today()
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)
    engine = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"{len(sessions):,} requests per line in blocks of {block} (interleaved), {concurrency} client threads, "
          f"gunicorn {workers} sync workers; sessions {engine}, cache {backend}, cadre scopes "
          f"{'cached' if warm_scope else 'not cached'}")

    def show(label: str, line: dict, base: dict | None) -> None:
        ratio = f"  {line['rps'] / base['rps']:.0%} of the bare view" if base else ""
        spread = ""
        if base:
            per_block = [r / b for r, b in zip(line["blocks"], base["blocks"], strict=True)]
            spread = f" (blocks {min(per_block):.0%}–{max(per_block):.0%})"
        print(f"{label:58s} {line['rps']:6.0f} req/s{ratio}{spread}  statuses {line['statuses']}")

    show("bare view", main["bare"], None)
    show("check-in", main["check-in"], main["bare"])
    show("bare view loading the logged-in user (information)", main["logged-in"], main["bare"])
    show("bare view, second pass", alone["bare"], None)
    show("check-in statement alone, no session/user (information)", alone["statement"], alone["bare"])
    print(f"records stored for today: {stored:,}; successful check-ins (200, created): {ok:,}; equal: {stored == ok}")
    print("CPU per request by process (ms; the machine's whole CPU time while each line ran):")
    for label, line in [("bare view", main["bare"]), ("logged-in", main["logged-in"]),
                        ("check-in", main["check-in"]), ("statement alone", alone["statement"])]:
        print(f"  {label:16s} " + ", ".join(f"{g} {line['cpu'][g]:.2f}" for g in CPU_GROUPS)
              + f"; total {sum(line['cpu'].values()):.2f}")


if __name__ == "__main__":
    # Standalone: only the gunicorn part (bench/attendance_scan.py runs it after the scans).
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000, help="Requests per side (one check-in per cadre).")
    parser.add_argument("-c", type=int, default=8, help="Client threads.")
    parser.add_argument("-w", type=int, default=4, help="gunicorn sync workers.")
    parser.add_argument("--cold-scope", action="store_true", help="Check in without the cadres' scopes cached.")
    parser.add_argument("--block", type=int, default=500, help="Requests per block; the sides alternate by block.")
    opts = parser.parse_args()
    run(n=opts.n, concurrency=opts.c, workers=opts.w, warm_scope=not opts.cold_scope, block=opts.block)
