"""Labelling: validation with clear messages, optimistic concurrency, groups, history."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from review.logdb.audit import verify
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from review.queue.annotations import (
    decide,
    decide_group,
    get_annotation,
    revisions,
    transfer_spans,
)
from review.queue.errors import Conflict, InvalidLabel, ItemNotFound
from review.queue.labels import Label, Span
from review.queue.models import Decision
from review.queue.queue import QueueItem, open_groups
from review.queue.vocabulary import Vocabulary


async def _item(db: LogDatabase, fragment: str) -> QueueItem:
    async with db.read() as session:
        groups = await open_groups(session)
    return next(i for g in groups for i in g.items if fragment in i.text)


async def _problems(
    db: LogDatabase, vocabulary: Vocabulary, event_id: int, label: Label
) -> list[str]:
    with pytest.raises(InvalidLabel) as caught:
        await decide(
            db,
            event_id,
            label,
            reviewer="wang",
            expected_version=0,
            vocabulary=vocabulary,
        )
    return [p.code for p in caught.value.problems]


async def test_a_label_is_stored_with_author_time_and_version(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    item = await _item(city_db, "罚单")
    plate = Span(0, 7, "plate_number")
    done = await decide(
        city_db,
        item.event_id,
        Label.intent_label("pay_fine", [plate]),
        reviewer="wang",
        expected_version=0,
        vocabulary=vocabulary,
    )
    assert (done.decision, done.intent, done.version) == (Decision.LABEL, "pay_fine", 1)
    assert done.entities == (plate,)
    assert done.text == "粤B***45那个罚单咋弄"
    assert done.created_by == done.updated_by == "wang"
    async with city_db.read() as session:
        stored = await get_annotation(session, item.event_id)
    assert stored == done


@pytest.mark.parametrize(
    ("label", "codes"),
    [
        (Label.intent_label("query_weather"), ["unknown_intent"]),
        (Label.intent_label("faq/weather"), ["unknown_faq_topic"]),
        (Label.intent_label("faq"), ["unknown_faq_topic"]),
        (Label(Decision.LABEL, None), ["intent_missing"]),
        (Label(Decision.OUT_OF_SCOPE, "greet"), ["out_of_scope_intent"]),
        (Label(Decision.SKIP, "greet"), ["skip_with_label"]),
        (
            Label.intent_label("pay_fine", [Span(7, 9, "fine_amount")]),
            ["unknown_entity"],
        ),
        (Label.intent_label("pay_fine", [Span(10, 30, "district")]), ["span_outside"]),
        (Label.intent_label("pay_fine", [Span(3, 3, "district")]), ["span_outside"]),
        # The masked plate may only be a personal entity...
        (
            Label.intent_label("pay_fine", [Span(0, 7, "district")]),
            ["mask_not_personal"],
        ),
        # ...of its own kind, and whole.
        (
            Label.intent_label("pay_fine", [Span(0, 7, "id_number")]),
            ["mask_kind_mismatch"],
        ),
        (
            Label.intent_label("pay_fine", [Span(0, 4, "plate_number")]),
            ["span_cuts_mask"],
        ),
        (
            Label.intent_label(
                "pay_fine", [Span(0, 7, "plate_number"), Span(5, 9, "date")]
            ),
            ["span_cuts_mask", "spans_overlap"],
        ),
    ],
)
async def test_bad_labels_are_refused_with_every_problem_named(
    city_db: LogDatabase, vocabulary: Vocabulary, label: Label, codes: list[str]
) -> None:
    item = await _item(city_db, "罚单")
    assert sorted(await _problems(city_db, vocabulary, item.event_id, label)) == sorted(
        codes
    )
    async with city_db.read() as session:
        assert await get_annotation(session, item.event_id) is None


async def test_problem_messages_are_for_staff(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    item = await _item(city_db, "罚单")
    with pytest.raises(InvalidLabel) as caught:
        await decide(
            city_db,
            item.event_id,
            Label.intent_label("faq/weather", [Span(0, 7, "district")]),
            reviewer="wang",
            expected_version=0,
            vocabulary=vocabulary,
        )
    message = str(caught.value)
    assert "办事指南主题“faq/weather”不存在" in message and "hukou" in message
    assert "粤B***45" in message and "个人信息" in message


async def test_unknown_messages_and_missing_reviewers_are_refused(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    with pytest.raises(ItemNotFound, match="找不到消息 999999"):
        await decide(
            city_db,
            999999,
            Label.skip(),
            reviewer="wang",
            expected_version=0,
            vocabulary=vocabulary,
        )
    item = await _item(city_db, "罚单")
    with pytest.raises(InvalidLabel, match="标注人"):
        await decide(
            city_db,
            item.event_id,
            Label.skip(),
            reviewer=" ",
            expected_version=0,
            vocabulary=vocabulary,
        )


async def test_the_second_of_two_reviewers_gets_a_conflict_and_nothing_is_lost(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    item = await _item(city_db, "约个年审")
    first = await decide(
        city_db,
        item.event_id,
        Label.intent_label("book_inspection"),
        reviewer="wang",
        expected_version=0,
        vocabulary=vocabulary,
    )
    with pytest.raises(Conflict) as caught:
        await decide(
            city_db,
            item.event_id,
            Label.intent_label("book_exam"),
            reviewer="li",
            expected_version=0,
            vocabulary=vocabulary,
        )
    conflict = caught.value
    assert (conflict.expected_version, conflict.current_version) == (0, 1)
    assert conflict.decided_by == "wang"
    assert "wang" in str(conflict) and "book_inspection" in str(conflict)
    assert "未保存" in str(conflict)
    async with city_db.read() as session:
        assert await get_annotation(session, item.event_id) == first
    # Having seen version 1, li may change it; the history keeps both.
    second = await decide(
        city_db,
        item.event_id,
        Label.intent_label("book_exam"),
        reviewer="li",
        expected_version=1,
        vocabulary=vocabulary,
    )
    assert (second.version, second.created_by, second.updated_by) == (2, "wang", "li")
    async with city_db.read() as session:
        history = await revisions(session, item.event_id)
    assert [(r.version, r.intent, r.by) for r in history] == [
        (1, "book_inspection", "wang"),
        (2, "book_exam", "li"),
    ]


async def test_simultaneous_labels_one_wins_one_conflicts(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    item = await _item(city_db, "投诉窗口")
    results = await asyncio.gather(
        *(
            decide(
                city_db,
                item.event_id,
                Label.intent_label(intent),
                reviewer=who,
                expected_version=0,
                vocabulary=vocabulary,
            )
            for who, intent in (("wang", "file_complaint"), ("li", "give_suggestion"))
        ),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], Conflict)
    async with city_db.read() as session:
        stored = await get_annotation(session, item.event_id)
        history = await revisions(session, item.event_id)
    assert stored is not None and stored.intent == won[0].intent
    assert len(history) == 1


async def test_one_decision_labels_the_group_with_spans_carried_over(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    async with city_db.read() as session:
        group = (await open_groups(session))[0]
    leader = group.leader
    id_span = Span(1, 19, "id_number")
    assert leader.text[1:19].count("*") == 10
    result = await decide_group(
        city_db,
        leader.event_id,
        [i.event_id for i in group.items],
        Label.intent_label("query_license_points", [id_span]),
        reviewer="wang",
        vocabulary=vocabulary,
        audited=True,
    )
    assert result.left == ()
    assert len(result.decided) == len(group.items) == 4
    for done in result.decided:
        (span,) = done.entities
        assert span.entity == "id_number"
        masked = done.text[span.start : span.end]
        assert masked.count("*") == 10 and len(masked) == 18, done.text
    async with city_db.read() as session:
        remaining = await open_groups(session)
        entries = list(await session.scalars(select(AuditEntry)))
        chain = await verify(session)
    assert all(g.id != group.id for g in remaining)
    assert [e.action for e in entries] == ["queue.label"]
    assert entries[0].actor == "wang" and chain.ok


async def test_a_group_decision_conflicts_as_a_whole(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    async with city_db.read() as session:
        group = (await open_groups(session))[0]
    taken = group.items[-1]
    await decide(
        city_db,
        taken.event_id,
        Label.skip(),
        reviewer="li",
        expected_version=0,
        vocabulary=vocabulary,
    )
    with pytest.raises(Conflict, match="li"):
        await decide_group(
            city_db,
            group.leader.event_id,
            [i.event_id for i in group.items],
            Label.intent_label("query_license_points"),
            reviewer="wang",
            vocabulary=vocabulary,
        )
    async with city_db.read() as session:
        untouched = [
            await get_annotation(session, i.event_id) for i in group.items[:-1]
        ]
    assert untouched == [None] * (len(group.items) - 1)


def test_spans_move_to_the_same_words_or_masked_value_or_not_at_all() -> None:
    leader = "我在南山区 粤B***45 南山区"
    spans = [
        Span(2, 5, "district"),
        Span(6, 13, "plate_number"),
        Span(14, 17, "district"),
    ]
    moved = transfer_spans(leader, spans, "我在南山區  粵A***12 南山區")
    assert moved == (
        Span(2, 5, "district"),
        Span(7, 14, "plate_number"),
        Span(15, 18, "district"),
    )
    assert transfer_spans(leader, spans, "我在福田区 粤B***45") is None
    assert transfer_spans(leader, spans, leader) == tuple(spans)
