"""Chinese and English lexicons that `understand.py` matches founder messages against.

Each lexicon maps a canonical value to the variants founders actually type. Variants are matched on
NFKC-normalised, lower-cased text, longest first; Latin variants only match as whole words (an optional
plural "s" is allowed), so keep them lower case here.
"""

from __future__ import annotations

import re

from knowledge.catalog import STAGE_NAMES


def _v(variants: str) -> tuple[str, ...]:
    # Variants are written "a|b|c" so a lexicon stays a few lines per value.
    return tuple(variants.split("|"))


TRACKS: dict[str, tuple[str, ...]] = {
    "人工智能": _v(
        "人工智能|ai|a.i.|aigc|大模型|大语言模型|机器学习|深度学习|算法|智能体|生成式|计算机视觉|"
        "自然语言处理|聊天机器人|对话机器人|客服机器人|llm|genai|machine learning|deep learning|"
        "computer vision|chatbot|large language model"
    ),
    "低空经济": _v(
        "低空经济|低空|无人机|飞行汽车|evtol|电动垂直起降|通用航空|低空物流|航空器|drone|uav|flying car|"
        "low-altitude|low altitude"
    ),
    "生物医药": _v(
        "生物医药|生物科技|生物技术|生物经济|生物制品|创新药|新药|制药|医药|医疗器械|细胞治疗|基因治疗|"
        "抗体|疫苗|体外诊断|手术机器人|医疗|biotech|biotechnology|pharma|pharmaceutical|drug discovery|"
        "medical device|medtech|biomedicine|biomedical|cell therapy"
    ),
    "数字文创": _v(
        "数字文创|文创|游戏|手游|手机游戏|网游|网络游戏|页游|动漫|动画|影视|数字内容|元宇宙|电竞|短视频|微短剧|"
        "短剧|数字人|虚拟人|game|gaming|mobile game|video game|esports|animation|anime|film|metaverse|"
        "digital content"
    ),
    "绿色氢能": _v("绿色氢能|氢能|氢能源|燃料电池|制氢|储氢|加氢|hydrogen|fuel cell"),
    "人形机器人": _v(
        "人形机器人|机器人|机器狗|四足机器人|四足|足式机器人|双足机器人|具身智能|灵巧手|robot|robotics|"
        "humanoid|embodied|robot dog|quadruped"
    ),
    "商业航天": _v(
        "商业航天|航天|卫星|火箭|星座|遥感|satellite|rocket|aerospace|spacecraft|commercial space"
    ),
    "工业母机": _v("工业母机|数控机床|机床|精密制造|cnc|machine tool"),
    "集成电路": _v("集成电路|芯片|半导体|ic设计|晶圆|封装测试|eda|chip|semiconductor|integrated circuit"),
    "电子信息": _v("电子信息|消费电子|电子元器件|物联网|通信|5g|传感器|光电|electronics|iot"),
    "新能源": _v(
        "新能源|光伏|储能|锂电|电池|充电桩|风电|电动汽车|new energy|solar|energy storage|battery|batteries"
    ),
    "新材料": _v("新材料|前沿材料|石墨烯|复合材料|碳纤维|纳米材料|advanced material|new material"),
    "智能制造": _v("智能制造|工业互联网|智能装备|工业自动化|3d打印|smart manufacturing"),
    "软件和信息服务": _v(
        "软件和信息服务|软件|saas|app|小程序|互联网平台|信息服务|云计算|大数据|网络安全|software|cloud"
    ),
    "现代农业": _v("现代农业|智慧农业|农业|种植|养殖|农产品|agriculture|agtech|farming"),
    "消费零售": _v(
        "消费零售|新消费|零售|餐饮|火锅店|餐馆|饭店|电商|茶饮|奶茶|咖啡|服装|美妆|消费品|连锁门店|retail|"
        "e-commerce|ecommerce|restaurant|consumer goods"
    ),
    "教育": _v("在线教育|教育科技|职业教育|教培|做教育|教育行业|edtech|education"),
}

# Needs: what the founder is short of. Keys match knowledge.catalog.Need.
NEEDS: dict[str, tuple[str, ...]] = {
    "space": _v(
        "场地|办公室|办公场地|办公空间|工位|厂房|孵化器|实验室|载体|房租|租金|入驻|office|workspace|desk|"
        "incubator|lab space|factory"
    ),
    "funding": _v(
        "钱|融资|融资渠道|资金|投资|贷款|补贴|基金|资助|补助|奖励|天使轮|担保|贴息|科创贷|先投后股|"
        "funding|investment|investor|loan|subsidy|subsidies|grant|money|capital|raise"
    ),
    "talent": _v(
        "招人|招聘|人才|团队不够|人手不够|缺人|引才|技术合伙人|招不到|hire|hiring|talent|recruit|recruiting"
    ),
    "compute": _v("算力|gpu|服务器|训练|显卡|智算|compute|server|training"),
    "ip": _v("专利|知识产权|商标|软著|著作权|版权|patent|trademark|copyright|ip"),
    "scenarios": _v("应用场景|场景|试点|首台套|首台(套)|订单验证|示范应用|pilot|use case|scenario"),
    "market": _v("客户|市场|推广|展示|销售|获客|渠道|曝光|展会|customer|market|marketing|sales|promotion"),
    "certification": _v(
        "适航|备案|认证|资质|许可证|牌照|注册证|高新技术企业认定|高企认定|专精特新认定|certification|"
        "license|licence|airworthiness"
    ),
}

