"""Understanding founder messages: real phrasings, corrections, intents and their look-alikes."""

from __future__ import annotations

import pytest

from assistant import understand as und
from assistant.reply import Profile
from assistant.understand import (
    add_topic_terms,
    classify_intent,
    detect_language,
    extract_profile,
    is_eligibility_ruling_request,
    is_followup,
    is_sensitive,
    parse_count,
    summarize_profile,
    topic_terms,
)


def profile_of(text: str, current: Profile | None = None) -> Profile:
    return extract_profile(text, current or Profile())[0]


def intent(text: str, profile: Profile | None = None, has_context: bool = False) -> str:
    return classify_intent(text, profile or Profile(), has_context)


# --- language --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("We are a team of 4 building drones in Chengdu", "en"),
        ("How do I apply for 算力券?", "en"),
        ("hi", "en"),
        ("我们做AI应用，想申请算力券", "zh"),
        ("eVTOL适航怎么办", "zh"),
        ("GPU算力券怎么申请", "zh"),
        ("我们是做SaaS的startup", "zh"),
        ("", "zh"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


# --- profile: the brief's examples -----------------------------------------------------------------


def test_drone_team_just_started():
    p, changed = extract_profile("我们三个人做无人机，刚起步，成都能给什么支持？", Profile())
    assert (p.track, p.team_size, p.stage) == ("低空经济", 3, "seed")
    assert changed == ["track", "stage", "team_size"]


def test_llm_team_in_high_tech_zone_wants_gpus():
    p = profile_of("我们是做大模型应用的，在高新区，想找GPU算力")
    assert (p.track, p.district, p.registered_in_chengdu) == ("人工智能", "高新区", True)
    assert "compute" in p.needs


def test_english_team_of_four():
    text = "We are a team of 4 building drones in Chengdu"
    p = profile_of(text)
    assert (p.track, p.team_size, detect_language(text)) == ("低空经济", 4, "en")


# --- profile: tracks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("我们做飞行汽车", "低空经济"),
        ("团队在做eVTOL整机", "低空经济"),
        ("我们是做AIGC的", "人工智能"),
        ("我们在做智能体产品", "人工智能"),
        ("做机器学习算法的", "人工智能"),
        ("我们做创新药", "生物医药"),
        ("细胞治疗方向", "生物医药"),
        ("我们做手术机器人", "生物医药"),
        ("我们做游戏，想出海", "数字文创"),
        ("做元宇宙和数字内容", "数字文创"),
        ("我们做氢燃料电池", "绿色氢能"),
        ("我们做机器狗", "人形机器人"),
        ("具身智能方向的创业团队", "人形机器人"),
        ("我们做卫星星座", "商业航天"),
        ("我们做数控机床", "工业母机"),
        ("做芯片设计的", "集成电路"),
        ("我们做无人机，用AI做避障", "低空经济"),
        ("他们做AI，我们做机器人", "人形机器人"),  # someone else's track is not ours
        ("我们不做芯片，做芯片测试设备", "集成电路"),
        ("We build humanoid robots", "人形机器人"),
        ("We are a biotech startup", "生物医药"),
        ("we make mobile games", "数字文创"),
        ("我们是做手游的小团队", "数字文创"),
        ("四足方向的团队", "人形机器人"),
        ("satellite data company", "商业航天"),
        ("我们做SaaS软件", "软件和信息服务"),
        ("我们开奶茶店", "消费零售"),
    ],
)
def test_track_synonyms(text, track):
    assert profile_of(text).track == track


@pytest.mark.parametrize(
    "text",
    [
        "我是电子科技大学毕业的",  # 电子 inside a university name is not 电子信息
        "我是四川农业大学的学生",  # nor is 农业 inside 川农
        "有软件著作权算知识产权吗",  # 软件著作权 is IP, not a software track
        "你是机器人吗",  # asking about the assistant
        "你们这个机器人回答得不对",
    ],
)
def test_no_track_from_look_alikes(text):
    assert profile_of(text).track is None


# --- profile: corrections --------------------------------------------------------------------------


def test_negated_track_is_not_taken():
    assert profile_of("我们不是做AI的，是做生物医药").track == "生物医药"


