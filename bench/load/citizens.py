"""Scripts of simulated citizens: the errands of README "What a citizen can get done".

Each builder draws one conversation from the shared world (a free seat, a
fresh ID, a registered vehicle, a known ticket) and words it one of several
ways, as different people would. The markers a turn expects are taken from
the domain responses, so a reply that is lost, late, duplicated or meant for
someone else does not pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from bench.load.identities import mask_id, mask_phone
from bench.load.script import Effect, Errand, Grab, GrabButton, GrabLink, Script, Turn
from bench.load.world import TicketRef, World

PERIODS = {"morning": "上午", "afternoon": "下午"}
SHORT_SUBJECTS = {
    "科目一": "科一",
    "科目二": "科二",
    "科目三": "科三",
    "科目四": "科四",
}
SITE_SHORT_FORMS = {
    "第一考场": ("第一考场", "一考场", "市第一考场"),
    "南山考场": ("南山考场", "南山科目二考场"),
    "宝安考场": ("宝安考场", "宝安西乡考场"),
    "龙岗考场": ("龙岗考场", "龙岗坂田考场"),
    "坪山考场": ("坪山考场", "坪山科目三考场"),
    "光明考场": ("光明考场", "光明公明考场"),
}
CLASS_WORDS = {"C1": ("C1", "小车", "手动挡"), "C2": ("C2", "自动挡")}
CONFIRMS = ("确认", "对的", "没问题，确认", "好的 确认")
RATINGS = {"5": "5分 非常满意", "4": "4分 满意"}
RATED = "感谢您的评价（{score}分）"

# The seeded driving licences (docs/sandbox-api.md): read-only, shared by all.
SEEDED_LICENCE_IDS = (
    "440304198503122318",
    "44030519900101123X",
    "440306199207154021",
    "440307197809205612",
    "440303198811110064",
    "440308200002293018",
    "440304199506067822",
    "440305198304181530",
    "440306197001012248",
    "440307200108304954",
)

# Service-guide questions in citizens' words, with the title their answer opens with.
FAQ_QUESTIONS = (
    ("我在深圳上班半年了，想办居住证要准备什么", "居住证申领与签注"),
    ("护照过期了怎么换", "普通护照申领、换发与补发"),
    ("身份证丢了要怎么补办", "居民身份证首次申领、换领、补领与临时身份证"),
    ("租房的话公积金怎么提取", "住房公积金缴存、提取与贷款"),
    ("回老家看病，医保异地备案怎么弄", "医保参保、报销与异地就医备案"),
    ("开个体户的营业执照怎么办理", "营业执照、个体工商户与多证合一登记"),
    ("驾照快到期了，换证要带什么", "驾驶证期满换证、补证、损毁换证与审验"),
    ("孩子刚出生，怎么上户口", "户口迁移、落户与新生儿入户"),
)
OFFICE_QUESTIONS = (
    ("南山车管所几点下班", ("南山车管分所", "17:30")),
    ("宝安车管所地址在哪里", ("宝安车管分所", "新安六路")),
    ("公积金中心周六上班吗", ("市住房公积金管理中心服务大厅（沙盒）",)),
)
GREETING = ("你好", "您好！我是政务服务智能助手")
THANKS = ("好的谢谢", "不客气")

# Complaints whose wording names the district, so the form next asks for a phone.
COMPLAINTS = (
    ("我要投诉南山区西丽街道有个工地半夜还在施工太吵了", "南山区"),
    ("投诉一下，宝安区西乡街道那边的路灯坏了一个多月了，晚上很黑", "宝安区"),
    ("我要反映龙岗区坂田街道有家餐馆卖过期食品", "龙岗区"),
    ("福田区华强北街道路边长期有车违停占道，我要投诉", "福田区"),
    ("罗湖区东门街道的垃圾好几天没人清运了，味道很大，我要投诉", "罗湖区"),
)
SUGGESTIONS = (
    ("建议福田区香蜜湖街道多设几个共享单车停放点", "福田区"),
    ("建议在龙华区民治街道的公交站加装遮雨棚", "龙华区"),
)
PHONE_WORDINGS = ("{phone}", "手机{phone}", "我的电话是{phone}")


def spoken_date(iso: str) -> str:
    """``2026-12-02`` → ``12月2日``, as a citizen writes it."""
    day = date.fromisoformat(iso)
    return f"{day.month}月{day.day}日"


def _rating_turn(rng: random.Random) -> tuple[tuple[Turn, ...], dict[str, str]]:
    """Half of the citizens answer the 1-5 rating that follows a completed task."""
    if rng.random() < 0.5:
        return (), {}
    score = rng.choice(sorted(RATINGS))
    turn = Turn(RATINGS[score], (RATED.format(score=score),), effect=Effect.RATING)
    return (turn,), {"score": score}


def booking(world: World, rng: random.Random) -> Script | None:
    """Book a driving-test seat, in one message or answering the form step by step."""
    session = world.sessions.claim(rng)
    if session is None:
        return None
    learner = world.next_learner()
    licence_class = rng.choice(sorted(CLASS_WORDS))
    facts = {
        "id_number": learner,
        "subject": session.subject,
        "site": session.site,
        "date": session.date,
        "period": session.period,
    }
    when = f"{spoken_date(session.date)}{PERIODS[session.period]}"
    confirm = Turn(
        rng.choice(CONFIRMS),
        ("预约成功！", session.subject),
        capture=(Grab("booking_code", r"预约号：(KS\d{8})"),),
        effect=Effect.BOOKING,
    )
    asked = ("确认预约", mask_id(learner), session.subject, session.site)
    if rng.random() < 0.6:
        variant = "one_message"
        first = rng.choice(
            (
                "我要预约{subject} {cls} {when} {site} 身份证{id}",
                "你好，想约{when}{site}的{subject}，{cls}，身份证号{id}",
                "帮我预约驾考{subject}，{when}，{site}，{cls}，我的身份证是{id}",
            )
        )
        turns: tuple[Turn, ...] = (
            Turn(
                first.format(
                    subject=session.subject,
                    cls=licence_class,
                    when=when,
                    site=session.site,
                    id=learner,
                ),
                asked,
            ),
            confirm,
        )
    else:
        variant = "step_by_step"
        turns = (
            Turn(rng.choice(("我想约个考试", "我要预约驾照考试")), ("哪个科目",)),
            Turn(
                f"{SHORT_SUBJECTS[session.subject]} "
                f"{rng.choice(CLASS_WORDS[licence_class])} {when}",
                ("考场",),
            ),
            Turn(rng.choice(SITE_SHORT_FORMS[session.site]), ("身份证",)),
            Turn(learner, asked),
            confirm,
        )
    rating, rated = _rating_turn(rng)
    return Script(Errand.BOOKING, variant, turns + rating, facts | rated)


def violations(world: World, rng: random.Random) -> Script | None:
    """Look up a vehicle's violations, pay the first fine, open the pay page."""
    car = world.next_vehicle()
    if car is None:
        return None
    facts = {"plate": car.plate}
    turns = (
        Turn(
            rng.choice(
                (
                    "帮我查下{plate}的违章",
                    "查违章 {plate}",
                    "我的车{plate}最近有没有违章",
                )
            ).format(plate=car.plate),
            ("后6位",),
        ),
        Turn(
            rng.choice(("发动机号后六位{s}", "{s}", "后六位是{s}")).format(
                s=car.engine_suffix
            ),
            ("未缴款的交通违法记录",),
            capture=(GrabButton("pay_payload", "pay_fine"),),
        ),
        Turn(
            "{pay_payload}",
            ("确认缴纳", "处罚决定书"),
            capture=(Grab("decision", r"处罚决定书(\d{16})"),),
        ),
        Turn(
            rng.choice(CONFIRMS),
            ("缴款订单已生成",),
            capture=(Grab("order_id", r"(ZF\d{16})"), GrabLink("pay_url")),
            effect=Effect.PAYMENT,
            opens="pay_url",
        ),
    )
    rating, rated = _rating_turn(rng)
    return Script(Errand.VIOLATIONS, "pay_first", turns + rating, facts | rated)


