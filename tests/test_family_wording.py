"""家庭共济 names who 001 names, not the wider 近亲属 (issue 15, finding 5).

001: "可以用于支付参保人员本人及其配偶、父母、子女在定点医疗机构就医发生的由个人负担的医疗费用……可以用于配偶、父母、
子女参加城乡居民基本医疗保险等的个人缴费".
"""

from pathlib import Path

import pytest

from benefits.models import AccountEntry, FamilyBinding

SEED_001 = "可以用于配偶、父母、子女参加城乡居民基本医疗保险等的个人缴费"


def test_the_seed_line():
    path = next(Path("/work/shared/seeds").glob("001_*.txt"), None)
    if path is None:
        pytest.skip("seed documents not on this machine")
    assert SEED_001 in "".join(path.read_text(encoding="utf-8").split())


def test_relations_and_the_contribution_purpose_say_spouse_parents_children():
    assert [str(label) for label in FamilyBinding.Relation.labels] == ["配偶", "父母", "子女"]
    label = str(AccountEntry.Purpose.RESIDENT_CONTRIBUTION.label)
    assert label == "配偶、父母、子女居民医保个人缴费"
    texts = [label, *map(str, FamilyBinding.Relation.labels), str(FamilyBinding._meta.verbose_name)]
    assert not any("近亲属" in text for text in texts)


def test_the_family_service_messages_never_say_near_relatives():
    source = Path(__file__).resolve().parents[1].joinpath("benefits/services/accounts.py").read_text(encoding="utf-8")
    assert "近亲属" not in source
    assert "家庭共济仅限配偶、父母、子女" in source
