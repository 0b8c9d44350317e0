"""The seed fixtures (documented in docs/sandbox-api.md): vehicles, licences, tickets."""

from __future__ import annotations

from typing import NamedTuple

from sandbox.statuses import Period, Subject, TicketStatus


class VehicleSeed(NamedTuple):
    """A seeded vehicle; dates are relative to the seed day."""

    plate: str
    plate_type: str
    vehicle_type: str
    brand: str
    owner: str
    engine_number: str
    vin: str
    inspection_due_in: int
    # (decision number, violation kind, days ago, paid)
    violations: tuple[tuple[str, str, int, bool], ...]


class LicenseSeed(NamedTuple):
    """A seeded driving licence; dates are relative to the seed day."""

    id_number: str
    name: str
    license_class: str
    suspended: bool
    points_used: int
    first_issue_days_ago: int
    valid_until_in: int


class ExamBookingSeed(NamedTuple):
    """A seeded exam booking on the n-th working day (Mon–Fri) after the seed day."""

    code: str
    id_number: str
    subject: Subject
    site: str
    weekday_index: int
    period: Period
    live: bool


class TicketSeed(NamedTuple):
    """A seeded hotline ticket; it keeps its status (no simulated progress)."""

    days_ago: int
    hhmm: str
    sequence: int
    type: str
    district: str
    phone: str
    department: str
    status: TicketStatus
    content: str


_SMALL, _NEV, _CAR = "小型汽车", "小型新能源汽车", "小型普通客车"

# fmt: off
VEHICLES: tuple[VehicleSeed, ...] = (
    VehicleSeed("粤B12345", _SMALL, _CAR, "丰田卡罗拉", "李明", "4A91123456", "LFMAP22C0J0100001", 200,
                (("4403052600000011", "marking", 10, False), ("4403052600000012", "speed", 25, False),
                 ("4403042600000013", "parking", 90, True))),
    VehicleSeed("粤BD12345", _NEV, _CAR, "比亚迪汉EV", "王芳", "TZ220XA8K92Z", "LGXCE4CB8N0200002", 400,
                (("4403052600000021", "phone", 5, False),)),
    VehicleSeed("川A8H2K9", _SMALL, _CAR, "吉利博越", "赵强", "JL4G18C73501", "LB37724S0KL300003", 120,
                (("4403062600000031", "lane", 3, False),)),
    VehicleSeed("粤B6A7C8", _SMALL, _CAR, "大众朗逸", "陈静", "EA211068204", "LSVAL4BR2HN400004", -20, ()),
    VehicleSeed("粤BF36912", _NEV, _CAR, "理想L7", "刘洋", "L2E15M725613", "LW433B124P1500005", 25, ()),
    VehicleSeed("京AD12345", _NEV, _CAR, "蔚来ES6", "孙丽", "TZ180XK3N7Q1", "LJ1EEASP8L4600006", 300,
                (("4403042600000061", "marking", 45, True),)),
    VehicleSeed("沪AF12345", _NEV, _CAR, "比亚迪宋PLUS DM-i", "周文", "BYD472QA5F2A", "LGXCE6CD3M0700007", 210,
                (("4403032600000071", "red_light", 12, False), ("4403052600000072", "belt", 40, False))),
    VehicleSeed("粤B55217D", "大型新能源汽车", "大型普通客车", "比亚迪K9纯电动客车", "深圳沙盒公交有限公司",
                "TYC2304B7721", "LC06S24R9K0800008", 150, (("4403072600000081", "yield", 7, False),)),
    VehicleSeed("粤S9X8Y7", _SMALL, _CAR, "本田雅阁", "黄海", "K24W5X3019", "LHGCV1650J8900009", 250, ()),
    VehicleSeed("湘A3B4C5", _SMALL, _CAR, "长安CS75", "吴建国", "JL476ZQCD209117", "LS5A3DKE1JA100010", 160,
                (("4403062600000101", "speed", 2, False), ("4403042600000102", "marking", 15, False),
                 ("4403032600000103", "parking", 33, False))),
    VehicleSeed("粤B2468学", "教练汽车", _CAR, "大众捷达", "深圳沙盒驾驶员培训中心", "CSR772215",
                "LFV2A21K8E3110011", 180, ()),
    VehicleSeed("浙A7M8N9", _SMALL, _CAR, "吉利星瑞", "郑丽", "JLH4G20TDB86Z4", "L6T7844Z5NN120012", 270,
                (("4403052600000121", "red_light", 20, False),)),
    VehicleSeed("粤BD55217", _NEV, _CAR, "特斯拉Model 3", "林晓", "TG1234567890", "LRW3E7EK4NC130013", 700,
                (("4403042600000131", "parking", 1, False), ("4403052600000132", "speed", 9, False),
                 ("4403072600000133", "phone", 28, False), ("4403062600000134", "lane", 60, True))),
    VehicleSeed("鄂A1C2D3", _SMALL, _CAR, "东风日产轩逸", "何平", "HR16DE663821", "LGBH52E08KY140014", 95, ()),
    VehicleSeed("粤B9Z8Y7", _SMALL, _CAR, "奥迪A4L", "高远", "DKW550071", "LFV3A28W0L3150015", 330,
                (("4403032600000151", "parking", 4, False),)),
)

