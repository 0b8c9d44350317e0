"""Reference data of the sandbox city, as fixed in docs/sandbox-city.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    """An administrative district (区) and its streets (街道)."""

    name: str
    short: str
    streets: tuple[str, ...]


@dataclass(frozen=True)
class Office:
    """A service hall or vehicle office in the directory."""

    id: str
    kind: str
    name: str
    short_names: tuple[str, ...]
    district: str
    address: str
    phone: str
    hours: str


@dataclass(frozen=True)
class ExamSite:
    """A driving-test site and the subjects it examines."""

    name: str
    short_names: tuple[str, ...]
    district: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class Station:
    """A motor-vehicle inspection station."""

    id: str
    name: str
    district: str
    address: str


def _streets(text: str) -> tuple[str, ...]:
    return tuple(text.split("、"))


DISTRICTS: tuple[District, ...] = (
    District(
        "福田区",
        "福田",
        _streets(
            "园岭街道、南园街道、福田街道、沙头街道、香蜜湖街道、梅林街道、莲花街道、华富街道、福保街道、华强北街道"
        ),
    ),
    District(
        "罗湖区",
        "罗湖",
        _streets(
            "桂园街道、黄贝街道、东门街道、翠竹街道、东晓街道、南湖街道、笋岗街道、东湖街道、莲塘街道、清水河街道"
        ),
    ),
    District(
        "南山区",
        "南山",
        _streets(
            "南头街道、南山街道、沙河街道、蛇口街道、招商街道、粤海街道、桃源街道、西丽街道"
        ),
    ),
    District("盐田区", "盐田", _streets("梅沙街道、盐田街道、沙头角街道、海山街道")),
    District(
        "宝安区",
        "宝安",
        _streets(
            "新安街道、西乡街道、航城街道、福永街道、福海街道、沙井街道、新桥街道、松岗街道、燕罗街道、石岩街道"
        ),
    ),
    District(
        "龙岗区",
        "龙岗",
        _streets(
            "平湖街道、布吉街道、吉华街道、坂田街道、南湾街道、横岗街道、园山街道、龙城街道、龙岗街道、坪地街道、宝龙街道"
        ),
    ),
    District(
        "龙华区",
        "龙华",
        _streets("观湖街道、民治街道、龙华街道、大浪街道、福城街道、观澜街道"),
    ),
    District(
        "坪山区",
        "坪山",
        _streets("坪山街道、马峦街道、碧岭街道、石井街道、坑梓街道、龙田街道"),
    ),
    District(
        "光明区",
        "光明",
        _streets("光明街道、公明街道、新湖街道、凤凰街道、玉塘街道、马田街道"),
    ),
    District("大鹏新区", "大鹏", _streets("葵涌街道、大鹏街道、南澳街道")),
)

OFFICE_KINDS = (
    "dmv",
    "service_centre",
    "exit_entry",
    "housing_fund",
    "social_insurance",
)

_DMV_WEEK = "周一至周五 9:00–12:00、14:00–17:30"
_HALL_WEEK = "周一至周五 9:00–12:00、14:00–18:00"

OFFICES: tuple[Office, ...] = (
    Office(
        "dmv-main",
        "dmv",
        "深圳市车管所（沙盒）本部",
        ("车管所", "市车管所"),
        "福田区",
        "福田区北环大道 1001 号",
        "0755-8600 1001",
        "周一至周五 9:00–12:00、14:00–18:00；周六 9:00–12:00",
    ),
    Office(
        "dmv-nanshan",
        "dmv",
        "南山车管分所",
        ("南山车管所",),
        "南山区",
        "南山区沙河西路 2002 号",
        "0755-8600 1002",
        _DMV_WEEK,
    ),
    Office(
        "dmv-baoan",
        "dmv",
        "宝安车管分所",
        ("宝安车管所",),
        "宝安区",
        "宝安区新安六路 3003 号",
        "0755-8600 1003",
        "周一至周六 9:00–12:00、14:00–17:30",
    ),
    Office(
        "dmv-longgang",
        "dmv",
        "龙岗车管分所",
        ("龙岗车管所",),
        "龙岗区",
        "龙岗区龙翔大道 4004 号",
        "0755-8600 1004",
        _DMV_WEEK,
    ),
    Office(
        "svc-city",
        "service_centre",
        "深圳市民中心政务服务大厅（沙盒）",
        ("市民中心", "市政务服务大厅"),
        "福田区",
        "福田区福中三路 5005 号",
        "0755-8600 2001",
        "周一至周五 9:00–18:00（午间不休）；周六 9:00–12:00",
    ),
    Office(
        "svc-futian",
        "service_centre",
        "福田区政务服务中心",
        ("福田政务大厅",),
        "福田区",
        "福田区福民路 5101 号",
        "0755-8600 2002",
        _HALL_WEEK,
    ),
    Office(
        "svc-luohu",
        "service_centre",
        "罗湖区政务服务中心",
        ("罗湖政务大厅",),
        "罗湖区",
        "罗湖区文锦中路 5202 号",
        "0755-8600 2003",
        _HALL_WEEK,
    ),
    Office(
        "svc-nanshan",
        "service_centre",
        "南山区政务服务中心",
        ("南山政务大厅",),
        "南山区",
        "南山区南海大道 5303 号",
        "0755-8600 2004",
        "周一至周五 9:00–18:00；周六 9:00–12:00",
    ),
    Office(
        "svc-baoan",
        "service_centre",
        "宝安区政务服务中心",
        ("宝安政务大厅",),
        "宝安区",
        "宝安区创业一路 5404 号",
        "0755-8600 2005",
        _HALL_WEEK,
    ),
    Office(
        "svc-longgang",
        "service_centre",
        "龙岗区政务服务中心",
        ("龙岗政务大厅",),
        "龙岗区",
        "龙岗区龙城大道 5505 号",
        "0755-8600 2006",
        _HALL_WEEK,
    ),
    Office(
        "svc-longhua",
        "service_centre",
        "龙华区政务服务中心",
        ("龙华政务大厅",),
        "龙华区",
        "龙华区人民路 5606 号",
        "0755-8600 2007",
        _HALL_WEEK,
    ),
    Office(
        "exit-entry",
        "exit_entry",
        "市公安局出入境办证大厅（沙盒）",
        ("出入境大厅",),
        "福田区",
        "福田区解放路 6001 号",
        "0755-8600 3001",
        "周一至周日 9:00–18:00",
    ),
    Office(
        "fund-centre",
        "housing_fund",
        "市住房公积金管理中心服务大厅（沙盒）",
        ("公积金中心",),
        "福田区",
        "福田区深南中路 7001 号",
        "0755-8600 4001",
        "周一至周五 9:00–12:00、14:00–17:30",
    ),
    Office(
        "social-insurance",
        "social_insurance",
        "市社会保险基金管理局服务大厅（沙盒）",
        ("社保局", "社保大厅"),
        "福田区",
        "福田区八卦路 7101 号",
        "0755-8600 4002",
        "周一至周五 9:00–12:00、14:00–17:30",
    ),
)

EXAM_SITES: tuple[ExamSite, ...] = (
    ExamSite("第一考场", ("一考场", "市第一考场"), "福田区", ("科目一", "科目四")),
    ExamSite("南山考场", ("南山科目二考场",), "南山区", ("科目二", "科目三")),
    ExamSite("宝安考场", ("宝安西乡考场",), "宝安区", ("科目二", "科目三")),
    ExamSite("龙岗考场", ("龙岗坂田考场",), "龙岗区", ("科目二", "科目三")),
    ExamSite("坪山考场", ("坪山科目三考场",), "坪山区", ("科目三",)),
    ExamSite("光明考场", ("光明公明考场",), "光明区", ("科目一", "科目二")),
)

STATIONS: tuple[Station, ...] = (
    Station(
        "insp-futian", "福田机动车检测站（沙盒）", "福田区", "福田区泰然九路 8001 号"
    ),
    Station(
        "insp-nanshan", "南山机动车检测站（沙盒）", "南山区", "南山区北环大道 8002 号"
    ),
    Station(
        "insp-baoan", "宝安机动车检测站（沙盒）", "宝安区", "宝安区宝安大道 8003 号"
    ),
    Station(
        "insp-longgang", "龙岗机动车检测站（沙盒）", "龙岗区", "龙岗区宝荷路 8004 号"
    ),
    Station(
        "insp-longhua", "龙华机动车检测站（沙盒）", "龙华区", "龙华区梅龙大道 8005 号"
    ),
)

# City departments of the 12345 hotline; the last entry of the city doc
# ("各区政府") becomes one department per district, see district_government().
DEPARTMENTS: tuple[str, ...] = (
    "市交通运输局",
    "市公安局交通警察支队",
    "市住房和建设局",
    "市生态环境局",
    "市城市管理和综合执法局",
    "市市场监督管理局",
    "市人力资源和社会保障局",
    "市卫生健康委员会",
    "市教育局",
)

LICENSE_CLASSES = ("C1", "C2", "C5", "C6", "B1", "B2", "A1", "A2", "A3", "D", "E", "F")

EXAM_SESSION_TIMES = {"morning": ("09:00", "11:30"), "afternoon": ("14:00", "16:30")}
STATION_SESSION_TIMES = {"morning": ("09:00", "12:00"), "afternoon": ("14:00", "17:00")}


def district_government(district: str) -> str:
    """Name the district government that takes hotline tickets no bureau owns."""
    if district == "大鹏新区":
        return "大鹏新区管理委员会"
    return f"{district}人民政府"