def test_negated_track_replaces_the_current_one():
    p, changed = extract_profile("我们不是做AI的，是做生物医药", Profile(track="人工智能"))
    assert p.track == "生物医药" and changed == ["track"]


def test_denial_alone_forgets_the_track():
    assert profile_of("其实我们不是做AI的", Profile(track="人工智能")).track is None


def test_team_size_correction():
    assert profile_of("不是三个人，是五个人", Profile(team_size=3)).team_size == 5


def test_correction_marker_wins_over_the_first_number():
    assert profile_of("我们三个人，不对，说错了，应该是四个人").team_size == 4


def test_already_registered():
    p = profile_of("我们已经注册了", Profile(registered_in_chengdu=False, stage="idea"))
    assert p.registered_in_chengdu is True


def test_english_negation():
    assert profile_of("We're not doing AI anymore, we do biotech now").track == "生物医药"


# --- profile: stage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("我现在只有一个想法", "idea"),
        ("刚毕业想创业", "idea"),
        ("还没注册公司", "idea"),
        ("刚注册了公司", "seed"),
        ("拿了天使轮", "seed"),
        ("We just started", "seed"),
        ("我们是初创企业", "early"),
        ("刚完成A轮", "early"),
        ("产品已经有收入了", "early"),
        ("我们已经B轮了", "growth"),
        ("年收入千万以上", "growth"),
        ("we are raising our series B", "growth"),
        ("刚起步，还没有收入", "seed"),  # 没有收入 is not 有收入
        ("所有客户都在外地，我们刚起步", "seed"),
        ("营收不到千万，刚成立", "seed"),
    ],
)
def test_stage(text, stage):
    assert profile_of(text).stage == stage


# --- profile: team size ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("我们三个人", 3),
        ("团队5人", 5),
        ("团队有十几个人", 12),
        ("我们两个人在做", 2),
        ("就我一个人", 1),
        ("我自己一个人创业", 1),
        ("我们是一个8人团队", 8),
        ("团队二十多人", 22),
        ("我们两三个人", 3),
        ("team of 4", 4),
        ("We are 3 co-founders", 3),
        ("I'm a solo founder", 1),
        ("我们三个人，还想再招两个人", 3),  # 招两个人 is hiring, not the team
    ],
)
def test_team_size(text, size):
    assert profile_of(text).team_size == size


@pytest.mark.parametrize(
    "text",
    ["三个人工智能项目", "需要招5个人", "超过100人的企业有什么要求", "两个人形机器人样机", "几个人可以申请"],
)
def test_no_team_size(text):
    assert profile_of(text).team_size is None


@pytest.mark.parametrize(
    ("raw", "n"), [("三", 3), ("十几", 12), ("二十多", 22), ("两三", 3), ("几十", 30), ("15", 15)]
)
def test_parse_count(raw, n):
    assert parse_count(raw) == n


# --- profile: needs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("想找个办公室，顺便问问有没有补贴", ["space", "funding"]),
        ("缺钱也缺人", ["funding", "talent"]),
        ("模型训练需要GPU", ["compute"]),
        ("想申请专利和商标", ["ip"]),
        ("需要应用场景做试点", ["scenarios"]),
        ("想找客户，做市场推广", ["market"]),
        ("eVTOL适航认证怎么做", ["certification"]),
        ("我们主要需要资金和人才，场地暂时不需要", ["funding", "talent"]),  # the denial follows the need
        ("我们的机器人现在有客户了", []),  # 有客户 is the stage, not a need
        ("办这个要多少钱", []),  # a price, not a funding need
        ("我们有专利", []),  # a fact, not a need
    ],
)
def test_needs(text, needs):
    assert profile_of(text).needs == needs