# Wants: the kind of money the founder asks for. Keys are read by `route.py` (WANT_TYPES), which maps
# them onto the fund catalog's instrument types. Generic money words (钱, 资金, 融资) name no kind.
WANTS: dict[str, tuple[str, ...]] = {
    "loan": _v("贷款|贷|科创贷|信用贷|银行贷款|借款|借钱|loan|bank loan|credit line"),
    "equity": _v(
        "基金|投资|股权投资|股权融资|天使投资|风投|风险投资|创投|vc|investor|investment|equity|fund|"
        "venture capital"
    ),
    "subsidy": _v(
        "补贴|补助|资助|无偿资助|拨款|奖励|创新券|科创券|科技券|算力券|grant|subsidy|subsidies|voucher"
    ),
    "guarantee": _v("担保|融资担保|guarantee"),
    "bond": _v("债券|发债|科创债|bond"),
}
WANT_LABELS = {
    "loan": "贷款",
    "equity": "股权投资",
    "subsidy": "补贴",
    "guarantee": "融资担保",
    "bond": "债券",
}

NEED_LABELS = {
    "space": "场地",
    "funding": "资金",
    "talent": "人才",
    "compute": "算力",
    "ip": "知识产权",
    "scenarios": "应用场景",
    "market": "市场",
    "certification": "资质认证",
}
STAGE_LABELS = STAGE_NAMES  # one wording for stages, shared with the catalog pages

# Districts: the five central districts need their 区 suffix (锦江/武侯/金牛 are also hotels and sights).
DISTRICTS: dict[str, tuple[str, ...]] = {
    "锦江区": _v("锦江区"),
    "青羊区": _v("青羊区|青羊"),
    "金牛区": _v("金牛区"),
    "武侯区": _v("武侯区"),
    "成华区": _v("成华区|成华"),
    "龙泉驿区": _v("龙泉驿区|龙泉驿|龙泉"),
    "青白江区": _v("青白江区|青白江"),
    "新都区": _v("新都区"),
    "温江区": _v("温江区|温江"),
    "双流区": _v("双流区|双流"),
    "郫都区": _v("郫都区|郫都|郫县"),
    "新津区": _v("新津区|新津"),
    "高新区": _v("成都高新区|高新区|高新西区|高新南区|高新东区|high-tech zone|hi-tech zone|high tech zone"),
    "天府新区": _v("四川天府新区|天府新区|tianfu new area"),
    "东部新区": _v("成都东部新区|东部新区|eastern new area"),
    "都江堰市": _v("都江堰市|都江堰"),
    "彭州市": _v("彭州市|彭州"),
    "邛崃市": _v("邛崃市|邛崃"),
    "崇州市": _v("崇州市|崇州"),
    "简阳市": _v("简阳市|简阳"),
    "金堂县": _v("金堂县|金堂"),
    "大邑县": _v("大邑县|大邑"),
    "蒲江县": _v("蒲江县|蒲江"),
}

# Other cities: "西安高新区" is not ours, and "公司在北京" means not registered in Chengdu.
OTHER_CITIES: tuple[str, ...] = _v(
    "北京|上海|深圳|广州|杭州|重庆|西安|武汉|南京|苏州|天津|长沙|合肥|郑州|厦门|绵阳|德阳|宜宾|香港|外地|"
    "外省|省外|市外|海外|国外|别的城市|其他城市"
)
OTHER_CITIES_EN: tuple[str, ...] = _v(
    "beijing|shanghai|shenzhen|guangzhou|hangzhou|chongqing|xi'an|wuhan|nanjing|hong kong|another city|abroad"
)

