"""Which department takes a hotline ticket: keywords first, else the district."""

from __future__ import annotations

from sandbox import city

# Keyword lists per city department (docs/sandbox-city.md); the department
# with the most hits wins, ties go to the earlier entry.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "市公安局交通警察支队": (
        "违章",
        "违停",
        "交警",
        "红绿灯",
        "信号灯",
        "闯红灯",
        "车管所",
        "驾驶证",
        "驾照",
        "号牌",
        "车牌",
        "超速",
        "堵车",
        "拥堵",
    ),
    "市交通运输局": (
        "公交",
        "地铁",
        "出租车",
        "的士",
        "网约车",
        "共享单车",
        "班车",
        "站台",
        "换乘",
        "线路",
    ),
    "市生态环境局": (
        "噪音",
        "噪声",
        "扰民",
        "污染",
        "排污",
        "异味",
        "臭味",
        "废气",
        "扬尘",
        "油烟",
        "污水",
    ),
    "市城市管理和综合执法局": (
        "占道",
        "城管",
        "垃圾",
        "路灯",
        "绿化",
        "广告牌",
        "摊贩",
        "乱摆",
        "井盖",
        "违建",
        "违章建筑",
    ),
    "市住房和建设局": (
        "物业",
        "装修",
        "房屋",
        "住房",
        "租房",
        "楼盘",
        "工地",
        "施工",
        "电梯",
        "房东",
    ),
    "市市场监督管理局": (
        "食品",
        "过期",
        "价格",
        "消费",
        "假冒",
        "商家",
        "退款",
        "餐馆",
        "饭店",
        "超市",
        "虚假宣传",
    ),
    "市人力资源和社会保障局": (
        "工资",
        "欠薪",
        "拖欠",
        "社保",
        "劳动合同",
        "加班",
        "辞退",
        "招聘",
    ),
    "市卫生健康委员会": ("医院", "医生", "看病", "诊所", "疫苗", "护士", "挂号"),
    "市教育局": ("学校", "学位", "老师", "教育", "培训机构", "幼儿园", "入学", "课外"),
}


def route_department(content: str, district: str) -> str:
    """Pick the department for a ticket about ``content`` in ``district``."""
    best, best_hits = "", 0
    for department in city.DEPARTMENTS:
        hits = sum(1 for word in KEYWORDS.get(department, ()) if word in content)
        if hits > best_hits:
            best, best_hits = department, hits
    return best or city.district_government(district)
