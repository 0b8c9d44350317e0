"""Export: Rasa NLU YAML with provenance, checksum-valid stand-ins, no duplicates, no eval."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from nlu.formats import canonical_plate, is_valid_phone, validate_id_number
from review.logdb.database import LogDatabase
from review.queue.annotations import decide, decide_group
from review.queue.export import HEADER, export_reviewed
from review.queue.labels import Label, Span
from review.queue.queue import QueueItem, open_groups
from review.queue.vocabulary import ROOT, Vocabulary

# GB 11643-1999 as the spec gives it (spec/channels-and-privacy.md §1.6),
# written out again here so the test does not trust the code under test.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
MARKUP = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")


def gb11643_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return (
        CHECK[sum(int(c) * w for c, w in zip(number[:17], WEIGHTS, strict=True)) % 11]
        == number[17]
    )


def test_the_spec_vectors_pass_the_test_checksum() -> None:
    for good in ("11010519491231002X", "440524188001010014", "44030519900101123X"):
        assert gb11643_ok(good)
    assert not gb11643_ok("440305199001011234")


async def _item(db: LogDatabase, fragment: str) -> QueueItem:
    async with db.read() as session:
        groups = await open_groups(session)
    return next(i for g in groups for i in g.items if fragment in i.text)


async def _label_city(db: LogDatabase, vocabulary: Vocabulary) -> None:
    async with db.read() as session:
        points = (await open_groups(session))[0]
    await decide_group(
        db,
        points.leader.event_id,
        [i.event_id for i in points.items],
        Label.intent_label("query_license_points", [Span(1, 19, "id_number")]),
        reviewer="wang",
        vocabulary=vocabulary,
    )
    fine = await _item(db, "罚单")
    await decide(
        db,
        fine.event_id,
        Label.intent_label("pay_fine", [Span(0, 7, "plate_number")]),
        reviewer="li",
        expected_version=0,
        vocabulary=vocabulary,
    )
    renewal = await _item(db, "本本")
    await decide(
        db,
        renewal.event_id,
        Label.intent_label("faq/driving_license_renewal"),
        reviewer="wang",
        expected_version=0,
        vocabulary=vocabulary,
    )
    complaint = await _item(db, "投诉窗口")
    await decide(
        db,
        complaint.event_id,
        Label.intent_label("file_complaint"),
        reviewer="li",
        expected_version=0,
        vocabulary=vocabulary,
    )
    handoff = await _item(db, "过户")
    await decide(
        db,
        handoff.event_id,
        Label.skip(),
        reviewer="li",
        expected_version=0,
        vocabulary=vocabulary,
    )


def _load(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["version"] == "3.1"
    (block,) = data["nlu"]
    return [{"intent": block["intent"], **e} for e in block["examples"]]


async def _export(
    db: LogDatabase, vocabulary: Vocabulary, out: Path, **kwargs: Any
) -> Any:
    async with db.read() as session:
        return await export_reviewed(session, vocabulary, out_dir=out, **kwargs)


async def test_export_writes_one_file_per_intent_with_provenance(
    city_db: LogDatabase, vocabulary: Vocabulary, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "reviewed"  # the log database lives in tmp_path
    await _label_city(city_db, vocabulary)
    report = await _export(city_db, vocabulary, tmp_path)
    assert report.files == {
        "query_license_points.yml": 1,
        "pay_fine.yml": 1,
        "faq.driving_license_renewal.yml": 1,
        "file_complaint.yml": 1,
    }
    # The group's four messages are one sentence once the IDs are set aside.
    assert [s.reason for s in report.skipped] == ["duplicate"] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(report.files)
    faq = _load(tmp_path / "faq.driving_license_renewal.yml")
    assert faq == [
        {
            "intent": "faq/driving_license_renewal",
            "text": "那个本本到期了咋整",
            "metadata": {
                "review": {
                    "annotation": faq[0]["metadata"]["review"]["annotation"],
                    "reviewer": "wang",
                    "date": faq[0]["metadata"]["review"]["date"],
                }
            },
        }
    ]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", faq[0]["metadata"]["review"]["date"])
    assert (tmp_path / "pay_fine.yml").read_text("utf-8").startswith(HEADER)


async def test_masked_values_become_valid_stand_ins_of_their_kind(
    city_db: LogDatabase, vocabulary: Vocabulary, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "reviewed"  # the log database lives in tmp_path
    await _label_city(city_db, vocabulary)
    await _export(city_db, vocabulary, tmp_path)
    everything = "".join(p.read_text("utf-8") for p in tmp_path.iterdir())
    assert "*" not in everything
    (points,) = _load(tmp_path / "query_license_points.yml")
    ((value, entity),) = MARKUP.findall(points["text"])
    assert entity == "id_number"
    assert gb11643_ok(value) and validate_id_number(value) is None, value
    assert points["text"] == f"查[{value}](id_number)的分"
    # No real number of the conversations survives.
    for real in ("44030519900101123X", "440305199001011213", "11010519491231002X"):
        assert real not in everything
    (fine,) = _load(tmp_path / "pay_fine.yml")
    ((plate, entity),) = MARKUP.findall(fine["text"])
    assert entity == "plate_number" and plate.startswith("粤B")
    assert canonical_plate(plate) == plate and plate != "粤B12345"
    assert fine["text"].endswith("那个罚单咋弄")


def test_unannotated_masked_phone_gets_a_valid_stand_in() -> None:
    import datetime as dt

    from review.queue.annotations import AnnotationView
    from review.queue.export import render
    from review.queue.models import Decision

    now = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    view = AnnotationView(
        7,
        70,
        "电话139****0000 粤B****45 张*",
        Decision.LABEL,
        "inform",
        (Span(2, 13, "phone_number"),),
        1,
        now,
        "wang",
        now,
        "wang",
    )
    example = render(view)
    phone = re.search(r"\[(\d+)\]\(phone_number\)", example.text)
    assert phone and is_valid_phone(phone.group(1)) and len(phone.group(1)) == 11
    plate = re.search(r" (粤B\w{6}) ", example.text)
    assert plate and canonical_plate(plate.group(1)) == plate.group(1)  # new energy
    assert re.search(r"张[\u4e00-\u9fff]$", example.text)
    assert render(view) == example  # deterministic per annotation


def test_id_stand_ins_are_checksum_valid_and_differ_per_annotation() -> None:
    import datetime as dt

    from review.queue.annotations import AnnotationView
    from review.queue.export import render
    from review.queue.models import Decision

    now = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    values = set()
    for n in range(1, 201):
        view = AnnotationView(
            n,
            n,
            "查4403**********123X的分",
            Decision.LABEL,
            "query_license_points",
            (Span(1, 19, "id_number"),),
            1,
            now,
            "wang",
            now,
            "wang",
        )
        ((value, _),) = MARKUP.findall(render(view).text)
        assert gb11643_ok(value) and validate_id_number(value) is None, value
        assert value.startswith("4403")
        values.add(value)
    assert len(values) == 200


async def test_re_export_is_identical_and_stale_files_go(
    city_db: LogDatabase, vocabulary: Vocabulary, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "reviewed"  # the log database lives in tmp_path
    await _label_city(city_db, vocabulary)
    await _export(city_db, vocabulary, tmp_path)
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "greet.yml").write_text(HEADER + "version: '3.1'\n", "utf-8")
    (tmp_path / "README.md").write_text("说明", "utf-8")
    report = await _export(city_db, vocabulary, tmp_path)
    assert report.removed == ["greet.yml"]
    again = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.suffix == ".yml"}
    assert again == first
    assert (tmp_path / "README.md").exists()


async def test_duplicates_held_out_and_conflicting_examples_are_skipped(
    city_db: LogDatabase, vocabulary: Vocabulary, tmp_path: Path
) -> None:
    await _label_city(city_db, vocabulary)
    training = tmp_path / "training"
    training.mkdir()
    (training / "old.yml").write_text(
        "version: '3.1'\nnlu:\n- intent: query_license_points\n  examples: |\n"
        "    - 查[440305199001011213](id_number)的分\n"
        "- intent: give_suggestion\n  examples: |\n    - 投訴窗口辦事太慢了！\n",
        "utf-8",
    )
    evaluation = tmp_path / "eval"
    evaluation.mkdir()
    (evaluation / "holdout.yml").write_text(
        "version: '3.1'\nnlu:\n- intent: pay_fine\n  examples: |\n"
        "    - [粤A54321](plate_number)那个罚单咋弄\n",
        "utf-8",
    )
    out = tmp_path / "reviewed"
    report = await _export(
        city_db, vocabulary, out, training_dirs=[training], eval_dir=evaluation
    )
    reasons = sorted(s.reason for s in report.skipped)
    # The ID question is in the training data (3 of 4 are the same sentence,
    # the full-width one differs only by "？"): all duplicates.
    assert reasons == [
        "conflict",
        "duplicate",
        "duplicate",
        "duplicate",
        "duplicate",
        "held_out",
    ]
    conflict = next(s for s in report.skipped if s.reason == "conflict")
    assert "give_suggestion" in conflict.detail
    assert report.files == {"faq.driving_license_renewal.yml": 1}


async def test_the_export_refuses_the_evaluation_folder(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    with pytest.raises(ValueError, match="evaluation"):
        await _export(city_db, vocabulary, ROOT / "eval" / "holdout")
    with pytest.raises(ValueError, match="evaluation"):
        await _export(city_db, vocabulary, ROOT / "eval" / "holdout" / "reviewed")
