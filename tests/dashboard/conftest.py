"""Dashboard tests assert English msgids and mount the dashboard URLs if the project does not yet."""
import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_and_urls(settings):
    settings.LANGUAGE_CODE = "en"
    settings.ROOT_URLCONF = "tests.dashboard.urls"
    with translation.override("en"):
        yield