@pytest.mark.parametrize(
    ("text", "needs", "wants"),
    [
        ("想申请贷款", ["funding"], ["loan"]),
        ("有什么基金适合我们？", [], ["equity"]),  # the thing asked about, not a need said
        ("想申请贷款，推荐什么贷款？", ["funding"], ["loan"]),
        ("推荐一下适合我们的基金", [], ["equity"]),
        ("算力太贵了，有什么补贴？", ["compute"], ["subsidy"]),
        ("Which fund fits us?", [], ["equity"]),
        ("有什么办法找投资", ["funding"], ["equity"]),  # 找投资 says they want it
        ("缺钱", ["funding"], []),  # money of no particular kind
        ("不想贷款，想找投资", ["funding"], ["equity"]),
    ],
)
def test_kind_of_money_asked_for(text, needs, wants):
    p = profile_of(text)
    assert (p.needs, p.wants) == (needs, wants)


def test_wants_follow_the_latest_question():
    assert profile_of("那贷款呢", Profile(wants=["equity"])).wants == ["loan"]
    assert profile_of("那怎么申请？", Profile(wants=["loan"])).wants == ["loan"]
    assert profile_of("我们不想贷款", Profile(wants=["loan"])).wants == []


def test_topics_are_kept_but_not_reported_as_news():
    p, changed = extract_profile("我们刚起步，在做中试放大", Profile())
    assert p.topics == ["中试"] and changed == ["stage"]
    p, changed = extract_profile("专精特新", Profile())
    assert p.topics == ["专精特新"] and changed == []  # a bare topic is a question, not a fact
    assert profile_of("那怎么申请？", Profile(topics=["中试"])).topics == ["中试"]


def test_needs_are_added_not_replaced():
    assert profile_of("还想招人", Profile(needs=["space"])).needs == ["space", "talent"]


def test_negated_need_is_removed():
    assert profile_of("我们不缺钱，主要缺人", Profile(needs=["funding"])).needs == ["talent"]


# --- profile: district, university, booleans -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "district", "registered"),
    [
        ("我们在高新区注册", "高新区", True),
        ("公司在天府新区", "天府新区", True),
        ("我们在郫都区", "郫都区", True),
        ("想在东部新区落户", "东部新区", None),  # a plan, not a fact
        ("龙泉驿有什么汽车配套政策", "龙泉驿区", None),
        ("我们不在高新区，在天府新区", "天府新区", True),
        ("西安高新区的政策", None, None),
        ("We are based in the high-tech zone", "高新区", None),
        ("我朋友在高新区开公司，我想在天府新区", "天府新区", None),  # the friend's district is not ours
    ],
)
def test_district(text, district, registered):
    p = profile_of(text)
    assert (p.district, p.registered_in_chengdu) == (district, registered)


@pytest.mark.parametrize(
    ("text", "university"),
    [
        ("我是成电毕业的", "电子科技大学"),
        ("我们团队来自川大", "四川大学"),
        ("我是西南交大的研究生", "西南交通大学"),
        ("我们是西财的校友", "西南财经大学"),
        ("把产品做成电商平台", None),  # 成电 inside 做成电商
        ("四川大力支持创业", None),
    ],
)
def test_university(text, university):
    assert profile_of(text).university == university


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我是第一次创业", True),
        ("之前没创过业", True),
        ("我是连续创业者", False),
        ("这是我二次创业", False),
        ("I'm a serial entrepreneur", False),
        ("想参加连续创业在成都的活动", None),  # an event's name, not a fact about the founder
    ],
)
def test_first_time(text, value):
    assert profile_of(text).first_time is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我们在成都注册", True),
        ("公司注册在成都", True),
        ("公司在北京", False),
        ("我们在外地注册的", False),
        ("还没注册", False),
        ("想在成都注册公司", None),
        ("已注册商标", None),  # a trademark, not the company
        ("在成都注册公司要多久", None),  # a question, nobody's company is the subject
        ("公司不在成都，能申请吗", False),
        ("Our company is registered in Shanghai", False),
    ],
)
def test_registered(text, value):
    assert profile_of(text).registered_in_chengdu is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我们有发明专利", True),
        ("拥有3项发明专利", True),
        ("没有专利", False),
        ("我们还没有知识产权", False),
        ("所有专利都能质押吗", None),
        ("没有发明专利，但有实用新型专利", True),
        ("有没有专利都能申请吗", None),
        ("如果有专利可以质押吗", None),
        ("we have two patents", True),
    ],
)
def test_has_ip(text, value):
    assert profile_of(text).has_ip is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我们是初创期的小公司，有收入了", True),
        ("去年营收300万", True),
        ("已经开始盈利了", True),
        ("还没有收入", False),
        ("有没有收入都能申请吗", None),
        ("科创贷要求有收入吗", None),
        ("如果没有收入能贷款吗", None),
        ("we are pre-revenue", False),
    ],
)
def test_has_revenue(text, value):
    assert profile_of(text).has_revenue is value


