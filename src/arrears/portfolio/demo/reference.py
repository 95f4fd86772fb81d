"""Static reference data for the demo portfolio: places, names, occupations, industries, phone prefixes."""

from __future__ import annotations

from typing import NamedTuple


class Place(NamedTuple):
    """A district with its administrative division code and its fixed-line area code."""

    province: str
    city: str
    district: str
    division: str  # 6-digit GB/T 2260 code, the first six characters of a resident id
    area_code: str  # fixed-line trunk code without the leading 0
    weight: int  # relative share of debtors living there


# Municipalities repeat the city as the province; addresses then name it once.
PLACES: tuple[Place, ...] = (
    Place("北京市", "北京市", "朝阳区", "110105", "10", 8),
    Place("北京市", "北京市", "海淀区", "110108", "10", 6),
    Place("上海市", "上海市", "浦东新区", "310115", "21", 9),
    Place("上海市", "上海市", "徐汇区", "310104", "21", 4),
    Place("天津市", "天津市", "河西区", "120103", "22", 3),
    Place("重庆市", "重庆市", "渝中区", "500103", "23", 4),
    Place("广东省", "广州市", "天河区", "440106", "20", 7),
    Place("广东省", "深圳市", "南山区", "440305", "755", 7),
    Place("广东省", "东莞市", "东城街道", "441900", "769", 3),
    Place("浙江省", "杭州市", "西湖区", "330106", "571", 5),
    Place("浙江省", "宁波市", "海曙区", "330203", "574", 2),
    Place("江苏省", "南京市", "玄武区", "320102", "25", 4),
    Place("江苏省", "苏州市", "吴中区", "320506", "512", 4),
    Place("四川省", "成都市", "武侯区", "510107", "28", 5),
    Place("湖北省", "武汉市", "武昌区", "420106", "27", 4),
    Place("陕西省", "西安市", "雁塔区", "610113", "29", 3),
    Place("山东省", "济南市", "历下区", "370102", "531", 2),
    Place("山东省", "青岛市", "市南区", "370202", "532", 3),
    Place("福建省", "厦门市", "思明区", "350203", "592", 2),
    Place("湖南省", "长沙市", "岳麓区", "430104", "731", 3),
    Place("河南省", "郑州市", "金水区", "410105", "371", 3),
    Place("辽宁省", "沈阳市", "和平区", "210102", "24", 2),
    Place("安徽省", "合肥市", "蜀山区", "340104", "551", 2),
    Place("江西省", "南昌市", "东湖区", "360102", "791", 1),
    Place("河北省", "石家庄市", "长安区", "130102", "311", 2),
    Place("山西省", "太原市", "小店区", "140105", "351", 1),
    Place("云南省", "昆明市", "五华区", "530102", "871", 1),
    Place("广西壮族自治区", "南宁市", "青秀区", "450103", "771", 1),
    Place("贵州省", "贵阳市", "南明区", "520102", "851", 1),
    Place("黑龙江省", "哈尔滨市", "道里区", "230102", "451", 1),
)

# Mobile prefixes of the three carriers (all valid CN mobile ranges).
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
)

# (surname, pinyin, weight): the common surnames, weighted roughly by frequency.
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("王", "Wang", 72), ("李", "Li", 71), ("张", "Zhang", 69), ("刘", "Liu", 54), ("陈", "Chen", 46),
    ("杨", "Yang", 33), ("黄", "Huang", 24), ("赵", "Zhao", 22), ("吴", "Wu", 21), ("周", "Zhou", 21),
    ("徐", "Xu", 17), ("孙", "Sun", 15), ("马", "Ma", 15), ("朱", "Zhu", 14), ("胡", "Hu", 13),
    ("郭", "Guo", 12), ("何", "He", 12), ("高", "Gao", 10), ("林", "Lin", 10), ("罗", "Luo", 10),
    ("郑", "Zheng", 9), ("梁", "Liang", 9), ("谢", "Xie", 7), ("宋", "Song", 7), ("唐", "Tang", 7),
    ("许", "Xu", 6), ("韩", "Han", 6), ("冯", "Feng", 6), ("邓", "Deng", 6), ("曹", "Cao", 6),
    ("彭", "Peng", 5), ("曾", "Zeng", 5), ("肖", "Xiao", 5), ("田", "Tian", 5), ("董", "Dong", 5),
    ("袁", "Yuan", 4), ("潘", "Pan", 4), ("于", "Yu", 4), ("蒋", "Jiang", 4), ("蔡", "Cai", 4),
    ("余", "Yu", 4), ("杜", "Du", 4), ("叶", "Ye", 4), ("程", "Cheng", 4), ("苏", "Su", 3),
    ("魏", "Wei", 3), ("吕", "Lyu", 3), ("丁", "Ding", 3), ("任", "Ren", 3), ("沈", "Shen", 3),
)

