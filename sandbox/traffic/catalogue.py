"""Kinds of traffic violation and the places in the sandbox city they happen."""

from __future__ import annotations

from typing import NamedTuple


class ViolationKind(NamedTuple):
    """A violation behaviour with its standard penalty."""

    code: str
    description: str
    fine_fen: int
    points: int


VIOLATION_KINDS: dict[str, ViolationKind] = {
    "marking": ViolationKind("1345", "违反禁止标线指示", 20000, 1),
    "speed": ViolationKind("1352", "超速20%以下", 20000, 3),
    "parking": ViolationKind("1039", "机动车违反规定停放、临时停车", 20000, 0),
    "phone": ViolationKind("1223", "驾驶时拨打接听手持电话", 20000, 3),
    "lane": ViolationKind("1208", "不按导向车道行驶", 10000, 2),
    "red_light": ViolationKind("1625", "驾驶机动车违反道路交通信号灯通行", 20000, 6),
    "yield": ViolationKind(
        "1357", "行经人行横道未按规定减速、停车、避让行人", 20000, 3
    ),
    "belt": ViolationKind("6011", "驾驶时未按规定使用安全带", 5000, 1),
}

# Street-level places named in docs/sandbox-city.md only.
LOCATIONS: tuple[str, ...] = (
    "福田区华强北街道华强北路段",
    "福田区沙头街道车公庙路口",
    "福田区莲花街道路段",
    "南山区粤海街道科技园路段",
    "南山区粤海街道后海路口",
    "南山区南山街道前海路段",
    "南山区蛇口街道深圳湾路段",
    "宝安区新安街道宝安中心路口",
    "宝安区西乡街道路段",
    "龙华区龙华街道龙华汽车站路口",
    "龙岗区坂田街道路段",
    "龙岗区布吉街道路口",
    "罗湖区东门街道路段",
)
