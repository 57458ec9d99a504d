"""Settings for the gunicorn part of bench/attendance_scan.py: production settings (no debug,
persistent connections) with the attendance URLs and a bare view mounted."""
from config.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "bench.attendance_urls"
