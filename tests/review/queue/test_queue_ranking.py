"""The queue over a realistic log: what is queued, why, in which order, in which group."""

from __future__ import annotations

import re

from review.logdb.database import LogDatabase
from review.queue.annotations import decide
from review.queue.labels import Label
from review.queue.queue import QueueGroup, open_groups, queue_page
from review.queue.signals import Reason
from review.queue.vocabulary import Vocabulary


def _reasons(group: QueueGroup) -> set[Reason]:
    return {s.reason for i in group.items for s in i.signals}


def _by_text(groups: list[QueueGroup], fragment: str) -> QueueGroup:
    return next(g for g in groups if any(fragment in i.text for i in g.items))


async def test_every_kind_of_signal_is_queued_and_the_fine_talk_is_not(
    city_db: LogDatabase,
) -> None:
    async with city_db.read() as session:
        groups = await open_groups(session)
    texts = [i.text for g in groups for i in g.items]
    assert not any("车管所几点下班" in t or t == "谢谢" for t in texts)
    assert not any(t.startswith("/") for t in texts)  # pressed buttons
    reasons = set().union(*(_reasons(g) for g in groups))
    assert {
        Reason.NLU_FALLBACK,
        Reason.LOW_CONFIDENCE,
        Reason.CHOSE_OTHER,
        Reason.CONFIRMED_GUESS,
        Reason.REJECTED_GUESSES,
        Reason.REPHRASED,
        Reason.CORRECTED,
        Reason.BAD_RATING,
        Reason.HANDOFF,
    } <= reasons


async def test_items_carry_masked_text_prediction_entities_and_reasons(
    city_db: LogDatabase,
) -> None:
    async with city_db.read() as session:
        groups = await open_groups(session)
    choice = _by_text(groups, "罚单").leader
    assert choice.text == "粤B***45那个罚单咋弄"
    assert (choice.intent, choice.top_intent) == ("nlu_fallback", "query_inspection")
    assert choice.top_confidence == 0.45
    assert choice.suggested_intent == "pay_fine"
    assert [s.reason for s in choice.signals] == [
        Reason.NLU_FALLBACK,
        Reason.CHOSE_OTHER,
    ]
    assert choice.score == 6.0
    corrected = _by_text(groups, "约个年审").leader
    assert corrected.suggested_intent == "book_inspection"
    # faq predictions are read as the topic the response selector chose.
    rephrased = _by_text(groups, "本本").leader
    assert rephrased.suggested_intent == "faq/driving_license_renewal"
    handoff = _by_text(groups, "过户").leader
    assert handoff.top_intent == "faq/residence_permit"
    # Nothing raw: no 11+ digit run, no full plate anywhere in the queue.
    for text in (i.text for g in groups for i in g.items):
        assert not re.search(r"\d{11,}|粤B\d{5}", text), text


async def test_a_confident_reaction_is_not_blamed_for_the_bad_rating(
    city_db: LogDatabase,
) -> None:
    async with city_db.read() as session:
        groups = await open_groups(session)
    blamed = [
        i.text
        for g in groups
        for i in g.items
        if any(s.reason is Reason.BAD_RATING for s in i.signals)
    ]
    assert blamed == ["投诉窗口办事太慢了"]


async def test_similar_messages_with_different_ids_form_one_group_ranked_first(
    city_db: LogDatabase,
) -> None:
    async with city_db.read() as session:
        groups = await open_groups(session)
    top = groups[0]
    assert sorted(i.text for i in top.items) == sorted(
        [
            "查4403**********123X的分",
            "查4403**********1213的分",
            "查1101**********002X的分",
            "查４４０３**********１２１３的分？",  # full-width, punctuation
        ]
    )
    assert top.suggested_intent == "query_license_points"
    assert top.score == sum(i.score for i in top.items)
    scores = [g.score for g in groups]
    assert scores == sorted(scores, reverse=True)


async def test_decided_items_leave_the_queue_and_pages_cover_the_rest(
    city_db: LogDatabase, vocabulary: Vocabulary
) -> None:
    async with city_db.read() as session:
        before = await queue_page(session, page=1, page_size=2)
        second = await queue_page(session, page=2, page_size=2)
        last = await queue_page(session, page=before.pages, page_size=2)
    assert before.total_groups == 6 and before.pages == 3
    assert len(before.groups) == len(second.groups) == 2
    assert not {g.id for g in before.groups} & {g.id for g in second.groups}
    assert last.groups
    victim = before.groups[1].leader
    await decide(
        city_db,
        victim.event_id,
        Label.skip(),
        reviewer="wang",
        expected_version=0,
        vocabulary=vocabulary,
    )
    async with city_db.read() as session:
        after = await queue_page(session, page=1, page_size=50)
    ids = {i.event_id for g in after.groups for i in g.items}
    assert victim.event_id not in ids
    assert after.total_items == before.total_items - 1
