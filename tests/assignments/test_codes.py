"""Comma-wrapped multi-choice codes shared by villages, work logs and training."""
from django.utils import translation

from assignments.codes import code_labels, pack_codes, unpack_codes
from assignments.models import VillageCategory


def test_pack_keeps_the_choices_order_and_drops_unknown_codes():
    assert pack_codes(["weak_party", "bogus", "poverty_exit"], VillageCategory.values) == ",poverty_exit,weak_party,"


def test_pack_of_nothing_is_empty_so_contains_filters_match_nothing():
    assert pack_codes([], VillageCategory.values) == ""
    assert unpack_codes("") == [] and unpack_codes(None) == []


def test_labels_follow_the_language():
    with translation.override("zh-hans"):
        assert code_labels(",weak_party,", VillageCategory.choices) == ["党组织软弱涣散村"]
