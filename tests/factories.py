"""factory-boy factories for the roster. Regions are created by hand in tests (small trees),
not by load_regions, so each test states the geography it relies on."""
from __future__ import annotations

import datetime as dt
import random

import factory
from django.contrib.auth import get_user_model

from assignments.idcard import check_character
from assignments.models import Assignment, Cadre, DispatchingUnit, Profile, Region, Village


def make_id_number(birth: dt.date, area: str = "510824", seq: int | None = None, gender: str | None = None) -> str:
    """A valid ID number; with `gender` ("M"/"F") its 17th digit says so (odd for a man). With a
    gender, distinct seqs below 500 give distinct numbers (seq 4 and 5 must not both become 5)."""
    seq = random.randint(0, 999) if seq is None else seq
    if gender is not None:
        seq = (seq % 500) * 2 + (1 if gender == "M" else 0)
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    level = Region.Level.COUNTY
    code = factory.Sequence(lambda n: f"51{n:04d}")
    name = factory.Sequence(lambda n: f"县{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    name = factory.Sequence(lambda n: f"村{n}")
    # 700–949: clear of the hand-written codes tests use (201, 202, 999…).
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.township.code}{700 + n % 250:03d}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DispatchingUnit

    name = factory.Sequence(lambda n: f"派出单位{n}")
    level = DispatchingUnit.Level.COUNTY
    kind = DispatchingUnit.Kind.PARTY_GOV


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    gender = Cadre.Gender.MALE
    birth_date = factory.Sequence(lambda n: dt.date(1980, 1, 1) + dt.timedelta(days=n))
    education = Cadre.Education.BACHELOR
    id_number = factory.LazyAttributeSequence(lambda o, n: make_id_number(o.birth_date, seq=n % 1000, gender=o.gender))
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    role = Assignment.Role.TEAM_MEMBER
    start_date = dt.date(2025, 6, 1)
    planned_end_date = dt.date(2027, 6, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def make_user(username: str, role: str, *, region=None, unit=None, cadre=None):
    user = UserFactory(username=username)
    Profile.objects.create(user=user, role=role, region=region, unit=unit)
    if cadre is not None:
        cadre.user = user
        cadre.save(update_fields=["user"])
    return user
