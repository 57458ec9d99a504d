"""Settings shared by every environment, read from the environment with django-environ.

DATABASE_URL unset -> SQLite file in the project folder; REDIS_URL unset -> Celery eager.
"""
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "import_export",
    "simple_history",
    "axes",
    "django_celery_beat",
    "assignments",
    "attendance",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "assignments.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Logged-in responses are not cached; an empty 405 becomes a page; a temporary password
    # must be replaced before anything else (each needs the user, the session and messages).
    "assignments.middleware.NoStoreForUsersMiddleware",
    "assignments.middleware.MethodNotAllowedPageMiddleware",
    "assignments.middleware.MustChangePasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # axes must come last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assignments.context_processors.role",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with the logged-in user kept in the cache (see assignments/auth.py).
    "assignments.auth.CachedModelBackend",
]
# Checked when users choose a password (the password change page). Our MinimumLengthValidator
# is Django's with a message Django's Chinese catalogue translates (see the module). Common and
# all-digit passwords are refused: phones suggest 12345678 and birthdays.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "assignments.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"  # by role: cadres to check-in, others to the overview
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock an account (username, not IP: staff share office NAT) after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# axes ships no Chinese: our own page says what happened and what to do, in both languages.
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# W006 warns that username-only lockout ignores the IP; that is the point here (many officers
# behind one government NAT must not lock each other out; the attacked account is locked).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# A list filter left empty means "all", and says so (django-filter's default is "---------").
FILTERS_EMPTY_CHOICE_LABEL = _("All")

# Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Cache and sessions. Every logged-in request reads its session, and every cadre checks in every
# morning: a database-backed session costs a query per request (and the check-in target is half
# the throughput of a bare view). cached_db reads the session from the cache and still writes it
# to the database, so a cache flush or a Redis restart only costs a re-read, never a logout.
# The cache must be shared by all workers (Redis) for that to help; LocMemCache (per process) is
# the fallback for tests and a single dev server. The scoping gate also caches cadre scopes here
# (assignments.selectors.scope_for_user), and the auth backend logged-in users (assignments.auth).
# django-redis rather than Django's own RedisCache: Django's builds a new redis-py client for
# every cache operation, which with redis-py 8 costs ~0.3 ms of CPU each (its response-callback
# table is rebuilt), more than the round trip itself; django-redis keeps one client per server.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env("CACHE_REDIS_URL", default=REDIS_URL),
            # Cached sessions, users and scopes are keyed by ids of one database: two databases
            # sharing a Redis (a demo and a bench, say) must not read each other's.
            "KEY_PREFIX": f"zhucun:{DATABASES['default']['NAME']}",
            # Redis down or restarting: cache reads miss and writes are skipped (and logged), so
            # sessions, users and scopes come from the database instead of every request failing.
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    # A high MAX_ENTRIES: the default (300) culls live sessions during a test run, and a culled
    # session costs one extra query, which makes query-count tests depend on test order.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zhucun",
                          "OPTIONS": {"MAX_ENTRIES": 100_000}}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

IMPORT_EXPORT_USE_TRANSACTIONS = True

# --- Programme rules: local regulations differ, so they are settings, not constants. ---
ZHUCUN = {
    # Default length of a tenure (years) when no planned end date is given.
    "TENURE_YEARS": env.int("ZHUCUN_TENURE_YEARS", default=2),
    # A team with fewer members than this (all roles) shows as under-staffed.
    "MIN_TEAM_SIZE": env.int("ZHUCUN_MIN_TEAM_SIZE", default=2),
    # Rows per page on list pages.
    "PAGE_SIZE": 50,
    # --- attendance (common local values; some counties count 200 days a year instead) ---
    # In-village days a month below which the month-end scan flags a presence shortfall
    # (pro-rated for partial months and approved leave, capped at the month's working days).
    "MIN_DAYS_IN_VILLAGE_PER_MONTH": env.int("ZHUCUN_MIN_DAYS_IN_VILLAGE_PER_MONTH", default=20),
    # Leave of up to this many days is approved by the township; longer leave by the county.
    "LEAVE_TOWNSHIP_MAX_DAYS": env.int("ZHUCUN_LEAVE_TOWNSHIP_MAX_DAYS", default=3),
    # Consecutive missing working days after which a missing check-in becomes a warning.
    "MISSING_CHECKIN_ESCALATE_DAYS": 3,
    # A located check-in less accurate than this (metres) goes to review.
    "CHECKIN_MAX_ACCURACY_M": 200,
    # Positions collected at check-in are erased this many days after the check-in, once no
    # review waits on them (the review note keeps what was found). Nightly, 01:35.
    "POSITION_KEEP_DAYS": env.int("ZHUCUN_POSITION_KEEP_DAYS", default=90),
    # Radius (metres) used when a village has coordinates but no radius of its own.
    "CHECKIN_DEFAULT_RADIUS_M": 3000,
    # The nightly scan rebuilds the dashboards' daily summaries of this many days up to
    # yesterday, so corrections, reviews and leave decisions about earlier days show the next
    # morning (about 0.15 s a day for all Sichuan).
    "SUMMARY_REFRESH_DAYS": 35,
    # A roster export of more rows than this is built by a Celery worker and listed at
    # /exports/ (a province's 34,000 rows take ~20 s); smaller ones download at once.
    "EXPORT_SYNC_MAX_ROWS": env.int("ZHUCUN_EXPORT_SYNC_MAX_ROWS", default=5000),
    # --- training: when an unmet requirement is flagged, and how urgently ---
    "TRAINING_NOTICE_FRACTION": 0.5,  # notice from half-way through the tenure
    "TRAINING_WARNING_MONTHS": 6,  # warning with 6 months left
    "TRAINING_CRITICAL_MONTHS": 3,  # critical with 3 months left
    # --- supervision ---
    # Unexcused absences found by inspection in a year -> the best grade allowed.
    "ASSESSMENT_CAPS": {1: "competent", 2: "basically_competent", 3: "incompetent"},
    # Days a dispatching unit has to send a replacement after a recall.
    "REPLACEMENT_DUE_DAYS": 30,
    # Benefits entitlements, yuan.
    "BENEFITS": {
        "WORK_FUNDS_PER_VILLAGE_YEAR": 10000,
        "LIVING_SUBSIDY_PER_DAY": 50,
        "ACCIDENT_INSURANCE_PER_YEAR": 300,
        "HEALTH_CHECK_PER_YEAR": 500,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

SITE_TITLE = _("Zhucun")