def licence(world: World, rng: random.Random) -> Script:
    """Ask how many points are left on a (seeded) driving licence."""
    id_number = rng.choice(world.licence_ids)
    answer = ("剩余", mask_id(id_number))
    if rng.random() < 0.6:
        variant = "one_message"
        wording = rng.choice(("我驾照还剩几分 {id}", "帮我查下驾驶证记分，身份证{id}"))
        turns: tuple[Turn, ...] = (Turn(wording.format(id=id_number), answer),)
    else:
        variant = "asked_for_id"
        turns = (
            Turn(rng.choice(("查一下驾照扣了多少分", "我想查驾照记分")), ("身份证",)),
            Turn(id_number, answer),
        )
    rating, rated = _rating_turn(rng)
    return Script(
        Errand.LICENCE, variant, turns + rating, {"id_number": id_number} | rated
    )


def faq(world: World, rng: random.Random) -> Script:
    """A greeting, a service-guide or office question, thanks."""
    if rng.random() < 0.7:
        question, title = rng.choice(FAQ_QUESTIONS)
        variant, ask = "guide", Turn(question, (title, "【所需材料】"))
    else:
        question, markers = rng.choice(OFFICE_QUESTIONS)
        variant, ask = "office", Turn(question, markers)
    turns = [ask]
    if rng.random() < 0.5:
        turns.insert(0, Turn(GREETING[0], (GREETING[1],)))
    if rng.random() < 0.5:
        turns.append(Turn(THANKS[0], (THANKS[1],)))
    return Script(Errand.FAQ, variant, tuple(turns))


