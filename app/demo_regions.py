"""The regions of the demo: Shizhu County (石柱土家族自治县, GB/T 2260 500240) and its 33 township-level
divisions (3 街道, 17 镇, 13 乡), with their statistical division codes (统计用区划代码, township part).

The codes follow the National Bureau of Statistics' list as published before 枫木乡 became 枫木镇; 枫木镇's
code is the next free town code (500240118), as the bureau numbers a township made a town. A bureau loads its
own authoritative list with `inspection-tracker import-regions FILE` (the same rows then simply update).
"""

from __future__ import annotations

COUNTY = ("500240", "石柱土家族自治县", "5002")  # under 500200 县 (Chongqing's county-level group)
TOWNSHIPS = (
    ("500240001", "南宾街道"),
    ("500240002", "万安街道"),
    ("500240003", "下路街道"),
    ("500240101", "西沱镇"),
    ("500240103", "悦崃镇"),
    ("500240104", "临溪镇"),
    ("500240105", "黄水镇"),
    ("500240106", "马武镇"),
    ("500240107", "沙子镇"),
    ("500240108", "王场镇"),
    ("500240109", "沿溪镇"),
    ("500240110", "龙沙镇"),
    ("500240111", "鱼池镇"),
    ("500240112", "三河镇"),
    ("500240113", "大歇镇"),
    ("500240114", "桥头镇"),
    ("500240115", "万朝镇"),
    ("500240116", "冷水镇"),
    ("500240117", "黄鹤镇"),
    ("500240118", "枫木镇"),
    ("500240203", "黎场乡"),
    ("500240204", "三星乡"),
    ("500240205", "六塘乡"),
    ("500240207", "三益乡"),
    ("500240208", "王家乡"),
    ("500240209", "河嘴乡"),
    ("500240210", "石家乡"),
    ("500240213", "中益乡"),
    ("500240214", "洗新乡"),
    ("500240216", "龙潭乡"),
    ("500240217", "新乐乡"),
    ("500240218", "金铃乡"),
    ("500240219", "金竹乡"),
)
