"""The seed_demo hook for supervision: deterministic, within the rules, and a rerun adds nothing."""
import datetime as dt

from assignments.management.commands._demo_supervision import seed_supervision
from assignments.models import AnnualAssessment, BenefitPayment, Inspection, ReplacementObligation
from tests.factories import AssignmentFactory, CadreFactory, VillageFactory


def test_seed_supervision_creates_demo_rows_once(world):
    for i in range(16):
        v = VillageFactory(township=world.township, code=f"510824100{300 + i}")
        AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=v,
                          role="first_secretary")
        AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=v)
    AssignmentFactory(cadre=CadreFactory(unit=world.unit, county=world.county), village=world.village2,
                      end_date=dt.date(2026, 5, 1), end_reason="recall", end_note="不称职，召回")
    today = dt.date(2026, 11, 18)
    counts = seed_supervision(seed=1, today=today, county_ids=[world.county.id])
    assert counts["inspections"] == Inspection.objects.count() > 0
    assert counts["recalls"] == ReplacementObligation.objects.filter(status="open").count() == 1
    assert counts["payments"] == BenefitPayment.objects.count() > 0
    assert counts["assessments"] == AnnualAssessment.objects.filter(year=2025).count() > 0
    again = seed_supervision(seed=1, today=today, county_ids=[world.county.id])
    assert sum(again.values()) == 0 and Inspection.objects.count() == counts["inspections"]