def test_unchanged_profile_reports_nothing():
    current = Profile(track="低空经济", team_size=3)
    p, changed = extract_profile("那怎么申请？", current)
    assert p == current and changed == []


def test_summarize_profile():
    p = Profile(track="低空经济", stage="seed", team_size=3, needs=["space", "funding"])
    assert summarize_profile(p) == "赛道：低空经济；阶段：种子期；团队 3 人；需求：场地、资金"
    assert summarize_profile(Profile()) == ""
    assert "首次创业" in summarize_profile(Profile(first_time=True, district="高新区"))
    assert summarize_profile(Profile(stage="early", has_revenue=True)) == "阶段：初创期；已有收入"


# --- intents ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # handoff: explicit requests for a person
        ("我要转人工", "handoff"),
        ("人工", "handoff"),
        ("找真人客服", "handoff"),
        ("帮我联系工作人员", "handoff"),
        ("请让工作人员联系我", "handoff"),
        ("I want to talk to a real person", "handoff"),
        ("can I speak to a human", "handoff"),
        # ...and its look-alikes
        ("人工智能有哪些政策", "policy_question"),
        ("转人工智能赛道有支持吗", "policy_question"),
        ("客服电话是多少", "policy_question"),  # asks for information; the answer gives the number
        ("我们做客服机器人", "policy_question"),
        ("We build AI agents for factories", "policy_question"),
        ("能不能打个电话给我详细说", "handoff"),
        ("我需要人工审核吗", "policy_question"),  # manual review is a procedure, not a person for me
        # complaint
        ("我要投诉园区工作人员态度太差", "complaint"),
        ("补贴一直拖着不发，没人管", "complaint"),
        ("你们这是骗人的吧", "complaint"),
        ("和园区有合同纠纷", "complaint"),
        ("I want to file a complaint", "complaint"),
        ("申请了三个月了还没结果，太慢了", "complaint"),
        ("你们这个机器人回答的都是什么啊，没用", "complaint"),
        ("不满足条件还能申请吗", "policy_question"),
        ("专利被侵权了怎么维权", "policy_question"),
        ("我不是投诉，就想问问进度", "policy_question"),
        # park routing
        ("推荐一个适合我们的园区", "park_routing"),
        ("做无人机的去哪里落户比较好", "park_routing"),
        ("想找个便宜的办公室", "park_routing"),
        ("怎么入驻孵化器", "park_routing"),
        ("我们做机器狗，有合适的园区吗？", "park_routing"),
        ("有适合我们的产业园吗", "park_routing"),
        ("which park fits a robotics startup?", "park_routing"),
        ("高新区和天府新区哪个更适合做AI", "park_routing"),
        ("还没注册公司，注册在哪个区比较好", "park_routing"),
        ("We don't need office space, we need investors", "fund_routing"),
        # fund routing
        ("有哪些基金适合我们", "fund_routing"),
        ("我们想融资，钱从哪来", "fund_routing"),
        ("找投资有什么渠道", "fund_routing"),
        ("有什么贷款适合我们这种轻资产公司", "fund_routing"),
        ("which fund should we apply to?", "fund_routing"),
        ("还没注册，缺启动资金，有什么政府资金可以找？", "fund_routing"),
        ("我们缺研发经费", "fund_routing"),
        ("我们不缺资金，想找场地", "park_routing"),
        ("资金什么时候到账", "policy_question"),
        ("天使基金怎么申请", "policy_question"),  # a named instrument's procedure
        # smalltalk
        ("你好", "smalltalk"),
        ("谢谢！", "smalltalk"),
        ("在吗？", "smalltalk"),
        ("你是谁", "smalltalk"),
        ("你能做什么？", "smalltalk"),
        ("hello there", "smalltalk"),
        ("thanks so much!", "smalltalk"),
        ("你好，我们做无人机，有什么政策", "policy_question"),
        ("谢谢，那怎么申请？", "policy_question"),
        # out of scope
        ("今天成都天气怎么样", "out_of_scope"),
        ("推荐几只股票", "out_of_scope"),
        ("帮我写一段Python代码", "out_of_scope"),
        ("红烧肉怎么做", "out_of_scope"),
        ("成都有什么好玩的景点", "out_of_scope"),
        ("我和女朋友分手了怎么办", "out_of_scope"),
        ("what's the weather tomorrow", "out_of_scope"),
        ("推荐下成都的火锅", "out_of_scope"),
        ("开火锅店有补贴吗", "policy_question"),
        ("我们做旅游App，有补贴吗", "policy_question"),
        ("把这段政策翻译成英文", "policy_question"),
        ("科创明星企业有什么支持", "policy_question"),
        # policy questions
        ("算力券怎么申请", "policy_question"),
        ("高新技术企业认定需要什么条件", "policy_question"),
        ("先投后股是什么意思", "policy_question"),
    ],
)
def test_classify_intent(text, expected):
    assert intent(text) == expected