def complaint(world: World, rng: random.Random) -> Script:
    """File a complaint or a suggestion with the 12345 hotline."""
    phone = world.next_phone()
    if rng.random() < 0.75:
        content, district = rng.choice(COMPLAINTS)
        kind, variant = "complaint", "complaint"
        opening: tuple[Turn, ...] = (Turn(content, ("手机号",)),)
    else:
        content, district = rng.choice(SUGGESTIONS)
        kind, variant = "suggestion", "suggestion"
        opening = (
            Turn(rng.choice(("我有个建议", "我想提个建议")), ("具体说说",)),
            Turn(content, ("手机号",)),
        )
    turns = (
        *opening,
        Turn(
            rng.choice(PHONE_WORDINGS).format(phone=phone),
            ("确认提交", mask_phone(phone)),
        ),
        Turn(
            rng.choice(("确认", "确认提交", "对，提交吧")),
            ("工单号",),
            capture=(Grab("ticket_id", r"工单号：(GD\d{12})"),),
            effect=Effect.TICKET,
        ),
    )
    rating, rated = _rating_turn(rng)
    facts = {"phone": phone, "ticket_type": kind, "district": district}
    return Script(Errand.COMPLAINT, variant, turns + rating, facts | rated)


def ticket_status(world: World, rng: random.Random) -> Script | None:
    """Ask how a 12345 ticket is going, giving the phone it was filed from."""
    ticket = world.tickets.pick(rng)
    if ticket is None:
        return None
    answer = (f"工单{ticket.ticket_id}", "当前状态")
    if rng.random() < 0.6:
        variant = "one_message"
        turns: tuple[Turn, ...] = (
            Turn(
                rng.choice(
                    (
                        "查一下工单{t}的进度 手机{p}",
                        "帮我查下{t}办得怎么样了，手机号{p}",
                    )
                ).format(t=ticket.ticket_id, p=ticket.phone),
                answer,
            ),
        )
    else:
        variant = "asked_for_phone"
        turns = (
            Turn(f"帮我查下工单{ticket.ticket_id}", ("手机号码",)),
            Turn(ticket.phone, answer),
        )
    facts = {"ticket_id": ticket.ticket_id, "phone": ticket.phone}
    return Script(Errand.TICKET_STATUS, variant, turns, facts)


Builder = Callable[[World, random.Random], Script | None]

# Share of conversations per errand: bookings and lookups dominate a morning.
MIX: tuple[tuple[Builder, float], ...] = (
    (booking, 0.25),
    (violations, 0.15),
    (licence, 0.15),
    (faq, 0.20),
    (complaint, 0.15),
    (ticket_status, 0.10),
)


class CitizenMix:
    """Draws the next conversation: an errand by the mix, worded at random."""

    def __init__(
        self, world: World, mix: tuple[tuple[Builder, float], ...] = MIX
    ) -> None:
        """Use ``world`` for seats, identities, vehicles and tickets."""
        self.world = world
        self.mix = mix
        self.skipped: dict[str, int] = {}

    def next_script(self, rng: random.Random) -> Script:
        """The next conversation; an errand whose resources ran out gives way to faq."""
        builders = [builder for builder, _ in self.mix]
        weights = [weight for _, weight in self.mix]
        builder = rng.choices(builders, weights)[0]
        script = builder(self.world, rng)
        if script is None:
            self.skipped[builder.__name__] = self.skipped.get(builder.__name__, 0) + 1
            return faq(self.world, rng)
        return script

    def learn(self, script: Script, context: dict[str, str], completed: bool) -> None:
        """A filed ticket can be asked about by the citizens who come next."""
        if script.errand is Errand.COMPLAINT and "ticket_id" in context:
            self.world.tickets.add(
                TicketRef(context["ticket_id"], script.facts["phone"])
            )
