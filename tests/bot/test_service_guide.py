"""Tests for the service-guide knowledge base and its rendered domain file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import service_guide
from bot.service_guide import (
    GuideError,
    GuideTopic,
    load_guide,
    parse_guide,
    render_answer,
    render_domain,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE_PATH = REPO_ROOT / "data" / "service_guide.yml"
DOMAIN_PATH = REPO_ROOT / "bot" / "domain" / "service_guide.yml"
CITY_DOC = REPO_ROOT / "docs" / "sandbox-city.md"
FAQ_NLU_PATH = REPO_ROOT / "data" / "nlu" / "faq.yml"

# Copied from spec/nlu-contract.md on purpose: the module's own list must not
# be the thing it is checked against.
CONTRACT_TOPICS = [
    "residence_permit",
    "id_card",
    "hukou",
    "passport",
    "hk_macau_permit",
    "social_insurance",
    "housing_fund",
    "medical_insurance",
    "business_license",
    "driving_license_renewal",
    "vehicle_registration",
    "marriage_registration",
    "online_service",
]

HEADINGS = [
    "【所需材料】",
    "【办理流程】",
    "【办理地点】",
    "【办理时限】",
    "【收费标准】",
    "【网上办理】",
]

# Words that name an office; any of them left after removing the known office
# names from an answer means the answer cites an office the city doc lacks.
OFFICE_WORDS = [
    "车管所",
    "分所",
    "政务服务中心",
    "政务大厅",
    "服务大厅",
    "办证大厅",
    "大厅",
    "管理中心",
    "公积金中心",
    "社保局",
    "市民中心",
    "派出所",
    "民政局",
    "婚姻登记处",
    "出入境管理局",
]


@pytest.fixture(scope="module")
def guide() -> dict[str, GuideTopic]:
    return load_guide(GUIDE_PATH)


@pytest.fixture(scope="module")
def city_offices() -> tuple[set[str], set[str]]:
    """Office names and short forms from the office table of the city doc."""
    text = CITY_DOC.read_text(encoding="utf-8")
    section = text.split("## Offices", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    short_forms: set[str] = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in {"id", ""} or set(cells[0]) <= {"-"}:
            continue
        names.add(cells[1])
        short_forms.update(form for form in cells[2].split("、") if form)
    return names, short_forms


def _minimal_topic() -> dict[str, object]:
    return {
        "title": "测试事项",
        "summary": "说明",
        "materials": ["身份证"],
        "steps": ["提交申请"],
        "offices": ["深圳市民中心政务服务大厅（沙盒）"],
        "time_limit": "当场办结",
        "fees": "不收费",
        "online": "「i深圳（沙盒版）」",
    }


def test_module_topic_list_matches_contract() -> None:
    assert list(service_guide.FAQ_TOPICS) == CONTRACT_TOPICS


def test_every_contract_topic_exists_with_every_field(
    guide: dict[str, GuideTopic],
) -> None:
    assert list(guide) == CONTRACT_TOPICS
    for key, topic in guide.items():
        assert topic.key == key
        for field in ("title", "summary", "time_limit", "fees", "online"):
            assert getattr(topic, field).strip(), (key, field)
        assert topic.steps, key
        assert topic.offices, key
        assert topic.materials or topic.cases, key
        for case in topic.cases:
            assert case.name and case.materials, (key, case)


def test_id_card_has_its_four_sub_cases(guide: dict[str, GuideTopic]) -> None:
    case_names = " ".join(case.name for case in guide["id_card"].cases)
    for word in ("首次申领", "换领", "补领", "临时身份证"):
        assert word in case_names


def test_fees_and_online_entries_are_concrete(guide: dict[str, GuideTopic]) -> None:
    sandbox_entries = (
        "i深圳（沙盒版）",
        "深圳政务服务（沙盒）",
        "https://www.sz-sandbox.gov.cn",
    )
    for key, topic in guide.items():
        assert any(entry in topic.online for entry in sandbox_entries), key
        assert "元" in topic.fees or "不收" in topic.fees or "免" in topic.fees, key
    assert "20 元" in guide["id_card"].fees
    assert "120 元" in guide["passport"].fees
    assert "10 元" in guide["driving_license_renewal"].fees


def test_answers_are_compact_and_have_every_heading(
    guide: dict[str, GuideTopic],
) -> None:
    for key, topic in guide.items():
        answer = render_answer(topic)
        assert len(answer) <= service_guide.MAX_ANSWER_CHARS, (key, len(answer))
        for heading in HEADINGS:
            assert heading in answer, (key, heading)
        assert "1. " in answer, key
        # Rasa fills {slot} placeholders in response texts.
        assert "{" not in answer and "}" not in answer, key


def test_only_offices_of_the_city_doc_are_cited(
    guide: dict[str, GuideTopic], city_offices: tuple[set[str], set[str]]
) -> None:
    names, short_forms = city_offices
    assert len(names) == 14, names
    known = sorted(names | short_forms, key=len, reverse=True)
    for key, topic in guide.items():
        assert set(topic.offices) <= names, (key, set(topic.offices) - names)
        residue = render_answer(topic)
        for name in known:
            residue = residue.replace(name, "＃")
        stray = [word for word in OFFICE_WORDS if word in residue]
        assert not stray, (key, stray, residue)


def test_committed_domain_file_equals_fresh_render(
    guide: dict[str, GuideTopic],
) -> None:
    assert DOMAIN_PATH.read_text(encoding="utf-8") == render_domain(guide), (
        "bot/domain/service_guide.yml is stale: run "
        "`python -m bot.service_guide render`"
    )


def test_domain_file_is_a_rasa_domain_with_one_response_per_topic(
    guide: dict[str, GuideTopic],
) -> None:
    domain = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
    assert domain["version"] == "3.1"
    assert list(domain["responses"]) == [f"utter_faq/{key}" for key in CONTRACT_TOPICS]
    for key, topic in guide.items():
        assert domain["responses"][f"utter_faq/{key}"] == [
            {"text": render_answer(topic)}
        ]


def test_faq_training_data_has_exactly_the_guide_topics(
    guide: dict[str, GuideTopic],
) -> None:
    nlu = yaml.safe_load(FAQ_NLU_PATH.read_text(encoding="utf-8"))
    intents = [block["intent"] for block in nlu["nlu"] if "intent" in block]
    assert sorted(intents) == sorted(f"faq/{key}" for key in guide)


def test_parse_guide_rejects_a_missing_field() -> None:
    topic = _minimal_topic()
    del topic["fees"]
    with pytest.raises(GuideError, match="fees"):
        parse_guide({"city": "深圳市（沙盒）", "topics": {"x": topic}})


def test_parse_guide_rejects_an_unknown_field() -> None:
    topic = {**_minimal_topic(), "feez": "10 元"}
    with pytest.raises(GuideError, match="feez"):
        parse_guide({"city": "深圳市（沙盒）", "topics": {"x": topic}})


def test_parse_guide_requires_materials_or_cases() -> None:
    topic = _minimal_topic()
    del topic["materials"]
    with pytest.raises(GuideError, match="materials"):
        parse_guide({"city": "深圳市（沙盒）", "topics": {"x": topic}})
    topic["cases"] = [{"name": "补领", "materials": ["户口簿"]}]
    parsed = parse_guide({"city": "深圳市（沙盒）", "topics": {"x": topic}})
    assert "补领：户口簿" in render_answer(parsed["x"])


def test_cli_check_detects_a_stale_file_and_render_fixes_it(tmp_path: Path) -> None:
    out = tmp_path / "service_guide.yml"
    out.write_text('version: "3.1"\nresponses: {}\n', encoding="utf-8")
    args = ["--guide", str(GUIDE_PATH), "--out", str(out)]
    assert service_guide.main(["check", *args]) == 1
    assert service_guide.main(["render", *args]) == 0
    assert service_guide.main(["check", *args]) == 0
    assert out.read_text(encoding="utf-8") == DOMAIN_PATH.read_text(encoding="utf-8")


def test_rendered_answer_lists_steps_in_order(guide: dict[str, GuideTopic]) -> None:
    topic = guide["passport"]
    answer = render_answer(topic)
    positions = [answer.index(f"{n}. {step}") for n, step in enumerate(topic.steps, 1)]
    assert positions == sorted(positions)
    assert re.search(r"【办理地点】\n市公安局出入境办证大厅（沙盒）", answer)
