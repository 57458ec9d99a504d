"""Training tests assert messages by their English msgid, so they run in English whatever
the catalogue holds. `tw` adds training objects to the shared `world`."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from training.models import OrganiserLevel, TrainingCourse, TrainingRecord, TrainingRequirement


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tw(world):
    """world + a 3-day county course in 苍溪县 attended by world.cadre, and one in 金堂县
    attended by world.far_cadre (the "outside" objects of the permission matrix)."""
    W = world
    W.requirement = TrainingRequirement.objects.get(region=None)  # the data migration's default rule
    W.course = TrainingCourse.objects.create(
        title="苍溪县驻村干部培训班", organiser_level=OrganiserLevel.COUNTY, region=W.county, managed_by=W.county,
        start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 3), days=Decimal(3), hours=Decimal(24),
        topics=",party,economy,",
    )
    W.record = TrainingRecord.objects.create(cadre=W.cadre, course=W.course, days_attended=3, hours_attended=24)
    W.far_course = TrainingCourse.objects.create(
        title="金堂县培训班", organiser_level=OrganiserLevel.COUNTY, region=W.far_county, managed_by=W.far_county,
        start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 3), days=Decimal(3), hours=Decimal(24),
    )
    W.far_record = TrainingRecord.objects.create(cadre=W.far_cadre, course=W.far_course, days_attended=3)
    return W