# Given-name characters with pinyin, by gender.
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("强", "Qiang"), ("磊", "Lei"), ("洋", "Yang"), ("勇", "Yong"), ("军", "Jun"),
    ("杰", "Jie"), ("涛", "Tao"), ("超", "Chao"), ("明", "Ming"), ("刚", "Gang"), ("平", "Ping"),
    ("辉", "Hui"), ("鹏", "Peng"), ("华", "Hua"), ("飞", "Fei"), ("鑫", "Xin"), ("波", "Bo"),
    ("斌", "Bin"), ("宇", "Yu"), ("浩", "Hao"), ("凯", "Kai"), ("健", "Jian"), ("俊", "Jun"),
    ("帆", "Fan"), ("旭", "Xu"), ("宁", "Ning"), ("龙", "Long"), ("林", "Lin"), ("志", "Zhi"),
    ("建", "Jian"), ("国", "Guo"), ("文", "Wen"), ("海", "Hai"), ("东", "Dong"), ("峰", "Feng"),
)
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"), ("艳", "Yan"),
    ("娟", "Juan"), ("霞", "Xia"), ("燕", "Yan"), ("玲", "Ling"), ("婷", "Ting"), ("雪", "Xue"),
    ("慧", "Hui"), ("颖", "Ying"), ("琳", "Lin"), ("倩", "Qian"), ("晶", "Jing"), ("欣", "Xin"),
    ("佳", "Jia"), ("悦", "Yue"), ("萍", "Ping"), ("红", "Hong"), ("梅", "Mei"), ("莉", "Li"),
    ("秀", "Xiu"), ("兰", "Lan"), ("桂", "Gui"), ("英", "Ying"), ("月", "Yue"), ("琴", "Qin"),
)

# Occupations by kind of borrower (cards draw from all of them).
OCCUPATIONS: dict[str, tuple[str, ...]] = {
    "salary": ("行政专员", "销售代表", "客服专员", "仓库管理员", "出纳", "司机", "技术员", "文员",
               "护士", "小学教师", "质检员", "物流专员", "前台", "操作工", "电工"),
    "professional": ("医生", "律师", "软件工程师", "注册会计师", "大学教师", "产品经理", "建筑师",
                     "项目经理", "财务经理", "药剂师", "证券分析师"),
    "small_business": ("个体工商户", "餐馆经营者", "便利店店主", "服装店店主", "网店店主",
                       "装修工作室负责人", "水果批发商", "美容店店主", "汽修店店主"),
}

# Industry (the occupation of a company debtor) and the words a company of that trade puts in its name.
INDUSTRIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("制造业", ("机械制造", "精密机械", "五金制品", "塑胶制品")),
    ("批发和零售业", ("商贸", "贸易", "百货")),
    ("建筑业", ("建筑工程", "建设工程", "装饰工程")),
    ("交通运输和仓储", ("物流", "供应链管理", "货运代理")),
    ("信息技术服务", ("科技", "信息技术", "软件")),
    ("餐饮业", ("餐饮管理", "餐饮服务")),
    ("医药流通", ("医药", "医疗器械")),
    ("农副食品加工", ("食品", "粮油")),
    ("纺织服装", ("服饰", "纺织")),
    ("电子元器件", ("电子", "电子科技")),
    ("广告传媒", ("文化传媒", "广告")),
    ("物业管理", ("物业服务", "物业管理")),
)

class ForeignZone(NamedTuple):
    """Where an English-speaking debtor lives: region, zone and how phone numbers there look."""

    region: str
    timezone: str
    country_code: str
    faker_locale: str
    weight: int


FOREIGN_ZONES: tuple[ForeignZone, ...] = (
    ForeignZone("HK", "Asia/Hong_Kong", "852", "en_US", 4),
    ForeignZone("US", "America/New_York", "1", "en_US", 3),
    ForeignZone("US", "America/Los_Angeles", "1", "en_US", 1),
    ForeignZone("SG", "Asia/Singapore", "65", "en_US", 1),
    ForeignZone("GB", "Europe/London", "44", "en_GB", 1),
)

# US area codes by zone, so a New York debtor has a New York number.
US_AREA_CODES: dict[str, tuple[str, ...]] = {
    "America/New_York": ("212", "646", "718", "917", "347"),
    "America/Los_Angeles": ("213", "310", "415", "626", "818"),
}

EMAIL_DOMAINS_CN: tuple[str, ...] = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com")

HK_DISTRICTS: tuple[str, ...] = (
    "Wan Chai", "Central", "Kowloon Tong", "Sha Tin", "Tsim Sha Tsui", "Causeway Bay",
)
