"""Migrations that change data: they must go through on a database that already holds the
rows a new constraint forbids."""
from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

unique_names = importlib.import_module("assignments.migrations.0006_unique_names")

BEFORE = ("assignments", "0005_replacement_sync_schedule")
AFTER = ("assignments", "0006_unique_names")


def test_renames_only_later_duplicates_by_appending_their_code():
    rows = [(1, 10, "山水村", "510824100201"), (5, 10, "山水村", "510824100205"),
            (3, 11, "山水村", "510824101203"), (7, 10, "白桥村", "510824100207")]
    assert unique_names.renames(rows) == {5: "山水村（510824100205）"}


def test_renamed_names_fit_the_column_and_avoid_names_already_taken():
    long = "长" * 64
    rows = [(1, 1, long, "510824100201"), (2, 1, long, "510824100202"),
            (3, 1, "甲村", "1"), (4, 1, "甲村", "1"), (5, 1, "甲村（1）", "9")]
    new = unique_names.renames(rows)
    assert len(new[2]) == 64 and new[2].endswith("（510824100202）")
    # Row 4 cannot become 甲村（1）: row 5 already has that name.
    assert new == {2: new[2], 4: "甲村（1-2）"}


@pytest.mark.django_db(transaction=True)
def test_migration_renames_existing_duplicates_then_adds_the_constraints():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Region, Village = old.get_model("assignments", "Region"), old.get_model("assignments", "Village")
    county = Region.objects.create(code="510824", name="苍溪县", level="county",
                                   parent=Region.objects.create(code="510000", name="四川省", level="province"))
    first = Region.objects.create(code="510824100", name="陵江镇", level="township", parent=county)
    second = Region.objects.create(code="510824199", name="陵江镇", level="township", parent=county)
    for code in ("510824100201", "510824100299"):
        Village.objects.create(code=code, name="黄坎村", township=first, county=county)
    Village.objects.create(code="510824199201", name="黄坎村", township=second, county=county)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    names = dict(Region.objects.filter(parent=county).values_list("code", "name"))
    assert names == {"510824100": "陵江镇", "510824199": "陵江镇（510824199）"}
    villages = dict(Village.objects.values_list("code", "name"))
    assert villages == {"510824100201": "黄坎村", "510824100299": "黄坎村（510824100299）",
                        "510824199201": "黄坎村"}  # another township: not a duplicate


phone_migration = importlib.import_module("assignments.migrations.0010_unit_phone_constraint")


@pytest.mark.parametrize("typed, tidy", [
    ("0839 5222222", "08395222222"), ("０８３９－５２２２２２２", "0839-5222222"),
    ("+86 139 1234 5678", "13912345678"), ("028—86000000", "028-86000000"),
])
def test_phone_numbers_typed_before_the_check_are_tidied_the_way_the_form_tidies_them(typed, tidy):
    from assignments.services import phone_normalise

    assert phone_migration.normalise(typed) == phone_normalise(typed) == tidy


def _units_before_the_phone_rule(phones):
    executor = MigrationExecutor(connection)
    executor.migrate([("assignments", "0009_export_prune_schedule")])
    old = executor.loader.project_state([("assignments", "0009_export_prune_schedule")]).apps
    Region, Unit = old.get_model("assignments", "Region"), old.get_model("assignments", "DispatchingUnit")
    county = Region.objects.create(code="510824", name="苍溪县", level="county",
                                   parent=Region.objects.create(code="510000", name="四川省", level="province"))
    for i, phone in enumerate(phones):
        Unit.objects.create(name=f"单位{i}", level="county", kind="other", home_region=county, contact_phone=phone)


def _migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_phone_migration_tidies_old_numbers_then_the_database_refuses_a_bad_one():
    from django.db import IntegrityError

    from assignments.models import DispatchingUnit

    _units_before_the_phone_rule(["０８３９－５２２２２２２", "", "13912345678"])
    _migrate_to_latest()
    assert sorted(DispatchingUnit.objects.values_list("contact_phone", flat=True)) == [
        "", "0839-5222222", "13912345678"]
    with pytest.raises(IntegrityError):
        DispatchingUnit.objects.filter(contact_phone="").update(contact_phone="找办公室")


@pytest.mark.django_db(transaction=True)
def test_phone_migration_stops_and_names_the_units_whose_phone_is_no_number():
    _units_before_the_phone_rule(["找王主任", "0839-5222222"])
    with pytest.raises(RuntimeError, match="单位0: '找王主任'"):
        _migrate_to_latest()
    # Leave the database migrated for the tests that follow.
    from django.db import connection as c

    with c.cursor() as cur:
        cur.execute("UPDATE assignments_dispatchingunit SET contact_phone = ''")
    _migrate_to_latest()
