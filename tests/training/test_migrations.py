"""The hours-per-day check constraints: a database holding rows they forbid stops the
migration with the rows to correct (nothing is guessed or thrown away)."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("training", "0003_requirement_name_unique")


def _migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_hours_migration_stops_and_names_the_course_with_too_many_hours():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Region, Course = old.get_model("assignments", "Region"), old.get_model("training", "TrainingCourse")
    county = Region.objects.create(code="510824", name="苍溪县", level="county",
                                   parent=Region.objects.create(code="510000", name="四川省", level="province"))
    course = Course.objects.create(title="学时过多的培训", organiser_level="county", region=county, managed_by=county,
                                   start_date="2026-03-02", end_date="2026-03-04", days=3, hours=5000)
    with pytest.raises(RuntimeError, match=f"course {course.pk} 学时过多的培训"):
        _migrate_to_latest()
    Course.objects.filter(pk=course.pk).update(hours=24)
    _migrate_to_latest()  # corrected: the constraints go on, and the database is left migrated