def test_complaint_wins_over_a_plain_handoff_request():
    assert intent("服务太差了，转人工") == "complaint"


def test_follow_up_with_context_is_not_out_of_scope():
    assert intent("那翻译成英文呢", has_context=True) == "policy_question"
    assert intent("帮我翻译一下这句话") == "out_of_scope"
    assert intent("What is the weather like?", has_context=True) == "out_of_scope"


def test_routing_falls_back_on_the_profile_needs():
    assert intent("有什么适合我们的？", Profile(needs=["space"])) == "park_routing"
    assert intent("有什么适合我们的？", Profile(needs=["funding"])) == "fund_routing"
    assert intent("有什么适合我们的？") == "policy_question"
    assert intent("有什么适合我们的？", Profile(wants=["loan"])) == "fund_routing"


def test_a_park_question_is_about_parks_whatever_the_team_needs():
    assert intent("有适合我们的园区吗？", Profile(needs=["funding"])) == "park_routing"


# --- eligibility rulings, sensitive topics, follow-ups ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我能不能拿到这笔补贴", True),
        ("我们公司符合条件吗，帮我确认一下", True),
        ("审批结果出来了吗", True),
        ("我的申请到哪一步了", True),
        ("进度查询", True),
        ("帮我查一下申请状态", True),
        ("补贴什么时候到账", True),
        ("帮我看看我们能不能申请高新技术企业", True),
        ("申请了三个月了还没结果", True),
        ("为什么我们申请的算力券被驳回了", True),
        ("Am I eligible for the compute voucher?", True),
        ("需要什么条件", False),
        ("申请条件是什么", False),
        ("哪些企业可以申请算力券", False),
        ("我们需要满足什么条件吗", False),
        ("算力券怎么申请", False),
    ],
)
def test_eligibility_ruling(text, expected):
    assert is_eligibility_ruling_request(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("给评审送礼能不能快点批", True),
        ("有没有办法走关系", True),
        ("能不能用虚假材料申请", True),
        ("怎么套取补贴", True),
        ("有没有内幕消息", True),
        ("再不批我就去上访", True),
        ("创业失败了不想活了", True),
        ("我们做网络安全威胁检测", False),
        ("送礼品的电商平台有补贴吗", False),
        ("骗补会有什么后果", True),
        ("算力券怎么申请", False),
    ],
)
def test_sensitive(text, expected):
    assert is_sensitive(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("那怎么申请？", True),
        ("需要什么材料", True),
        ("要准备哪些材料？", True),
        ("去的时候要带什么？", True),
        ("在哪办", True),
        ("多少钱", True),
        ("还有呢", True),
        ("具体说说", True),
        ("how do I apply?", True),
        ("算力券怎么申请", False),  # names its own topic
        ("人工智能有哪些政策", False),
        ("你好", False),
        ("我们三个人做无人机，刚起步，成都能给什么支持？", False),
        ("好的", False),
    ],
)
def test_followup(text, expected):
    assert is_followup(text) is expected


