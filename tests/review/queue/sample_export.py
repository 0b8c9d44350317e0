"""Write a sample review export into a folder: the engine-env test loads it with Rasa.

``python -m tests.review.queue.sample_export OUT`` (app env): a migrated log
in a temporary folder, the test city's conversations, a few labels of every
shape (personal entities, a synonym value, faq/<topic>, out_of_scope), export.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from review.logdb.database import LogDatabase
from review.queue.annotations import decide, decide_group
from review.queue.export import export_reviewed
from review.queue.labels import Label, Span
from review.queue.queue import open_groups
from review.queue.vocabulary import load_vocabulary
from tests.review.queue.queue_world import Talk, city, store


async def build(out: Path) -> None:
    """Fill a log, label, export into ``out``."""
    vocabulary = load_vocabulary()
    with tempfile.TemporaryDirectory() as work:
        db = LogDatabase(f"sqlite:///{work}/log.db")
        await db.migrate()
        extra = Talk("web:extra")
        extra.user(
            "帮我看看南山那边明天上午能不能约年检 粤B6A7C8", "book_inspection", 0.52
        )
        extra.user("今天股市怎么样", "query_office", 0.31)
        await store(db, [*city(), extra])
        async with db.read() as session:
            groups = await open_groups(session)
        items = {i.text: i for g in groups for i in g.items}
        points = groups[0]
        await decide_group(
            db,
            points.leader.event_id,
            [i.event_id for i in points.items],
            Label.intent_label("query_license_points", [Span(1, 19, "id_number")]),
            reviewer="wang",
            vocabulary=vocabulary,
        )
        labels = {
            "粤B***45那个罚单咋弄": Label.intent_label(
                "pay_fine", [Span(0, 7, "plate_number")]
            ),
            "那个本本到期了咋整": Label.intent_label("faq/driving_license_renewal"),
            "今天股市怎么样": Label.out_of_scope(),
            "帮我看看南山那边明天上午能不能约年检 粤B***C8": Label.intent_label(
                "book_inspection",
                [
                    Span(4, 6, "district", "南山区"),
                    Span(8, 10, "date"),
                    Span(10, 12, "time_period"),
                    Span(19, 26, "plate_number"),
                ],
            ),
        }
        for text, label in labels.items():
            await decide(
                db,
                items[text].event_id,
                label,
                reviewer="li",
                expected_version=0,
                vocabulary=vocabulary,
            )
        async with db.read() as session:
            report = await export_reviewed(session, vocabulary, out_dir=out)
        await db.dispose()
    print(report.files)


if __name__ == "__main__":
    asyncio.run(build(Path(sys.argv[1])))
