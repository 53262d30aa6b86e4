"""Labels of the maps in English and Simplified Chinese.

Words follow the glossary in the design notes (街面警务站, 夜间巡控震慑点, 巡线, 盲区, ...).
Use :func:`strings` to get one language's table; a missing key is a bug, so it raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from geo.errors import InputError

__all__ = ["LANGS", "STRINGS", "strings"]

LANGS = ("en", "zh")

_EN: dict[str, str] = {
    "title_command": "Patrol plan: command-center map",
    "title_officer_line": "Patrol line {line_id}",
    "title_officer_point": "Control point {point_id}",
    "tiles_osm": "OpenStreetMap",
    "tiles_custom": "Base map",
    "road_band": "Road reached in {band}",
    "road_beyond": "Road beyond {minutes:g} min (blind)",
    "road_network": "Road network",
    "isochrones": "Response areas (isochrones)",
    "isochrone": "Within {minutes:g} min",
    "posts": "Street police posts",
    "blind_spots": "Blind spots (ranked)",
    "heat": "Incidents {slot}",
    "slot_layer": "Points and lines {slot}",
    "slot": "Slot",
    "all_slots": "whole night",
    "legend": "Legend",
    "summary": "Summary",
    "minutes": "min",
    "post": "Post",
    "name": "Name",
    "road_km_within": "Road km served first, {minutes:g} min",
    "incidents_within": "Incidents served first, {minutes:g} min",
    "rank": "Rank",
    "road_km": "Road km",
    "incidents": "Incidents",
    "incident_weight": "Incident weight",
    "control_point": "Night control point",
    "control_points": "Night control points",
    "covered_weight": "Incident weight covered",
    "patrol_line": "Patrol line",
    "patrol_lines": "Patrol lines",
    "line": "Line",
    "mode": "Mode",
    "length_km": "Length km",
    "duration_min": "Duration min",
    "demand_per_km": "Risk per km",
    "coverage": "Coverage",
    "road_share": "road",
    "incident_share": "incidents",
    "within": "within {minutes:g} min",
    "points_count": "Control points: {points} ({staffed} point-slots)",
    "lines_count": "Patrol lines: {lines} ({line_slots} line-slots)",
    "backtest": "Back-test on later incidents",
    "hit_rate": "hit rate {value:.0%}",
    "pai": "PAI {value:.2f}",
    "baseline": "{name}: hit rate {value:.0%}",
    "baseline_kde_grid": "hot-spot grid",
    "baseline_random": "random sites",
    "no_backtest": "no back-test in this plan",
    "start": "Start",
    "stop": "Stop {minutes} min",
    "stops": "Suggested stops",
    "turns": "Turn list",
    "hours": "Hours",
    "cover_m": "Cover radius {cover_m:g} m",
    "direction": "Direction of travel",
    "drive": "drive",
    "walk": "walk",
    "none": "none",
}

_ZH: dict[str, str] = {
    "title_command": "巡逻方案:指挥中心地图",
    "title_officer_line": "巡线 {line_id}",
    "title_officer_point": "巡控点 {point_id}",
    "tiles_osm": "OpenStreetMap 底图",
    "tiles_custom": "底图",
    "road_band": "{band}可达道路",
    "road_beyond": "超过 {minutes:g} 分钟的道路(盲区)",
    "road_network": "路网",
    "isochrones": "响应范围(等时圈)",
    "isochrone": "{minutes:g} 分钟内",
    "posts": "街面警务站",
    "blind_spots": "盲区(按风险排序)",
    "heat": "警情热力 {slot}",
    "slot_layer": "点位与巡线 {slot}",
    "slot": "时段",
    "all_slots": "整夜",
    "legend": "图例",
    "summary": "概况",
    "minutes": "分钟",
    "post": "警务站",
    "name": "名称",
    "road_km_within": "{minutes:g} 分钟内首先响应道路(公里)",
    "incidents_within": "{minutes:g} 分钟内首先响应警情(起)",
    "rank": "排名",
    "road_km": "道路(公里)",
    "incidents": "警情(起)",
    "incident_weight": "警情权重",
    "control_point": "夜间巡控震慑点",
    "control_points": "夜间巡控震慑点",
    "covered_weight": "覆盖警情权重",
    "patrol_line": "巡线",
    "patrol_lines": "巡线",
    "line": "巡线",
    "mode": "方式",
    "length_km": "长度(公里)",
    "duration_min": "时长(分钟)",
    "demand_per_km": "每公里风险",
    "coverage": "覆盖率",
    "road_share": "道路",
    "incident_share": "警情",
    "within": "{minutes:g} 分钟内",
    "points_count": "巡控点:{points} 个(共 {staffed} 点·时段)",
    "lines_count": "巡线:{lines} 条(共 {line_slots} 线·时段)",
    "backtest": "后续警情回测",
    "hit_rate": "命中率 {value:.0%}",
    "pai": "预测精度指数 PAI {value:.2f}",
    "baseline": "{name}:命中率 {value:.0%}",
    "baseline_kde_grid": "热点网格",
    "baseline_random": "随机点位",
    "no_backtest": "本方案无回测",
    "start": "起点",
    "stop": "停留 {minutes} 分钟",
    "stops": "建议停留点",
    "turns": "行驶路线",
    "hours": "时段",
    "cover_m": "覆盖半径 {cover_m:g} 米",
    "direction": "行进方向",
    "drive": "车巡",
    "walk": "步巡",
    "none": "无",
}

STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"en": MappingProxyType(_EN), "zh": MappingProxyType(_ZH)}
)


def strings(lang: str) -> Mapping[str, str]:
    """The label table of ``lang`` ("en" or "zh")."""
    if lang not in STRINGS:
        msg = f"lang: expected one of {', '.join(LANGS)}, got {lang!r}"
        raise InputError(msg)
    return STRINGS[lang]
