"""Name material for seed_demo: townships, villages, dispatching units, ranks.

Kept apart from the command so the command reads as the procedure it is. The leading
underscore keeps Django from treating this module as a command.
"""
from __future__ import annotations

# Real township names of 苍溪县 (510824), used first there so the demo county looks familiar.
CANGXI_TOWNSHIPS = [
    "陵江镇", "云峰镇", "歧坪镇", "元坝镇", "东溪镇", "白驿镇", "五龙镇", "龙山镇", "永宁镇", "三川镇",
    "运山镇", "文昌镇", "百利镇", "鸳溪镇", "龙王镇", "黄猫垭镇", "唤马镇", "石门镇", "岳东镇", "月山乡",
]

TOWNSHIP_STEMS = [
    "青龙", "白马", "石桥", "新场", "高坪", "龙泉", "金山", "柳溪", "双河", "太平", "永兴", "三合", "清水",
    "马鞍", "黄桷", "桂花", "红岩", "紫云", "凤凰", "安乐", "福星", "和平", "大兴", "中和", "复兴", "玉皇",
    "观音", "回龙", "石龙", "花园", "杨柳", "金鸡", "宝山", "新店", "梨园", "麻柳", "松林", "柏林", "龙凤",
    "大河", "水口", "塔山", "双龙", "新民", "合兴", "高峰", "凤鸣", "青山", "碧溪", "鹤鸣", "长乐", "万寿",
    "永安", "龙洞", "鱼泉", "桥亭", "茶店", "天池", "长岭", "兴隆", "白果", "黄土", "仁和", "石佛", "西山",
    "东岳", "南坝", "北斗", "义和", "顺河", "朝阳", "鸡鸣", "古城", "罗家", "何家", "黎明", "金龙", "平安",
]

VILLAGE_FIRST = list("红白石柳新高龙金青双太永三清马黄桂杨松柏梨桃大小中上下东西南北花凤鹤银玉宝福民和兴安平光胜团")
VILLAGE_SECOND = list("星桥沟河湾坝岭山坪林园庙溪塘垭岩田水泉口峰丰明华阳岗坡台门堰井池寨坎滩")

CENTRAL_UNITS = [
    ("国家税务总局四川省税务局", "party_gov"),
    ("国家统计局四川调查总队", "party_gov"),
    ("成都海关", "party_gov"),
    ("中国科学院成都分院", "institution"),
    ("中国地质调查局成都地质调查中心", "institution"),
    ("四川大学", "university"),
    ("电子科技大学", "university"),
    ("西南交通大学", "university"),
    ("西南财经大学", "university"),
    ("中国农业银行四川省分行", "financial"),
    ("中国工商银行四川省分行", "financial"),
    ("中国农业发展银行四川省分行", "financial"),
    ("国网四川省电力公司", "soe"),
    ("中国移动通信集团四川有限公司", "soe"),
    ("中国铁路成都局集团有限公司", "soe"),
    ("中国邮政集团有限公司四川省分公司", "soe"),
]

PROVINCE_UNITS = [
    ("四川省农业农村厅", "party_gov"),
    ("四川省财政厅", "party_gov"),
    ("四川省交通运输厅", "party_gov"),
    ("四川省教育厅", "party_gov"),
    ("四川省卫生健康委员会", "party_gov"),
    ("四川省自然资源厅", "party_gov"),
    ("四川省住房和城乡建设厅", "party_gov"),
    ("四川省水利厅", "party_gov"),
    ("四川省民政厅", "party_gov"),
    ("四川省林业和草原局", "party_gov"),
    ("四川省人民医院", "institution"),
    ("四川省农业科学院", "institution"),
    ("四川省疾病预防控制中心", "institution"),
    ("四川农业大学", "university"),
    ("西南石油大学", "university"),
    ("成都理工大学", "university"),
    ("四川师范大学", "university"),
    ("四川省农村信用社联合社", "financial"),
    ("四川银行", "financial"),
    ("四川省投资集团有限责任公司", "soe"),
    ("四川省交通投资集团有限责任公司", "soe"),
    ("四川省供销合作社联合社", "other"),
    ("四川省妇女联合会", "other"),
]

# {c}: the city's full name; {s}: its short name (广元, 凉山).
CITY_UNITS = [
    ("{c}农业农村局", "party_gov"),
    ("{c}财政局", "party_gov"),
    ("{c}交通运输局", "party_gov"),
    ("{c}卫生健康委员会", "party_gov"),
    ("{c}自然资源和规划局", "party_gov"),
    ("{c}住房和城乡建设局", "party_gov"),
    ("{c}水利局", "party_gov"),
    ("{c}中心医院", "institution"),
    ("{c}农业科学研究院", "institution"),
    ("{s}职业技术学院", "university"),
    ("{s}农村商业银行", "financial"),
    ("{c}城市建设投资有限公司", "soe"),
    ("{c}总工会", "other"),
]

# {k}: the county's name, qualified with its city where two counties share a name (市中区).
COUNTY_UNITS = [
    ("{k}农业农村局", "party_gov"),
    ("{k}财政局", "party_gov"),
    ("{k}教育局", "party_gov"),
    ("{k}交通运输局", "party_gov"),
    ("{k}水务局", "party_gov"),
    ("{k}林业局", "party_gov"),
    ("{k}自然资源局", "party_gov"),
    ("{k}人民医院", "institution"),
    ("{k}中医医院", "institution"),
    ("{k}农业技术推广中心", "institution"),
    ("中国农业银行{k}支行", "financial"),
    ("{k}农村信用合作联社", "financial"),
    ("{k}国有资产投资经营有限公司", "soe"),
    ("{k}供销合作社联合社", "other"),
]

TOWNSHIP_UNITS = [
    ("{k}{t}人民政府", "party_gov"),
    ("{k}{t}卫生院", "institution"),
]

RANKS = {
    "party_gov": [
        ("一级科员", 10), ("二级科员", 4), ("四级主任科员", 14), ("三级主任科员", 10), ("二级主任科员", 8),
        ("一级主任科员", 6), ("四级调研员", 4), ("三级调研员", 2), ("二级调研员", 1),
    ],
    "institution": [("助理级", 3), ("中级", 6), ("副高级", 3), ("正高级", 1), ("管理八级", 3), ("管理七级", 2)],
    "university": [("讲师", 5), ("副教授", 4), ("教授", 1), ("科员", 3), ("副科长", 2)],
    "financial": [("客户经理", 5), ("部门副经理", 3), ("部门经理", 2), ("副行长", 1)],
    "soe": [("职员", 4), ("主管", 4), ("部门副经理", 3), ("部门经理", 2)],
    "other": [("一级科员", 4), ("四级主任科员", 4), ("三级主任科员", 2)],
}

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "157", "158", "159", "177", "180", "181", "182", "183", "186", "187", "188", "189", "198", "199",
]

END_NOTES = {
    "rotation": "任期届满，按计划轮换，已完成工作交接。",
    "recall": "年度考核为不称职，经县委组织部研究决定召回。",
    "adjustment": "因派出单位工作需要，经批准调整驻村岗位。",
}
