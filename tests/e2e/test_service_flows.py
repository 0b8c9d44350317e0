"""Violations, licence, inspection, hotline and office errands end to end."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Admin, Citizen
from tests.e2e.stack import TOKEN, Stack, http

pytestmark = pytest.mark.e2e


def test_violations_then_pay_a_fine(citizen: Citizen, admin: Admin) -> None:
    ask = citizen.text(citizen.say("帮我查下粤B12345的违章"))
    assert "后6位" in ask, ask
    replies = citizen.say("发动机号后六位123456")
    listing = citizen.text(replies)
    assert "2条" in listing and "4403052600000011" in listing, listing
    pay = [b for b in citizen.buttons(replies) if b["payload"].startswith("/pay_fine")]
    assert len(pay) == 2
    confirm = citizen.text(citizen.say(pay[0]["payload"]))
    assert "确认缴纳" in confirm and "罚款200元" in confirm, confirm
    created = citizen.say("确认")
    links = [link for r in created for link in (r.get("custom") or {}).get("links", [])]
    assert "缴款订单已生成" in citizen.text(created) and len(links) == 1
    status, _ = http("POST", links[0]["url"])
    assert status == 200
    payments = admin.get("/sandbox/v1/payments")["payments"]
    assert [p["status"] for p in payments] == ["paid"]


def test_wrong_engine_suffix_is_asked_again(citizen: Citizen, admin: Admin) -> None:
    citizen.say("查违章 粤B12345")
    text = citizen.text(citizen.say("654321"))
    assert "不一致" in text and "后6位" in text, text
    assert "2条" in citizen.text(citizen.say("100001"))  # the VIN's suffix works too


def test_paying_an_already_paid_fine_is_refused_politely(
    citizen: Citizen, admin: Admin
) -> None:
    citizen.say("缴纳罚款 决定书编号4403042600000013")
    text = citizen.text(citizen.say("确认"))
    assert "已经缴纳过了" in text, text
    assert admin.get("/sandbox/v1/payments")["payments"] == []


def test_license_points_are_told_with_masked_identity(
    citizen: Citizen, admin: Admin
) -> None:
    text = citizen.text(citizen.say("我驾照还剩几分 44030519900101123X"))
    assert "暂扣" in text and "4403**********123X" in text, text
    assert "44030519900101123X" not in text and "李婉清" not in text


def test_inspection_status_and_booking(citizen: Citizen, admin: Admin) -> None:
    status = citizen.text(citizen.say("粤B6A7C8年审到期没有"))
    assert "逾期" in status, status
    citizen.say("帮我预约年检 粤B6A7C8")
    ask_day = citizen.text(citizen.say("龙华"))
    assert "哪一天" in ask_day, ask_day
    slots = admin.get("/traffic/v1/inspection-slots?station=insp-longhua")["slots"]
    pick = slots[3]
    day = pick["date"]
    period = "上午" if pick["period"] == "morning" else "下午"
    confirm = citizen.text(citizen.say(f"{int(day[5:7])}月{int(day[8:10])}日{period}"))
    assert "确认预约" in confirm and "龙华" in confirm, confirm
    assert "车检预约成功" in citizen.text(citizen.say("确认"))
    booked = admin.get("/sandbox/v1/inspection-bookings?status=booked")["bookings"]
    assert any(b["plate"] == "粤B6A7C8" and b["date"] == day for b in booked)


def test_complaint_filed_and_tracked(citizen: Citizen, admin: Admin) -> None:
    first = citizen.text(
        citizen.say("我要投诉南山区西丽街道有个工地半夜还在施工太吵了")
    )
    assert "手机号" in first, first  # content and district came with the message
    confirm = citizen.text(citizen.say("13912340000"))
    assert "确认提交" in confirm and "139****0000" in confirm, confirm
    filed = citizen.text(citizen.say("确认"))
    assert "工单号" in filed, filed
    tickets = [
        t
        for t in admin.get("/sandbox/v1/tickets")["tickets"]
        if t["phone"] == "13912340000"
    ]
    assert len(tickets) == 1 and tickets[0]["district"] == "南山区"
    ticket_id = tickets[0]["ticket_id"]
    track = Citizen(citizen.url.rsplit("/webhooks", 1)[0])
    progress = track.text(track.say(f"查一下工单{ticket_id}的进度 手机13912340000"))
    assert "已受理" in progress, progress


def test_ticket_of_another_phone_is_not_shown(citizen: Citizen, admin: Admin) -> None:
    seeded = admin.get("/sandbox/v1/tickets")["tickets"][0]
    text = citizen.text(
        citizen.say(f"帮我查一下工单{seeded['ticket_id']}的办理进度，手机号13500001111")
    )
    assert "不是用这个手机号" in text, text


def test_bad_rating_opens_a_follow_up_ticket(citizen: Citizen, admin: Admin) -> None:
    citizen.text(citizen.say("我驾照还剩几分 440304198503122318"))
    sorry = citizen.text(citizen.say("1分 非常不满意"))
    assert "没有让您满意" in sorry and "哪里做得不好" in sorry, sorry
    phone = citizen.text(citizen.say("查询结果看不懂 说明太简单了"))
    assert "手机号" in phone, phone
    filed = citizen.text(citizen.say("13600002222"))
    assert "整改工单" in filed, filed
    ratings = admin.get("/sandbox/v1/ratings")["ratings"]
    assert [r["score"] for r in ratings] == [1]
    tickets = admin.get("/sandbox/v1/tickets")["tickets"]
    assert any(
        "好差评" in t["content"] and t["phone"] == "13600002222" for t in tickets
    )


def test_double_clicked_rating_is_stored_once(citizen: Citizen, admin: Admin) -> None:
    citizen.say("我驾照还剩几分 440304198503122318")
    citizen.say("5分 非常满意")
    citizen.say("5分 非常满意")
    assert len(admin.get("/sandbox/v1/ratings")["ratings"]) == 1


def test_office_hours(citizen: Citizen, admin: Admin) -> None:
    text = citizen.text(citizen.say("南山车管所几点下班"))
    assert "南山车管分所" in text and "17:30" in text, text


def test_handoff_pauses_the_bot_until_released(citizen: Citizen, stack: Stack) -> None:
    citizen.say("查驾照记分")
    assert "人工" in citizen.text(citizen.say("转人工"))
    assert citizen.say("在吗") == []  # staff answer now; the bot stays silent
    tracker_url = f"{stack.rasa.url}/conversations/{citizen.sender}/tracker"
    status, tracker = http("GET", f"{tracker_url}?token={TOKEN}")
    assert status == 200 and tracker["paused"] is True
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert texts[-2:] == ["转人工", "在吗"]  # the transcript staff will see
    # Releasing = resume + a listen marker, so the messages staff answered
    # during the pause are not treated as unanswered by the bot.
    release = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    status, _ = http("POST", f"{tracker_url}/events?token={TOKEN}", release)
    assert status == 200
    assert "您好" in citizen.text(citizen.say("你好"))


def test_unclear_message_gets_choices_before_giving_up(citizen: Citizen) -> None:
    replies = citizen.say("嗯嗯那个啥就是")
    text = citizen.text(replies)
    polite = ("您是想", "没有理解", "超出", "请问您想办理")
    assert any(p in text for p in polite), text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "😀😀😀",
        "？？？！！！",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "查" * 20000,
    ],
)
def test_bad_input_gets_a_polite_answer(citizen: Citizen, text: str) -> None:
    replies = citizen.say(text)
    assert all("Traceback" not in str(r) for r in replies)
    if text.strip():
        assert replies and all(r.get("text") or r.get("buttons") for r in replies)


def test_faq_topics_answer_from_the_guide(citizen: Citizen) -> None:
    text = citizen.text(citizen.say("护照过期了怎么换"))
    assert "护照" in text and "【所需材料】" in text, text


def test_suggestion_is_filed_as_a_suggestion(citizen: Citizen, admin: Admin) -> None:
    ask = citizen.text(citizen.say("我有个建议"))
    assert "具体说说" in ask, ask
    citizen.say("建议福田区香蜜湖街道多设几个共享单车停放点")
    confirm = citizen.text(citizen.say("手机13812345678"))
    assert "建议" in confirm and "确认提交" in confirm, confirm
    assert "工单号" in citizen.text(citizen.say("确认"))
    mine = [
        t
        for t in admin.get("/sandbox/v1/tickets")["tickets"]
        if t["phone"] == "13812345678"
    ]
    assert [t["type"] for t in mine] == ["suggestion"]


def test_unknown_plate_format_is_explained(citizen: Citizen) -> None:
    text = citizen.text(citizen.say("查违章 车牌粤BI2345"))
    assert "车牌" in text and ("不像是有效" in text or "请提供车牌" in text), text


def test_double_clicked_confirmation_books_once(citizen: Citizen, admin: Admin) -> None:
    citizen.say("帮我预约年检 粤B6A7C8 龙华")
    slots = admin.get("/traffic/v1/inspection-slots?station=insp-longhua")["slots"]
    day, period = slots[2]["date"], slots[2]["period"]
    citizen.say(
        f"{int(day[5:7])}月{int(day[8:10])}日{'上午' if period == 'morning' else '下午'}"
    )
    first = citizen.text(citizen.say("/affirm"))
    second = citizen.text(citizen.say("/affirm"))
    assert "车检预约成功" in first and "车检预约成功" not in second, second
    booked = admin.get("/sandbox/v1/inspection-bookings?status=booked")["bookings"]
    assert len([b for b in booked if b["plate"] == "粤B6A7C8"]) == 1


@pytest.mark.parametrize("mode", ["garbage", "hang"])
def test_broken_backend_answers_gets_a_plain_apology(
    citizen: Citizen, admin: Admin, mode: str
) -> None:
    admin.call("PUT", "/sandbox/v1/faults", {"mode": mode, "hang_s": 20})
    text = citizen.text(citizen.say("查驾照记分 440304198503122318"))
    assert "暂时无法连接" in text, text
    admin.call("PUT", "/sandbox/v1/faults", {"mode": "normal"})
    assert "剩余" in citizen.text(citizen.say("重试"))