UNIVERSITIES: dict[str, tuple[str, ...]] = {
    "电子科技大学": _v("电子科技大学|电子科大|成电|uestc"),
    "四川大学": _v("四川大学|川大|sichuan university"),
    "西南交通大学": _v("西南交通大学|西南交大|交大|swjtu|southwest jiaotong"),
    "西南财经大学": _v("西南财经大学|西南财大|西财|swufe"),
    "成都理工大学": _v("成都理工大学|成都理工|成理"),
    "西南石油大学": _v("西南石油大学|西南石大|西南石油"),
    "成都信息工程大学": _v("成都信息工程大学|成都信息工程学院|成信大"),
    "四川农业大学": _v("四川农业大学|川农大|川农"),
    "西南民族大学": _v("西南民族大学|西南民大"),
    "四川师范大学": _v("四川师范大学|川师大|川师"),
    "成都中医药大学": _v("成都中医药大学|成中医"),
    "成都大学": _v("成都大学"),
    "西华大学": _v("西华大学"),
    "成都工业学院": _v("成都工业学院"),
    "成都医学院": _v("成都医学院"),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "算力券": _v("算力券|算力补贴|算力补助|gpu补贴|compute voucher|computing voucher|gpu subsidy"),
    "科技创新券": _v("科技创新券|创新券|科创券|innovation voucher"),
    "先投后股": _v("先投后股|专项接续基金|invest-then-equity"),
    "天使基金": _v("天使基金|未来产业天使基金|成都市未来产业天使基金|angel fund|angel investment fund"),
    "创投基金": _v(
        "创投基金|未来产业创投基金|成都市未来产业创投基金|venture fund|vc fund|venture capital fund"
    ),
    "知识产权质押融资": _v("知识产权质押融资|知识产权质押|专利质押|专利贷款|专利贷|商标质押|ip pledge"),
    "科创贷": _v("科创贷|科创贷款"),
    "科技创新债券": _v("科技创新债券|科创债|科技板"),
    "专精特新": _v("专精特新|小巨人"),
    "高新技术企业": _v("高新技术企业|高新企业|高企|high-tech enterprise"),
    "科技型中小企业": _v("科技型中小企业"),
    "生成式人工智能服务备案": _v(
        "生成式人工智能服务备案|生成式人工智能备案|大模型备案|生成式ai备案|aigc备案|genai filing|generative ai service filing|generative ai filing|aigc filing"
    ),
    "算法备案": _v("算法备案"),
    "适航": _v("适航三证|适航|型号合格证|airworthiness|type certificate"),
    "中试": _v("中试平台|中试基金|中试服务|中试|pilot testing|pilot plant|pilot-scale"),
    "科创明日之星": _v("科创明日之星|明日之星"),
    "一园一策": _v("一园一策|政策包"),
    "首台套": _v("首台套|首台(套)"),
    "应用场景": _v("应用场景|场景创新公司|首发场景|标杆场景"),
    "合作创新采购": _v("合作创新采购|政府合作创新采购"),
    "科技副总": _v("科技副总"),
    "揭榜挂帅": _v("揭榜挂帅"),
    "科技商学院": _v("科技商学院"),
    "机器人训练场": _v("机器人训练场"),
    "数据要素": _v("高质量数据集|数字资产交易中心|数据要素"),
    "科创成长层": _v("科创成长层"),
    "上市": _v("上市|ipo|科创板|北交所"),
    "并购贷款": _v("并购贷款"),
    "AIC股权投资试点": _v("aic股权投资|金融资产投资公司"),
    "融资担保": _v("政府性融资担保|融资担保|loan guarantee|financing guarantee"),
    "交子金控": _v("交子金控"),
    "知识产权服务": _v(
        "知识产权一站式服务|知识产权维权|专利申请|商标注册|patent|trademark|intellectual property"
    ),
    "孵化器": _v("孵化器|众创空间|加速器|incubator|accelerator"),
    "大学科技园": _v("大学科技园"),
    "人才公寓|talent apartment": _v("人才公寓|talent apartment"),
    "瞪羚企业": _v("瞪羚企业"),
    "独角兽企业": _v("独角兽企业|独角兽"),
    "城市展厅": _v("城市展厅|科创生态岛"),
    "初次创业来成都": _v(
        "初次创业来成都|初次创业在成都|first-time founder|first-time entrepreneur|first time founder"
    ),
    "连续创业在成都": _v("连续创业在成都"),
    "工商注册": _v(
        "营业执照|工商注册|注册公司|公司注册|business license|register a company|company registration"
    ),
    "研发费用加计扣除": _v("研发费用加计扣除|加计扣除|r&d super deduction|r&d deduction"),
    "税收优惠": _v("税收优惠|减税|免税|tax incentive|tax break"),
    "示例·人工智能产业园": _v("示例·人工智能产业园|人工智能产业园"),
    "示例·生物医药产业园": _v("示例·生物医药产业园|生物医药产业园"),
    "示例·低空经济产业园": _v("示例·低空经济产业园|低空经济产业园"),
    "示例·商业航天产业园": _v("示例·商业航天产业园|商业航天产业园"),
    "示例·数字文创产业园": _v("示例·数字文创产业园|数字文创产业园"),
    "示例·人形机器人产业园": _v("示例·人形机器人产业园|人形机器人产业园"),
    "示例·绿色氢能产业园": _v("示例·绿色氢能产业园|绿色氢能产业园"),
    "示例·工业母机产业园": _v("示例·工业母机产业园|工业母机产业园"),
    "示例·电子信息大学科技园": _v("示例·电子信息大学科技园|电子信息大学科技园"),
    "天府软件园": _v("天府软件园"),
    "天府国际生物城": _v("天府国际生物城|生物城"),
    "菁蓉汇": _v("菁蓉汇"),
}

SMALLTALK: tuple[str, ...] = _v(
    "你好|您好|你们好|大家好|哈喽|嗨|谢谢你|谢谢您|谢谢|多谢|感谢|辛苦了|在吗|在不在|有人吗|你是谁|"
    "你叫什么名字|你叫什么|你能做什么|你可以做什么|你会什么|你能干什么|你能帮我做什么|你能帮我什么|"
    "你有什么功能|你是机器人吗|你是真人吗|你是ai吗|早上好|上午好|中午好|下午好|晚上好|早安|晚安|好的|收到|"
    "明白了|明白|知道了|懂了|了解了|了解|再见|拜拜|你好吗|很高兴认识你|hello|hi|hey|thanks|thank you|thx|"
    "good morning|good afternoon|good evening|ok|okay|bye|goodbye|who are you|what can you do|how are you|"
    "nice to meet you|are you a bot|are you human"
)