# --- topics ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("创新券怎么领", ["科技创新券"]),
        ("GPU补贴和算力券是一回事吗", ["算力券"]),
        ("专利贷款怎么办", ["知识产权质押融资"]),
        ("先投后股和天使基金有什么区别", ["先投后股", "天使基金"]),
        ("大模型备案要多久", ["生成式人工智能服务备案"]),
        ("eVTOL适航三证", ["适航"]),
        ("高企和专精特新哪个先申请", ["高新技术企业", "专精特新"]),
        ("提高企业竞争力", []),
        ("你好", []),
    ],
)
def test_topic_terms(text, topics):
    assert topic_terms(text) == topics


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("还没注册公司，有什么支持？", []),  # a fact about the team
        ("我们尚未申请算力券，能给什么扶持？", []),
        ("我们不需要算力券", []),
        ("有没有注册公司的补贴？", ["工商注册"]),  # 有没有 is a question
        ("注册公司去哪办？", ["工商注册"]),
        ("未来产业天使基金投什么？", ["天使基金"]),  # 未来 is not 未
    ],
)
def test_topic_terms_asked_only(text, asked):
    assert topic_terms(text, asked_only=True) == asked


def test_add_topic_terms():
    add_topic_terms({"示例·测试园": ["测试园"]})
    assert topic_terms("测试园在哪") == ["示例·测试园"]
    assert topic_terms("算力券") == ["算力券"]


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        (
            "我们团队八个人，在武侯区做动漫。想了解政府的宣传视频征集，也想找个园区。",
            "想了解政府的宣传视频征集",
        ),
        ("想问专精特新怎么申报，另外有啥贷款可以申请？", "想问专精特新怎么申报"),
        ("有什么融资方式适合我们", ""),  # one clause, a request for money only
        ("我们做AI的，想了解算力券", ""),  # nothing asks for a park or money
    ],
)
def test_policy_clauses_beside_a_route_request(text, policy):
    assert und.policy_clauses(text) == policy


@pytest.mark.parametrize(
    ("text", "followup"),
    [
        ("要交几年的报表", True),  # asks, no topic of its own
        ("还没注册公司可以报吗", True),  # a topic said of the team is not a new subject
        ("专精特新怎么申报", False),
        ("谢谢", False),
    ],
)
def test_followup_without_a_cue_word(text, followup):
    assert und.is_followup(text) is followup


def test_an_english_alias_still_matches_after_the_gloss():
    assert und.topic_terms("Does Chengdu help with the generative AI（人工智能） service filing?") == [
        "生成式人工智能服务备案"
    ]


@pytest.mark.parametrize(
    ("text", "ruling"),
    [
        ("I submitted our innovation voucher claim two months ago and have heard nothing since.", True),
        ("Just promise me we'll get the compute voucher if we apply.", True),
        ("What is the status of my application?", True),
        ("What documents should our application include?", False),  # how to apply, not a ruling
        ("How do we submit our application for the compute voucher?", False),
    ],
)
def test_english_status_and_promise_requests_go_to_a_person(text, ruling):
    assert und.is_eligibility_ruling_request(text) is ruling


def test_an_ask_for_a_person_is_read_beside_a_complaint_word():
    # 纠纷 is a complaint word; when the examples do not call it a complaint, the ask still counts
    assert und.asks_for_person("我们和园区在租金合同上有纠纷，想找人处理")
    assert not und.asks_for_person("我们想找人才公寓的申请材料")


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("我们做农业植保无人机，核心是飞控", "低空经济"),
        ("我们做农业，种猕猴桃", "现代农业"),
        ("我们做无人机，也给农业用", "低空经济"),
    ],
)
def test_a_compound_names_the_track_of_its_head(text, track):
    assert und.extract_profile(text, Profile())[0].track == track


def test_an_ip_dispute_word_in_a_conversation_about_ip_is_not_a_complaint():
    assert und.classify_intent("去维权要带些啥材料", Profile(), has_context=True) == "complaint"
    assert (
        und.classify_intent("去维权要带些啥材料", Profile(), has_context=True, context="知识产权 外观被抄了")
        == "policy_question"
    )