LICENSES: tuple[LicenseSeed, ...] = (
    LicenseSeed("440304198503122318", "陈志远", "C1", False, 3, 4400, 1500),
    LicenseSeed("44030519900101123X", "李婉清", "C1", True, 12, 3000, 900),
    LicenseSeed("440306199207154021", "张晓梅", "C2", False, 0, 2600, -40),
    LicenseSeed("440307197809205612", "王建华", "B2", False, 6, 8000, 2000),
    LicenseSeed("440303198811110064", "刘思琪", "C2", False, 0, 1800, 400),
    LicenseSeed("440308200002293018", "赵一鸣", "C1", False, 1, 200, 1990),
    LicenseSeed("440304199506067822", "黄欣怡", "C1", False, 9, 2500, 60),
    LicenseSeed("440305198304181530", "周国栋", "A1", False, 2, 9000, 3000),
    LicenseSeed("440306197001012248", "吴秀兰", "C1", False, 0, 12000, 20 * 365),
    LicenseSeed("440307200108304954", "郑浩然", "D", False, 0, 500, 1700),
)

# Learners: no licence yet, but exam bookings.
LEARNER_A = "440305199812240036"
LEARNER_B = "440304199303035564"

EXAM_BOOKINGS: tuple[ExamBookingSeed, ...] = (
    ExamBookingSeed("KS20000001", LEARNER_A, Subject.ONE, "第一考场", 2, Period.MORNING, True),
    ExamBookingSeed("KS20000002", LEARNER_A, Subject.TWO, "南山考场", 4, Period.AFTERNOON, False),
    ExamBookingSeed("KS20000003", LEARNER_B, Subject.THREE, "宝安考场", 3, Period.MORNING, True),
)

# JC20000001: 粤BF36912 at 南山 station, third open day, morning.
INSPECTION_BOOKING = ("JC20000001", "粤BF36912", "insp-nanshan", 2, Period.MORNING, "13600001234")

TICKETS: tuple[TicketSeed, ...] = (
    TicketSeed(2, "09:15", 17, "complaint", "南山区", "13800138000", "市生态环境局", TicketStatus.IN_PROGRESS,
               "粤海街道科技园附近工地夜间施工噪音扰民，晚上十一点以后还在施工，希望尽快处理。"),
    TicketSeed(6, "14:02", 3, "suggestion", "福田区", "13912345678", "市交通运输局", TicketStatus.RESOLVED,
               "建议在华强北地铁站出口附近增加共享单车停放点，方便市民换乘。"),
    TicketSeed(1, "18:40", 42, "complaint", "宝安区", "13700001111", "市市场监督管理局", TicketStatus.RECEIVED,
               "西乡街道一家餐馆出售过期食品，吃完后肚子不舒服，要求查处。"),
)
# fmt: on