# Stop phrases are matched alongside the variants (longest first) and map to nothing, so they swallow
# look-alikes: "软件著作权" is IP, not a software track; "多少钱" asks a price, not for money.
TRACK_STOPS: tuple[str, ...] = _v(
    "软件著作权|你是机器人|是不是机器人|是机器人吗|星座运势|医疗保险|通信地址|游戏规则|are you a robot|"
    "are you a bot|are you an ai|are you ai"
)
WANT_STOPS: tuple[str, ...] = _v("基金会|投资回报")
NEED_STOPS: tuple[str, ...] = _v("多少钱|价钱|训练营|训练场|市场监管|市场监督|市场化|市场主体|客户端")
TOPIC_STOPS = ("高企业",)  # "提高企业竞争力" is not about 高企
UNIVERSITY_STOPS: tuple[str, ...] = _v(
    "四川大|四川农|四川师|上海交大|西安交大|北京交大|外交大|成电子|成电池|成电商|成电路|成电器|成电视|"
    "成电影|成电脑|成电力|成电动|成电站|成电网|成电梯|成电竞|成电源|成电费|成电缆|成电话|合成理|形成理|"
    "完成理|达成理|成理论|成理念|成理想|成理由|成理解|成理财"
)


# --- phrase patterns -------------------------------------------------------------------------------
# Regular expressions over normalised text (NFKC, lower case: "，" is ",", "？" is "?").


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CITY = _alt(OTHER_CITIES)
_CITY_EN = _alt(OTHER_CITIES_EN)
_HERE = _alt([v for vs in DISTRICTS.values() for v in vs] + ["成都", "蓉"])

HAN = re.compile(r"[\u4e00-\u9fff]")
CLAUSE_SEPARATORS = (",", ";", "!", "?", "。", "\n", ". ")
NEGATION = re.compile(
    r"不是|不做|并非|不搞|不再|不在|不缺|不需要|不用|无需|暂不|不想|(?<![a-z])not(?![a-z])|n't"
    r"|(?<![a-z])no(?: longer)?(?![a-z])"
)
NOT_DONE = re.compile(r"(?<!有)没有?|尚未|还未|未曾")  # 还没注册公司; not 有没有, not 未来
CORRECTION = re.compile(
    r"不对|说错|更正|纠正|其实是|应该是|而是|改做|转做|转型做|现在做|现在是|actually|instead"
)
INTENDING = re.compile(
    r"想|打算|准备|计划|考虑|要不要|能不能|可不可以|可以|怎么|如何|是否|应该|建议|希望|要去|搬到|搬去"
    r"|(?<![a-z])(?:want|plan|planning|should|how|can we|can i)(?![a-z])"
)
DOING = re.compile(r"做|搞|从事|专注|聚焦|方向|赛道|领域|行业|是|build|develop|work on|doing|making")
LOCATED_AT = re.compile(r"在|位于|落户|入驻|注册|(?<![a-z])(?:in|at|based)(?![a-z])")
FIRST_PERSON = re.compile(r"我|咱|本公司|公司|团队|企业|(?<![a-z])(?:we|our|i'm|i am|we're)(?![a-z])")
OTHER_CITY_BEFORE = re.compile(f"(?:{_CITY})$")
NOT_A_FACT = re.compile(
    r"初次创业来成都|初次创业在成都|连续创业在成都|你是(?:不是)?(?:机器人|真人|ai|人工智能|bot)"
    r"|(?:你|你们)(?:这个|这|是)?破?(?:机器人|ai|bot)"
    r"|are you (?:a |an )?(?:robot|bot|ai|human)"
)
# A clause about someone else ("我朋友在高新区开公司") says nothing about the founder.
THIRD_PARTY = re.compile(
    r"朋友|同学|别人|(?<!其)他|她|亲戚|同事|别的公司|竞争对手|(?<![a-z])(?:my friend|a friend|they|he|she)(?![a-z])"
)
UNIVERSITY_CUE = re.compile(
    r"毕业|校友|学生|学长|学姐|学弟|学妹|老师|教授|博士|硕士|本科|研究生|在读|来自|出身|我是|我们是|团队|实验室"
    r"|课题组|科技园|graduate|alumni|student|professor|from"
)

STAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"想法阶段|(?:只有|只是|有个|有一个|还在|停留在|还是)[^,;!?。]{0,4}(?:想法|点子|创意)"
            r"|(?:准备|打算|计划|想要?|想自己)创业|筹备|还没有?(?:注册|成立)(?!商标)|还没开公司|尚未(?:注册|成立)(?!商标)"
            r"|[未没]注册(?!商标)|概念阶段|构思|just an idea|idea stage|only an idea|haven't (?:registered|started)"
            r"|not (?:yet )?registered|planning to start"
        ),
        "idea",
    ),
    (
        re.compile(
            r"刚起步|起步阶段|刚注册|刚成立|刚开始(?:做|创业|搞|干)|刚创业|种子轮|种子期|种子阶段|天使轮|拿了天使"
            r"|(?<![a-z])(?:pre-?)?seed(?![a-z])|just (?:started|launched|registered)|angel round|newly registered"
        ),
        "seed",
    ),
    (
        re.compile(
            r"初创|(?<![a-z])pre-?a(?![a-z])|(?<![a-z])a轮|(?<![没无所])(?<!没有)有了?(?:产品|收入|营收|客户|订单|现金流)"
            r"|产品(?:已经)?上线|开始盈利|已经盈利|early[- ]stage|series a(?![a-z])|(?<![a-z])mvp(?![a-z])"
            r"|have (?:revenue|customers|paying customers|a product)"
        ),
        "early",
    ),
    (
        re.compile(
            r"成长期|扩张期|(?<![a-z])[b-e]\+?轮|pre-?ipo|规模化|(?:收入|营收|营业额|销售额)[^,;!?。]{0,4}(?:千万|亿)"
            r"|准备上市|拟上市|growth[- ]stage|series [b-e](?![a-z])|(?<![a-z])scaling(?![a-z])"
        ),
        "growth",
    ),
]
# "场地暂时不需要": the denial follows the need.
NEED_DENIED_AFTER = re.compile(
    r"^[^,;!?。]{0,2}(?:暂时|目前|现在|也|都)?(?:不需要|不缺|不用|不急|没问题|够了|够用|已经有了|有了)"
)
# The thing a question asks for ("推荐什么贷款", "有什么基金适合我们", "which fund"): what the founder
# wants to hear about, not what they said they lack.
ASKED_FOR = re.compile(
    r"(?:什么|哪些|哪个|哪家|哪几个|哪几家|哪种|哪类|推荐|适合(?:我们|我)?的?)(?:样的|一下|几个|一些|个)?"
    r"(?:(?!找|要|拿|申请|缺|借)[^,;!?。]){0,4}$"  # "有什么办法找投资" still says they want it
    r"|(?<![a-z])(?:which|what)(?: kinds? of| sorts? of| types? of)? (?:\w+ )?$|recommend (?:a |an |some )?$"
)
SHORT_OF = re.compile(r"不到|不足|没到|未到|不够|没有")  # "营收不到千万" is not growth

CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100}
EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    )
} | {"twenty": 20, "thirty": 30, "a dozen": 12, "dozen": 12}
_EN_NUM = r"(?<![a-z])(?:\d{1,4}|a dozen|" + _alt(list(EN_NUMBERS)) + r")(?![a-z])"
TEAM = re.compile(
    r"(?P<solo>就我(?:自己)?一个人?|只有我(?:自己)?(?:一个人)?|我自己(?:一个人)?(?:创业|干|做|搞|单干)|单干"
    r"|独立创业|solo founder|just me(?![a-z])|by myself|on my own|one-person)"
    r"|(?P<n1>(?:\d{1,4}|[一二两三四五六七八九十百几]{1,4})[多来余]?)\s*(?:个|名|位)?\s*"
    r"(?:人|成员|员工|伙伴|小伙伴|合伙人|联合创始人|创始人|同事|号人)(?![才工民形均次口事力一])"
    rf"|team of (?P<n2>{_EN_NUM})|(?P<n3>{_EN_NUM})[- ](?:person|people|member|man)[- ]team"
    rf"|(?:we are|we're|there are) (?P<n4>{_EN_NUM})(?![a-z0-9])"
    rf"|(?P<n5>{_EN_NUM}) (?:people|persons|co-?founders|founders|members|engineers|employees|of us)(?![a-z])"
)
NOT_TEAM_BEFORE = re.compile(
    r"(?:招|找|缺|雇|聘|需要|再|要|第|每|下|超过|不超过|少于|小于|大于|多于|低于|高于|满"
    r"|hire|hiring|recruit|need|looking for|more than|less than|at least|over)\s*$"
)

FIRST_TIME: list[tuple[re.Pattern[str], bool]] = [
    (
        re.compile(
            r"第一次创业|初次创业|首次创业|头一次创业|(?:没有?|从没有?|从来没有?|未曾|从未)创过?业|没有?创业(?:过|经验)"
            r"|first[- ]time (?:founder|entrepreneur)|first (?:startup|company)|never (?:founded|started|run) a"
        ),
        True,
    ),
    (
        re.compile(
            r"连续创业|二次创业|再次创业|(?<![没未有])创过(?:几次|两次|\d次)?业|创业过(?:两|几|三|\d)次|(?<![没未])创业过"
            r"|serial (?:founder|entrepreneur)|second (?:startup|company)"
            r"|(?:founded|started) (?:a|another) (?:company|startup) before"
        ),
        False,
    ),
]

HAS_IP: list[tuple[re.Pattern[str], bool]] = [
    (
        re.compile(
            r"(?<![没无所])(?<!没有)有了?(?:\d+|[一二两三四五六七八九十几多]+)?(?:个|项|件|篇)?"
            r"(?:发明|实用新型|外观设计|核心|自己的|自主)?(?:专利|知识产权|软著|软件著作权)"
            r"|(?:申请|拿到|获得|获批|授权)了(?:\d+|[一二两三四五六七八九十几多]+)?(?:个|项|件)?(?:发明|实用新型)?专利"
            r"|专利(?:已经)?(?:授权|下来)了|(?<![a-z])(?:we|i) (?:have|hold|own|filed) (?:\w+ )?patents?"
            r"|(?<![a-z])our patents?"
        ),
        True,
    ),
    (
        re.compile(
            r"(?<!有)(?:还没有|没有|没|暂无|尚无|无|还没)(?:任何)?(?:申请)?(?:发明)?(?:专利|知识产权)"
            r"|专利还?没有?(?:申请|下来|授权)|(?<![a-z])no patents?|(?:don't|do not) have (?:any )?patents?"
            r"|without (?:any )?patents?"
        ),
        False,
    ),
]
HAS_REVENUE: list[tuple[re.Pattern[str], bool]] = [
    (
        re.compile(
            r"(?<![没无所])(?<!没有)(?<!还没)有了?(?:稳定的?|一些|一定的?|不少|点)?(?:收入|营收|营业收入|销售收入|现金流|流水)"
            r"|(?:收入|营收|营业额|销售额)(?:已经|已|有|过|超过|达到|做到|近|快)?[^,;!?。]{0,3}[万亿]"
            r"|开始盈利|已经盈利|盈利了|开始赚钱|赚钱了|(?<![a-z])(?:have|has|with) (?:some |steady )?revenue"
            r"|revenue-generating|(?<![a-z])profitable"
        ),
        True,
    ),
    (
        re.compile(
            r"(?<!有)(?:还没有|没有|没|暂无|尚无|无|零)(?:任何)?(?:收入|营收|现金流)|收入(?:为零|是零|还是零)"
            r"|pre-?revenue|no revenue|(?:don't|do not) have (?:any )?revenue"
        ),
        False,
    ),
]
HYPOTHETICAL = re.compile(r"如果|假如|要是|需要|需|要求|必须|是否|有无|如何|怎么|想")

_REG_HERE = re.compile(
    rf"(?:在|于)(?:{_HERE})注册|注册(?:在|于|地在|地是)(?:{_HERE})|(?:{_HERE})注册的"
    rf"|(?:公司|企业)(?:就|已经|目前)?(?:在|位于)(?:{_HERE})"
    r"|registered in chengdu|based in chengdu|(?:company|startup) is in chengdu"
)
_REG_DONE = re.compile(
    r"已经?注册(?!商标|专利|软著)|注册好了|刚注册|(?<![没未])注册了(?!商标|专利|软著|吗|没)|already registered"
)
_REG_ELSEWHERE = re.compile(
    rf"(?:在|于)(?:{_CITY})注册|注册(?:在|于|地在|地是)(?:{_CITY})|(?:{_CITY})注册的"
    rf"|(?:公司|企业)(?:就|已经|目前)?(?:在|位于)(?:{_CITY})|(?:registered|based) in (?:{_CITY_EN})"
    r"|(?:公司|企业)还?不在(?:成都|蓉)|不在成都注册"
)
_REG_NOT_YET = re.compile(
    r"(?:还|尚|都)?(?:没有|没|未)(?:在成都)?注册(?!商标|的商标|专利|软著)|还没有?(?:成立|开)公司"
    r"|not (?:yet )?registered|haven't registered|have not registered"
)
REGISTERED: list[tuple[re.Pattern[str], bool]] = [
    (_REG_HERE, True),
    (_REG_DONE, True),
    (_REG_ELSEWHERE, False),
    (_REG_NOT_YET, False),
]
REGISTERED_FACTS = {_REG_DONE, _REG_NOT_YET}  # no plan words can turn these into a plan

HANDOFF = re.compile(
    r"(?:转|找|要|接|叫|换|切|请)(?:个|一下|一个)?人工(?!智能|审核|审批|成本|费用)|人工(?:客服|服务|坐席|座席|接待|回复|处理|咨询)"
    r"|^人工[\s?!.。]*$|(?:转|找|联系|要|叫|接|换|让|请)(?:一下|个|一个|一位|你们的?)?(?:客服|工作人员|真人|专人|专员|老师)"
    r"|真人(?:客服|回答|回复|服务|聊|对话|沟通)|工作人员(?:联系|打电话|回电|对接|帮)我|(?:联系|打个?电话给|回个?电话给?|致电)我|给我(?:打|回)个?电话"
    r"|找(?:个)?人(?:聊|问|咨询|帮我|说|谈)|^(?:我要|我想)?找(?:个)?人[\s?!.。吧]*$|^(?:客服|真人)[\s?!.。]*$"
    r"|(?<![a-z])(?:talk|speak|chat) (?:to|with) (?:a |an |the |your )?(?:real |live )?"
    r"(?:human|person|someone|agent|staff|representative|operator)"
    r"|real person|live agent|human agent|(?:connect|transfer) me|^(?:human|agent|operator)[\s.!?]*$"
)
COMPLAINT = re.compile(
    r"投诉|举报|不满(?![足\d一二两三四五六七八九十半])|太差|很差|真差|差劲|(?<!防)骗(?!补)|拖延|一直拖|拖了|拖着|拖欠"
    r"|没人管|没人理|没人回|太慢|差评|态度(?:很|太|非常|特别|极其|也太)?(?:差|不好|恶劣|冷漠|傲慢|敷衍|蛮横)|维权|纠纷|争议"
    r"|没用(?=[啊吗呀嘛!。,?]|$)|毫无用处|一点用都没有|答非所问|不靠谱|什么破|推诿|踢皮球|不作为|刁难|乱收费|吃拿卡要|效率(?:太|很|极)?低|失望|垃圾(?!分类|处理|回收|焚烧)"
    r"|(?<![a-z])(?:complain|complaint|terrible|awful|unacceptable|scam|cheated|ripped off|rude|dispute)"
)
IP_WORDS = re.compile(r"专利|知识产权|商标|版权|著作权|软著|侵权|patent|trademark|copyright")
IP_DISPUTE = re.compile(r"维权|纠纷|争议|dispute")

_PLACE = r"园区|孵化器|产业园|科技园|众创空间|加速器"
PLACE = re.compile(_PLACE + r"|(?<![a-z])(?:park|incubator)s?(?![a-z])")  # a question about a park
PARK = re.compile(
    rf"推荐.{{0,8}}(?:{_PLACE}|场地|办公室|载体)|(?:{_PLACE}).{{0,4}}推荐"
    rf"|(?:哪个|哪些|哪家|哪几个|什么|哪类|哪种)(?:样的)?.{{0,4}}(?:{_PLACE})"
    r"|(?:去|在|到)哪(?:里|儿)?.{0,2}(?:落户|落地|注册|入驻|办公|租)|落户(?:到|在)?哪|哪(?:里|儿)落户"
    r"|哪个区(?:比较|更)?(?:好|合适|适合|政策好)|(?:注册|落户|落地|办公)(?:在|到)哪|(?:区|园)[和与跟还是]?.{0,4}哪个(?:更|比较)?(?:好|合适|适合)|(?:想|要|申请|怎么|如何|能不能|可以|能否)入驻|入驻(?:条件|要求|流程|门槛|哪|申请)"
    r"|[找租][^,;!?。]{0,5}(?:场地|办公室|工位|厂房|园区|实验室)|找(?:个|一个)?地方办公"
    rf"|(?:合适|适合)[^,;!?。]{{0,6}}(?:{_PLACE})"
    r"|选址|which park|recommend (?:a |an |some )?(?:park|incubator)|office space|find (?:an |a )?(?:office|incubator)"
    r"|where should (?:we|i) (?:set up|register|locate|base)"
)
FUND = re.compile(
    r"推荐.{0,8}(?:基金|投资机构|投资人|融资|贷款|金融产品|资金)"
    r"|(?:哪个|哪些|哪家|哪几个|什么|哪类|哪种)(?:样的)?.{0,4}(?:基金|投资机构|投资人|贷款|金融产品|融资渠道|资金支持|融资方式)"
    r"|(?:找|拉|寻求|对接|需要|想要|想|要)(?:点|些|一些|一笔)?(?:投资|融资|资金|钱|天使投资|风投|vc)(?![吗么])"
    r"|钱从哪|资金从哪|(?<!不)缺钱|没钱|(?<!不)缺[^,;!?。]{0,4}(?:资金|经费)|(?:什么|哪些|哪种|哪类)[^,;!?。]{0,4}资金(?![^,;!?。]{0,4}(?:到账|拨付|下来|用途))"
    r"|融资难|怎么融资|如何融资|融资渠道|能融到|拿到投资|去哪(?:里|儿)?(?:融资|贷款|借钱|找钱)"
    r"|适合(?:我们|我)?.{0,6}(?:基金|贷款|融资)|(?:基金|贷款|融资).{0,6}适合(?:我们|我)|(?:能|可以|想|要|需要)贷(?:款|多少)"
    r"|which fund|recommend (?:a |an |some )?(?:fund|investor|loan)|raise (?:money|funds|capital|a round|a seed)"
    r"|find investors|funding options|get (?:a )?loan|need (?:an? |some )?(?:investors?|funding|capital|money|loan)"
)
RECOMMEND_ME = re.compile(r"适合(?:我们|我)的|给(?:我们|我)推荐|推荐(?:一下|几个|一些)?$|recommend")
FILLER = re.compile(
    r"[\s,.;:!?。、~～…\-—_'\"()“”‘’【】\[\]啊呀呢吧哈啦嘛哦嗯噢喔哟唉诶的了么呐哇耶]+|请问"
    r"|(?<![a-z])(?:there|so much|a lot|very much|again)(?![a-z])"
)
WORDY = re.compile(r"[a-z0-9\u4e00-\u9fff]")
OUT_OF_SCOPE = re.compile(
    r"天气|气温|下雨|下雪|雾霾|股票|炒股|a股|大盘|涨停|写代码|写个?程序|写一?段.{0,6}代码|debug|菜谱|食谱|做菜"
    r"|怎么做.{0,3}(?:菜|饭|肉|鱼|汤)|红烧|美食|好吃的|火锅|小吃|旅游|景点|好玩的|彩票|双色球|中奖|明星(?!企业|产品|项目|公司)"
    r"|八卦|追星|爱豆|恋爱|女朋友|男朋友|分手|失恋|相亲|表白|翻译|讲个?笑话|写.{0,2}诗|算命|星座运势|塔罗|电影推荐"
    r"|推荐.{0,3}电影|歌曲|(?<![a-z])(?:weather|stocks?|recipe|cook|cooking|travel|tourist|lottery|celebrity"
    r"|girlfriend|boyfriend|dating|translate|joke|horoscope|movie)(?![a-z])|write (?:me )?(?:a |some )?(?:code|python|script|poem)"
)
CONTEXT_OK = re.compile(r"翻译|英文|中文|translate|english|chinese")  # "那翻译成英文呢" refers to our answer
BUSINESS = re.compile(
    r"创业|公司|企业|政策|园区|基金|补贴|补助|注册|融资|投资|贷款|专利|知识产权|商标|人才|项目|产品|团队|孵化|申请|申报"
    r"|办理|落户|入驻|税|社保|执照|商业|市场|客户|场景|算力|资金|奖励|产业|创新|科技|招聘|股权|上市|营收|政府|服务中心"
    r"|平台|小程序|(?<![a-z])(?:startups?|compan\w*|business\w*|polic\w*|parks?|funds?|funding|subsid\w*|grants?"
    r"|loans?|invest\w*|patents?|regist\w*|incubators?|talent|founders?|team|products?|app)(?![a-z])"
)
ELIGIBILITY = re.compile(
    r"(?:我|我们|我司|本公司|我公司)[^,;!?。]{0,12}(?:能不能|能否|可不可以|可否|是否能|是否可以|有没有可能|能)"
    r"(?:拿到|拿|获得|享受|领到|申请到|批下来|批|通过|得到|入选)"
    r"|(?:我|我们|我司|本公司|我公司)[^,;!?。]{0,12}(?:是否符合|符不符合|符合不符合|够不够|满足不满足|是否满足"
    r"|有没有资格|有资格吗|够格|达标吗|符合[^,;!?。]{0,8}[吗么]|满足[^,;!?。]{0,8}[吗么])"
    r"|帮(?:我|我们)(?:确认|判断|审核|核实|看看|看一下|查|查一下|评估)[^,;!?。]{0,10}"
    r"(?:能不能|是否|符不符合|符合|资格|条件|进度|状态|结果|批)"
    r"|(?<!多久出)(?<!多久有)(?:审批结果|审核结果|评审结果|申请结果)"
    r"|(?:申请|审批|审核|办理|材料)[^,;!?。]{0,4}(?:到|走到)(?:哪一步|哪一?个?环节|哪了|什么程度)"
    r"|办到哪|进度查询|查询进度|(?:查|查询|看)(?:一下|下)?(?:我的|我们的)?(?:申请|审批|审核|补贴|项目)?(?:进度|状态)"
    r"|(?:我|我们|我司|我公司)[^,;!?。]{0,12}(?:被驳回|被拒|没有?通过|未通过|不通过)|还没有?(?:结果|消息|回复|动静|批下来)|申请状态|审批状态|审核通过了吗|批下来了吗|通过了没|(?:补贴|资金|钱|款)(?:什么时候|啥时候|何时)(?:能)?(?:到账|下来|发放|拨付|打过来)"
    r"|(?:什么时候|啥时候|何时)(?:能)?(?:到账|批下来|拨付)"
    r"|am i eligible|are we eligible|do (?:i|we) qualify|(?:my|our) application|application status"
)
GENERAL_CONDITION = re.compile(
    r"什么(?!时候)|哪些|哪个|哪种"
)  # "我们需要满足什么条件吗" asks the rule, not a ruling
SENSITIVE = re.compile(
    r"行贿|受贿|贿赂|送.?礼(?!品|盒)|[送塞给].?.?红包|给.{0,6}(?:送|塞)(?:钱|红包|礼|好处)|好处费|回扣|[走找托拉].?个?关系"
    r"|拉关系|走后门|打点关系|上下打点|疏通关系|内幕|内部消息|骗补|虚假材料|假材料|材料造假|造假|伪造|套取|套补|虚开发票"
    r"|洗钱|偷税|逃税|自杀|轻生|不想活|跳楼|寻死|(?<!安全)(?<!网络)(?<!病毒)威胁(?!检测|情报|感知|分析|防护)|上访|闹事"
    r"|报复(?!性)|(?<![a-z])(?:brib\w*|kickbacks?|suicid\w*|kill (?:myself|me)|fake (?:documents|invoices|materials)"
    r"|fraud\w*|insider)(?![a-z])"
)
FOLLOWUP = re.compile(
    r"^(?:那|那么|还有|另外|然后|所以|这个|那个|它|这些|那些|具体|详细)"
    r"|怎么(?:申请|办|弄|报|做|操作|申报|领|用|联系|去)|如何(?:申请|办理|申报|操作)|需要(?:什么|哪些|多久|多长)"
    r"|什么(?:材料|条件|时候|流程|要求)|哪些(?:材料|资料|条件|手续|证件|证明)|准备(?:什么|哪些|啥)|带(?:什么|哪些)|哪(?:里|儿)?(?:办|申请|交|报|领)|在哪|去哪|多少|多久|几天|多长时间"
    r"|还有(?:呢|吗|别的|其他)|具体|详细|展开|说说|讲讲|举个?例|为什么|呢[?]*$"
    r"|^(?:and|what about|how about)(?![a-z])|how (?:do|can|should) (?:i|we) (?:apply|get|register|start)|how much|how long"
    r"|where (?:do|can|should) (?:i|we)|what (?:documents|materials|else)|tell me more|more details|next step"
)
