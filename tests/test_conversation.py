"""Follow-up questions: history validation, how a follow-up is recognised and read, and
answers with the real model."""

import pytest

from assistant.conversation import (HistoryError, MAX_HISTORY_MESSAGES, document_kind_named, focus, history_questions, is_fragment,
                                    leans_on_context, naming_document, narrows, readings, refers_to_document)
from assistant.tokenize import collect_user_terms, normalize, tokenizer_for


@pytest.fixture(scope="module")
def tokenizer():
    return tokenizer_for(collect_user_terms([]))


def turn(question, answer="……"):
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@pytest.mark.parametrize("history, problem", [
    ("个人收入要低于多少", "消息列表"), ({"role": "user"}, "消息列表"), (["text"], r"history\[0\]"),
    ([{"role": "system", "content": "x"}], "role"), ([{"role": "user", "content": 5}], "content"),
    ([{"role": "user"}], "content"),
])
def test_malformed_history_is_refused_naming_the_problem(history, problem):
    with pytest.raises(HistoryError, match=problem):
        history_questions(history)


def test_history_keeps_the_user_questions_of_the_last_ten_messages():
    history = [m for i in range(8) for m in turn(f"问题{i}")]
    assert history_questions(history) == [f"问题{i}" for i in range(8 - MAX_HISTORY_MESSAGES // 2, 8)]
    assert history_questions(None) == [] and history_questions([]) == []


def test_follow_up_wording_is_recognised_and_standalone_questions_are_not(tokenizer):
    for question in ["那公司呢", "它从哪天开始施行", "这个能和别的减缴叠着用吗", "能减几年的", "北京呢？", "还有别的吗",
                     "除了这俩，别的费用咋算", "那两个保护中心今年要干啥", "除了补钱，还要罚款吗"]:
        assert leans_on_context(question, tokenizer), question
    # ("要交啥材料" names its own subject: whether it continues is left to the evidence.)
    for question in ["个人一个月挣多少以下才能申请专利费减缴", "天津有几个区成了国家知识产权试点示范城区",
                     "明天天气怎么样", "要交啥材料"]:
        assert not leans_on_context(question, tokenizer), question
    assert focus("那公司呢？") == "公司" and is_fragment("那公司呢") and not is_fragment("那公司要交多少钱")
    # "X的话" leaves a condition open, like "X呢": the rest is the last question's.
    assert leans_on_context("企业的话？", tokenizer) and focus("企业的话？") == "企业" and is_fragment("企业的话？")
    assert focus("要是两个人一起申请的话呢") == "两个人一起申请"
    # "多久/多长" ask something of their own: the answer need not name every noun.
    assert not is_fragment("它比要求的时间提前了多久建成") and not is_fragment("那能延多长")


def test_a_sibling_fragment_keeps_the_frame_and_the_question_word_not_the_item(tokenizer):
    texts = [r.text for r in readings("调解的纠纷呢", "天津双保护中心2021年备案服务了多少企业", tokenizer)
             if r.how == "sibling"]
    assert len(texts) == 1
    sibling = texts[0]
    assert "调解的纠纷" in sibling and "2021年" in sibling and sibling.endswith("多少")
    assert "备案" not in sibling and "企业" not in sibling
    # A question of its own ask is no sibling fragment.
    assert not [r for r in readings("那调解纠纷多少件", "天津双保护中心2021年备案服务了多少企业", tokenizer)
                if r.how == "sibling"]


def test_fixed_expressions_are_not_names(tokenizer):
    from assistant.tokenize import normalize
    assert "算在里面" not in tokenizer.names(normalize("具体有哪些费用不算在里面"))
    assert "上海" in tokenizer.names(normalize("上海的专利资助有多少"))


def test_readings_replace_a_subject_word_or_carry_the_subject(tokenizer):
    texts = {r.how: [] for r in readings("那公司呢", "个人想申请专利费减缴，收入得低于多少？", tokenizer)}
    for r in readings("那公司呢", "个人想申请专利费减缴，收入得低于多少？", tokenizer):
        texts[r.how].append(r.text)
    assert texts["alone"] == ["那公司呢"]
    assert "公司想申请专利费减缴，收入得低于多少？" in texts["replaced"]
    carried = readings("它从哪天开始施行", "专利收费减缴办法是哪年发的？", tokenizer)[-1]
    assert carried.how == "carried" and carried.text.startswith("专利收费减缴") and "它" not in carried.text


def test_a_follow_up_with_a_pronoun_swaps_no_subject_word(tokenizer):
    """"那它后来结果咋样" is about the subject the last question named: no word is replaced."""
    hows = [r.how for r in readings("那它后来结果咋样", "商标巡回评审庭挂牌那天审了什么案子", tokenizer)]
    assert "replaced" not in hows and "carried" in hows
    assert "replaced" in [r.how for r in readings("那公司咋样", "个人申请专利费减缴有啥条件", tokenizer)]
    # A new word does not take the place of a place or a year.
    replaced = [r.text for r in readings("换成中小企业呢", "天津2022年对高校搞知识产权有啥要求？", tokenizer)
                if r.how == "replaced"]
    assert "天津2022年对中小企业搞知识产权有啥要求？" in replaced
    assert not [t for t in replaced if "天津" not in t or "2022" not in t], replaced


def test_a_carried_reading_keeps_the_qi_of_qita(tokenizer):
    # 其 is dropped as a pronoun ("其有效期"), not out of 其他 (the reading is shown as "理解为：…").
    carried = readings("其他费用要几天", "申请费想减免的话，什么时候提出来？", tokenizer)[-1]
    assert carried.how == "carried" and "其他费用" in carried.text


def test_the_asked_category_is_not_carried_as_the_subject(tokenizer):
    carried = readings("它从哪天开始执行的", "专利收费减缴办法是哪几个部门一起发的", tokenizer)[-1]
    assert carried.how == "carried" and carried.text.startswith("专利收费减缴")
    assert "部门" not in carried.text and "哪几个" not in carried.text


def test_a_place_fragment_asks_the_previous_question_about_that_place(tokenizer):
    about_tianjin = readings("北京呢？", "天津2021年底有效发明专利多少件", tokenizer)
    # Not glued: "天津…多少件，北京呢" would be answered by any passage naming 北京.
    assert [r.how for r in about_tianjin] == ["alone", "replaced"]
    assert about_tianjin[-1].text == "北京2021年底有效发明专利多少件"
    assert readings("上海呢", "专利费用减缴备案要多久", tokenizer)[-1].text == "上海专利费用减缴备案要多久"
    # A place with a bare ask is the same follow-up.
    assert leans_on_context("北京是多少？", tokenizer) and leans_on_context("上海那边怎么样", tokenizer)
    assert readings("北京是多少？", "天津2021年专利授权量是多少", tokenizer)[-1].text == "北京2021年专利授权量是多少"
    assert not leans_on_context("北京银行能做专利质押贷款吗", tokenizer)


def test_the_x_one_after_a_fee_is_that_fee(tokenizer):
    texts = [r.text for r in readings("复审的呢", "申请费能不能少交？", tokenizer)]
    assert "复审费能不能少交？" in texts


def test_a_fragment_swaps_the_subject_not_the_asked_attribute_and_a_year_swaps_the_year(tokenizer):
    swapped = [r.text for r in readings("那商标注册费呢", "专利申请费减缴比例是多少", tokenizer) if r.how == "replaced"]
    assert swapped and all("比例是多少" in text for text in swapped)
    year = readings("2022年呢", "天津2021年专利授权量多少", tokenizer)
    assert year[-1].how == "replaced" and year[-1].text == "天津2022年专利授权量多少"


@pytest.mark.slow
def test_a_pronoun_follow_up_asking_when_it_took_effect(shipped_assistant):
    answer = shipped_assistant.ask("这个办法哪天开始生效", history=turn("专利收费减缴办法是哪两个部门联合发的"))
    assert answer.context_used and "部门" not in answer.resolved_question
    assert answer.found and "2016年9月1日" in answer.answer


@pytest.mark.slow
def test_a_follow_up_asking_which_ones_is_answered_by_instances_without_the_word(shipped_assistant):
    # "哪些费用": the answer names the fees (公布印刷费…), not the word 费用.
    answer = shipped_assistant.ask("具体哪些费用不包括在内", history=turn("申请费可以少交吗"))
    assert answer.context_used and answer.found and "公布印刷费" in answer.answer


@pytest.mark.slow
def test_a_follow_up_no_reading_answers_is_not_answered_alone_unless_clearly(shipped_assistant):
    # How to file the declaration is stated nowhere; alone, the question would be answered
    # with the 15% cut, less than clearly.
    answer = shipped_assistant.ask("那开放许可声明在哪里提交", history=turn("专利开放许可期间年费减多少"))
    assert not answer.found


def test_a_follow_up_about_this_document_is_recognised():
    for question in ["这份文件从哪天开始施行", "它是哪个部门发的", "那这个办法现在还有效吗", "该公告的文号是多少"]:
        assert refers_to_document(question), question
    for question in ["这个中心在哪", "那公司呢", "复审费能减多少"]:
        assert not refers_to_document(question), question
    assert naming_document("这个文件是哪两个部门发的", "测试办法") == "《测试办法》是哪两个部门发的"


@pytest.mark.slow
def test_this_document_is_the_one_the_previous_answer_quoted(shipped_assistant):
    answer = shipped_assistant.ask("这个文件是哪两个部门发的", history=turn("个人收入多少以下能申请减缴专利费"))
    assert answer.found and answer.mode == "document" and answer.context_used
    assert "财政部" in answer.answer and answer.resolved_question.startswith("《专利收费减缴办法")
    answer = shipped_assistant.ask("它是哪天发布的", history=turn("开放许可期间年费能减多少"))
    assert answer.found and "2024年8月6日" in answer.answer


@pytest.mark.slow
def test_a_place_fragment_about_a_place_no_document_speaks_for_is_refused(shipped_assistant):
    history = turn("天津2021年底有效发明专利多少件") + turn("折合每万人有多少")
    answer = shipped_assistant.ask("北京呢？", history=history)
    assert not answer.found and answer.context_used
    # Asked with a bare ask, not answered with the passage about a meeting held in Beijing.
    answer = shipped_assistant.ask("北京是多少？", history=turn("天津2021年专利授权量是多少"))
    assert not answer.found and answer.context_used


@pytest.mark.slow
def test_follow_ups_are_read_with_the_conversation(shipped_assistant):
    answer = shipped_assistant.ask("它从哪天开始施行", history=turn("专利收费减缴办法是哪年发的？"))
    assert answer.context_used and "专利收费减缴办法" in answer.resolved_question
    assert answer.found and "2016年9月1日" in answer.answer
    record = answer.to_dict()
    assert record["context_used"] is True and record["question"] == "它从哪天开始施行"


@pytest.mark.slow
def test_out_of_scope_follow_up_is_refused(shipped_assistant):
    answer = shipped_assistant.ask("上海那年查了多少", history=turn("天津2021年查办商标侵权案件多少起"))
    assert not answer.found


@pytest.mark.slow
@pytest.mark.parametrize("question", ["专利费用减缴备案审核要多久", "天津有几个区成了国家知识产权试点示范城区",
                                      "申请注册商标要交多少钱", "明天天气怎么样"])
def test_standalone_question_with_an_irrelevant_history_gets_the_same_answer(shipped_assistant, question):
    history = turn("PCT申请进入国家阶段哪些费用能免？") + turn("天津2021年底驰名商标有多少")
    alone = shipped_assistant.ask(question)
    with_history = shipped_assistant.ask(question, history=history)
    assert with_history.answer == alone.answer and with_history.found == alone.found
    assert [c.quote for c in with_history.citations] == [c.quote for c in alone.citations]
    assert not with_history.context_used and with_history.resolved_question == question


@pytest.mark.slow
def test_the_verb_of_the_ask_need_not_be_in_the_answer(shipped_assistant):
    """"面向哪些产业": 面向 belongs to the ask; the industries named answer it."""
    answer = shipped_assistant.ask("具体是面向哪些产业", history=turn("天津2022年保护中心要发挥啥作用"))
    assert answer.found and answer.context_used and "新一代信息技术" in answer.answer


def test_a_name_before_the_question_word_is_not_part_of_the_ask():
    from assistant.conversation import leads_to_ask

    assert leads_to_ask("面向", "具体是面向哪些产业", names=[])
    assert not leads_to_ask("北京", "北京哪些银行能贷款", names=["北京"])


@pytest.mark.slow
def test_a_reading_must_ask_what_the_follow_up_asks(shipped_assistant):
    # Glued to "…最晚什么时候提", a follow-up asking an amount would ask "when" (the earlier
    # question word comes first) and be answered with the deadline again; such a reading is
    # not used. A fragment ("那公司呢") asks nothing of its own and borrows the earlier ask.
    asked = shipped_assistant.searcher.parse("那年费逾期交的滞纳金是多少")
    assert not shipped_assistant._asks_the_same("减缴年费的请求最晚什么时候提，那年费逾期交的滞纳金是多少", asked)
    assert shipped_assistant._asks_the_same("减缴 年费 逾期交的滞纳金是多少", asked)


def test_a_reading_must_ask_the_document_fact_the_follow_up_asks(shipped_assistant):
    """"那哪天开始执行" after "…是哪天印发的": both ask a day; glued together the question asks the
    issue date first, so that reading does not count."""
    answer = shipped_assistant.ask("那哪天开始执行", history=turn("专利费减缴办法是哪天印发的"))
    assert answer.found and "2016年9月1日" in answer.answer and "2016年7月27日" not in answer.answer


@pytest.mark.slow
def test_an_everyday_fragment_need_not_repeat_every_word_it_names(shipped_assistant):
    """"我们是代理所，要是代理人帮客户弄的呢" names 代理所 and 客户; the measures say 专利代理机构
    and 专利申请人. Most of its words (IDF-weighted) in the quote are enough for a fragment."""
    answer = shipped_assistant.ask("我们是代理所，要是代理人帮客户弄的呢",
                                   history=turn("申请专利费减缴时用了假材料，查出来会怎么处理"))
    assert answer.found and answer.context_used and "依照有关规定进行处理" in answer.answer


@pytest.mark.slow
def test_the_previous_turn_is_read_with_its_own_predecessor_even_without_a_cue(shipped_assistant):
    """"文号多少" names no document, yet after a question about the 减缴办法 it was about that
    document; a third turn ("这个文件是根据哪部法规定的") is read with that, not alone."""
    history = turn("专利收费减缴办法是谁发的") + turn("文号多少")
    answer = shipped_assistant.ask("这个文件是根据哪部法规定的", history=history)
    assert answer.found and answer.context_used and "专利法实施细则" in answer.answer


def test_narrowing_follow_ups_are_recognised():
    for question in ["具体哪些行业能走", "其中银奖几个", "要是两个人一起申请呢", "我们是两家公司一起申请的", "只看发明专利呢",
                     "光是去企业的呢", "只说小公司的"]:
        assert narrows(question), question
    # "光是/只说" ask nothing: what the follow-up names is the rest.
    assert focus("光是去企业的呢") == "去企业" and focus("那只说小公司呢") == "小公司"
    for question in ["那公司呢", "它从哪天开始施行", "北京呢？", "天津2021年专利授权量是多少"]:
        assert not narrows(question), question


@pytest.mark.slow
def test_a_narrowing_follow_up_is_read_as_the_last_question_with_it_added(shipped_assistant):
    answer = shipped_assistant.ask("具体哪些产业能走", history=turn("天津有专利快速审查的通道吗"))
    assert answer.found and answer.context_used and "新一代信息技术" in answer.answer
    assert answer.resolved_question.startswith("天津有专利快速审查的通道吗")


@pytest.mark.slow
def test_a_follow_up_is_not_answered_by_repeating_the_last_answer(shipped_assistant):
    """"拿银奖的是哪家？" after "第22届中国专利奖天津拿了几项": no document names the winner. Glued
    together, an insurer's name (a company, the asked kind) led the answer and 银奖 stood only
    in the repeated prize sentence."""
    question, follow_up = "第22届中国专利奖天津拿了几项", "拿银奖的是哪家？"
    first = shipped_assistant.ask(question)
    assert first.found and "银奖" in first.answer
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first.answer}]
    assert not shipped_assistant.ask(follow_up, history=history).found


@pytest.mark.slow
def test_what_a_follow_up_asks_must_be_stated_about_what_it_names(shipped_assistant):
    """No document says how long a patent term may be extended. Glued to the fee question,
    "几年" was answered by "年费（自授予专利权当年起六年内的年费）", a duration of another fee."""
    answer = shipped_assistant.ask("那补偿期最多能补几年？", history=turn("专利权补偿期的年费怎么收"))
    assert not answer.found
    answer = shipped_assistant.ask("那实审费能减多少", history=turn("个人申请专利费减缴收入要低于多少"))
    assert answer.found and "实质审查费" in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("previous, question, expected", [
    # A statement of the asker's case, with no ask, is the last question asked of that case.
    ("个人申请专利费减缴能减多少", "我们是两家公司一起申请的", "70%"),
    # "有啥特别的意义" asks something of the 纲要: the answer ("首个以天津市委市政府名义印发…")
    # need not say 意义.
    ("天津那个知识产权强市建设纲要22年准备怎么推进", "它要是批下来了有啥特别的意义", "首个"),
    # "那几年" points back to the compensation period the last question named.
    ("我们公司有件专利想申请把保护期补回来，光递这个申请要交多少钱？", "批下来之后多出来的那几年呢", "8000元"),
    # "换成…呢" swaps the applicant; 名义 ("in whose name") names nothing the answer must repeat.
    ("我们公司刚起步，没赚什么钱，专利费能不能少交点？要满足啥条件", "换成我个人名义去申呢", "3500元"),
    # The previous question's closing 啊 is a filler, not part of what it asked.
    ("申请专利的钱能减多少啊", "我跟朋友俩人一块申请的", "70%"),
    # "学校这种事业单位": a school is an example; the answer names the kind (事业单位) only.
    ("打工的人申请减专利费，要开什么收入证明？", "学校这种事业单位呢", "法人证明材料复印件"),
    # "复审的呢" after a question about a fee: the 复审 fee.
    ("申请费能不能少交？", "复审的呢", "复审费"),
    # "光是…的呢" narrows to a part of the last question's case; 光是 names nothing.
    ("为群众办实事那次，局里派了多少人出去服务", "光是去企业的呢", "326户次"),
    # "有专门给青少年的吗": the 比赛 the last question asked which ones of is left out after 的.
    ("天津去年都搞了哪些比赛", "有专门给青少年的吗", "青少年小发明大赛"),
])
def test_follow_ups_answered_with_the_last_question(shipped_assistant, previous, question, expected):
    answer = shipped_assistant.ask(question, history=turn(previous))
    assert answer.context_used and answer.found and expected in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("follow_up, previous", [
    ("这些东西每次申请都得重新交一遍吗", "申请专利费减缴需要交哪些材料？"),  # jieba tags 东西 a place name
    ("同一年第二回申请，这些证明还得再交吗？", "个人申请减缴专利费得交啥证明？"),  # 同一: wording, not a noun
])
def test_generic_words_of_a_follow_up_need_not_be_in_the_answer(shipped_assistant, follow_up, previous):
    answer = shipped_assistant.ask(follow_up, history=turn(previous))
    assert answer.found and answer.context_used and "无需再提交相关证明材料" in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("previous, follow_up", [
    # A year the follow-up newly names: the 2021 figure does not answer it.
    ("天津2021年专利授权量多少？", "你觉得2022年能涨到多少？"),
    # The largest single fine: the total of the fines ("罚没款总额1100万元") does not answer it.
    ("天津2021年一共查了多少起商标侵权案？", "其中罚得最多的一起罚了多少钱？"),
])
def test_a_follow_up_the_last_answer_does_not_answer_is_refused(shipped_assistant, previous, follow_up):
    assert not shipped_assistant.ask(follow_up, history=turn(previous)).found


def test_a_rank_or_the_largest_one_is_an_answer_kind():
    from assistant.query import answer_kind

    assert answer_kind("这个数在全国排第几").name == "rank"
    assert answer_kind("其中罚得最多的一起罚了多少钱").name == "most"
    assert answer_kind("最多能减多少").name != "most"
    # The top one: "which is first" asks for the one ranked first, not a count.
    assert answer_kind("考核排第一的是哪个区").name == "most"
    assert answer_kind("哪个区排名第一").name == "most"


def test_an_a_not_a_question_asks_something_of_its_own():
    from assistant.conversation import is_fragment

    assert not is_fragment("那里面包不包括申请附加费？")
    assert is_fragment("那公司呢")


@pytest.mark.slow
@pytest.mark.parametrize("previous, question, quoted", [
    # 国知局 is the 国家知识产权局; a 零头 of a year is the part under a full year.
    ("减缴请求书没签字盖章会被驳回吗？", "那要是没用国知局的请求书，自己做的表呢？", "未使用国家知识产权局制定的收费减缴请求书"),
    ("专利权补偿期年费多少钱？", "要是补偿期不到一年，零头咋算？", "不足一年部分不收取"),
    # 官方的模板 is the form the 国家知识产权局 made; 还没交的费 are the fees not yet paid.
    ("减缴请求书要是没签字盖章，还能批吗？", "这个请求书必须用官方的模板吗", "未使用国家知识产权局制定的收费减缴请求书"),
    ("减缴请求批了以后怎么交钱？", "批了之后专利权人换了人，还没交的费怎么办？", "重新提交收费减缴请求"),
    # Rules that 打架 (conflict) and the one to 听谁的 (follow): 不一致 … 为准.
    ("专利减费这个办法是哪天开始执行的？", "它要是跟以前的规定打架了听谁的", "以本办法为准"),
    # 中行 is the 中国银行.
    ("天津21年知识产权质押融资搞得怎么样", "22年还跟中行合作吗", "中国银行天津分行开展战略合作"),
])
def test_everyday_words_in_a_follow_up_are_understood(shipped_assistant, previous, question, quoted):
    answer = shipped_assistant.ask(question, history=turn(previous))
    assert answer.found and quoted in answer.answer


def test_a_question_said_to_be_new_is_recognised_unless_it_borrows():
    from assistant.conversation import opens_new_topic

    assert opens_new_topic("对了，减缴请求书能用我们自己做的表格吗？")
    assert opens_new_topic("另外问下，天津2021年专利授权量是多少？")
    assert opens_new_topic("顺带问一句，PCT申请进国家阶段其他收费按啥执行？")
    assert opens_new_topic("换个话题，开放许可声明怎么提交？")
    assert not opens_new_topic("另外，年费呢")  # a fragment still borrows the last question
    assert not opens_new_topic("另外它是哪天施行的")  # so does a pronoun
    assert not opens_new_topic("那公司呢")


@pytest.mark.slow
def test_a_question_said_to_be_new_is_answered_alone(shipped_assistant):
    question = "对了，减缴请求书能用我们自己做的表格吗？"
    answer = shipped_assistant.ask(question, history=turn("公司一年应税所得多少以下能申请专利费打折？"))
    assert not answer.context_used and answer.resolved_question == question
    assert answer.answer == shipped_assistant.ask(question).answer


@pytest.mark.slow
def test_a_third_turn_is_also_read_after_the_second_as_typed(shipped_assistant):
    # "实审的费用呢" is read as the first question about 实审; "复审的呢" is then asked as the
    # second question was typed, about 复审 (the 复审费 of the fee list).
    history = []
    for question in ("申请专利时交的那个申请费能申请便宜点吗", "实审的费用呢"):
        reply = shipped_assistant.ask(question, history=list(history))
        history += turn(question, reply.answer)
    answer = shipped_assistant.ask("复审的呢", history=history)
    assert answer.found and answer.context_used and "复审费" in answer.answer


def test_another_numbered_item_of_the_same_document_is_quoted_whole(shipped_assistant):
    # "第四条呢" after the first item of announcement 594 asks its item "四、" (which the
    # announcement numbers as a heading, not as "第四条").
    first = "594号公告第一条讲的是什么？"
    reply = shipped_assistant.ask(first)
    assert reply.found and "专利权期限补偿请求费" in reply.answer
    answer = shipped_assistant.ask("第四条呢", history=turn(first, reply.answer))
    assert answer.found and answer.context_used and "四、通过批量著录项目变更请求" in answer.answer
    assert "著录事项变更费" in answer.answer
    refused = shipped_assistant.ask("594号公告第九条讲的是什么")
    assert "没有第九条" in refused.answer


def test_asking_which_ones_is_not_answered_by_the_count_again(shipped_assistant):
    # "全市7个区成为国家知识产权试点示范城区" counts the districts and names none of them.
    first = "天津有几个区是国家知识产权试点示范城区？"
    reply = shipped_assistant.ask(first)
    assert reply.found and "7个区" in reply.answer
    assert not shipped_assistant.ask("具体哪几个", history=turn(first, reply.answer)).found
    # A count that lists its items answers "which ones" by the same sentence.
    first = "天津2021年在几条产业链上布局了知识产权运用促进中心？"
    reply = shipped_assistant.ask(first)
    assert reply.found and "动力电池" in reply.answer
    answer = shipped_assistant.ask("具体哪几条", history=turn(first, reply.answer))
    assert answer.found and "动力电池" in answer.answer


def test_a_follow_up_asking_whether_it_includes_a_fee_is_answered_by_the_list(shipped_assistant):
    first = "专利申请费能申请减缴吗？"
    reply = shipped_assistant.ask(first)
    answer = shipped_assistant.ask("那里面包不包括申请附加费？", history=turn(first, reply.answer))
    assert answer.found and "不包括公布印刷费、申请附加费" in answer.answer


def test_what_a_follow_up_asks_for_need_not_be_named_by_the_documents(shipped_assistant):
    # jieba tags 前提条件 as a name; it is what is asked ("有什么前提条件"), answered by the
    # condition itself ("且不涉及权利转移的"), not by the word.
    first = "批量改申请人名字的话，著录事项变更费怎么收？"
    reply = shipped_assistant.ask(first)
    answer = shipped_assistant.ask("上面说的这个有什么前提条件吗", history=turn(first, reply.answer))
    assert answer.found and "不涉及权利转移" in answer.answer


@pytest.mark.parametrize("typed, read", [
    ("嗯当时现场坐了多少人", "当时现场坐了多少人"),
    ("哦那就是挑个最划算的用哈", "那就是挑个最划算的用"),
    ("好的，那公司呢？", "那公司呢？"),
    ("年费那种，最晚得提前多久交阿", "年费那种，最晚得提前多久交"),
    ("哈尔滨呢", "哈尔滨呢"),  # a place, not a laugh
    ("额度多少", "额度多少"),  # 额度, not the filler 额
    ("额 其他费用呢", "其他费用呢"),  # 额 typed for 呃, before a pause
    ("啊？", "啊？"),  # nothing but a filler: kept as typed
])
def test_spoken_fillers_at_the_ends_are_dropped(typed, read):
    from assistant.conversation import without_fillers

    assert without_fillers(typed) == read


def test_a_filler_no_longer_hides_the_follow_up_cue(tokenizer):
    from assistant.conversation import without_fillers

    assert not leans_on_context("哦那就是挑个最划算的用哈", tokenizer)
    assert leans_on_context(without_fillers("哦那就是挑个最划算的用哈"), tokenizer)
    # "换成…呢" swaps the subject: what follows it is the fragment.
    assert focus("换成我个人名义去申呢") == "我个人名义去申" and is_fragment("换成中小企业呢")


def test_those_few_years_is_no_question():
    from assistant.query import answer_kind

    # "那几年" / "这几天" point back; they do not ask how many.
    assert answer_kind("批下来之后多出来的那几年呢") is None
    assert not is_fragment("那要等几年") and is_fragment("批下来之后多出来的那几年呢")
    assert answer_kind("审查要等几年").name == "duration"


@pytest.mark.slow
def test_the_question_is_returned_as_typed_with_its_fillers(shipped_assistant):
    answer = shipped_assistant.ask("嗯，那公司呢？", history=turn("个人申请专利费减缴收入要低于多少"))
    assert answer.question == "嗯，那公司呢？" and answer.context_used
    assert "嗯" not in answer.resolved_question


@pytest.mark.slow
def test_a_follow_up_no_document_answers_alone_is_read_with_the_context(shipped_assistant):
    # No cue word says it follows up, and alone it is refused (which proof, of what?); read
    # with the question about small companies' fee reductions, it is answered.
    previous, question = "小公司想申请专利打折，一年利润得低于多少？", "公司去申请的话要交啥材料证明？"
    assert not shipped_assistant.ask(question).found
    answer = shipped_assistant.ask(question, history=turn(previous))
    assert answer.context_used and answer.found and "企业所得税年度纳税申报表" in answer.answer


def test_a_head_noun_left_out_after_de_is_the_one_last_asked_about(tokenizer):
    """"有专门给青少年的吗" after "…办了哪些比赛" asks about 比赛; a follow-up with its own
    question word ("有哪几家跟着一起弄的") has its own head."""
    texts = [r.text for r in readings("有专门给青少年的吗", "天津去年都办了哪些比赛", tokenizer)]
    assert any(t.endswith("有专门给青少年的比赛吗") for t in texts), texts
    texts = [r.text for r in readings("那保险公司呢，有哪几家跟着一起弄的", "天津跟哪些银行对接过贷款", tokenizer)]
    assert not any(t.endswith("的银行") for t in texts), texts


@pytest.mark.slow
def test_a_follow_up_about_what_the_last_answer_named_is_not_answered_by_repeating_it(shipped_assistant):
    """"它是靠哪家单位建起来的" asks something new of the centre the last answer named: the
    sentence that named it does not answer that."""
    history = []
    for question in ["2021年天津在哪几条产业链上布局了知识产权运营中心", "其中哪个成了国家级的"]:
        reply = shipped_assistant.ask(question, history=list(history))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": reply.answer}]
    answer = shipped_assistant.ask("它是靠哪家单位建起来的", history=history)
    assert answer.found and answer.context_used and "中科院天津工业生物技术研究所" in answer.answer


def test_a_fragment_takes_the_place_of_a_word_of_its_own_kind(tokenizer):
    """"那实审费呢" after a question naming 客户 and 申请费 swaps the fee, not the client."""
    texts = [r.text for r in readings("那实审费呢", "客户的PCT是国家局检索的，进国家阶段申请费还要交吗", tokenizer)
             if r.how == "replaced"]
    assert texts == ["客户的PCT是国家局检索的，进国家阶段实审费还要交吗"], texts


def test_a_case_named_after_asking_for_others_is_what_is_asked():
    """"还有别的X吗，比如Y": Y is the case asked about; a second ask ("哪几条") is no case."""
    from assistant.conversation import asked_case

    assert asked_case("还有啥情况会被驳回吗，比如没盖章") == "没盖章"
    assert asked_case("还有别的办法吗，像找调解委员会那种") == "找调解委员会"
    assert asked_case("还有别的产业链吗，哪几条") is None
    assert asked_case("还有，公司的呢") is None
    assert asked_case("还有别的吗") is None


def test_a_follow_up_asking_for_others_is_answered_about_its_example(shipped_assistant):
    # Read with the whole last question, the example drowns in its words and nothing is answered.
    answer = shipped_assistant.ask("还有啥情况会被驳回吗，比如没盖章", history=turn("减缴请求书要怎么填"))
    assert answer.found and answer.context_used
    assert "未签字或者盖章" in answer.answer


def test_readings_are_kept_for_the_next_turns_and_bounded(shipped_assistant, monkeypatch):
    """A third turn reads the second again: its readings come back the same from the kept ones,
    and no more than READINGS_KEPT are kept."""
    import assistant.service as service

    monkeypatch.setattr(service, "READINGS_KEPT", 5)
    shipped_assistant._readings.clear()
    history = turn("申请费的减缴请求啥时候提")
    first = shipped_assistant.ask("那年费的呢", history=history)
    assert 0 < len(shipped_assistant._readings) <= 5
    again = shipped_assistant.ask("那年费的呢", history=history)
    assert (again.answer, again.resolved_question, again.context_used) == (first.answer, first.resolved_question,
                                                                           first.context_used)
    shipped_assistant.ask("复审费呢", history=history)
    assert len(shipped_assistant._readings) <= 5


def test_a_follow_ups_own_short_forms_are_spelt_out_before_it_is_read(shipped_assistant):
    # "复审的钱" is 复审费: read as typed, the fragment asked an answer to mention 钱.
    answer = shipped_assistant.ask("复审的钱呢", history=turn("实审费能申请减缴吗"))
    assert answer.found and answer.context_used
    assert "复审费" in answer.answer


def test_the_kind_others_are_asked_of_is_answered_by_an_instance(shipped_assistant):
    # 工具 is what "还有别的…工具吗" asks for: the answer names a 系统, not the word 工具.
    answer = shipped_assistant.ask("还有别的查专利的工具吗", history=turn("天津有没有查知产信息的官方网站"))
    assert answer.found and answer.context_used
    assert "专利信息检索及分析系统" in answer.answer


def test_others_of_a_kind_are_asked_for():
    from assistant.conversation import is_asked

    assert is_asked("工具", "还有别的查专利的工具吗")
    assert is_asked("费用", "其他费用呢")
    assert not is_asked("工具", "这个工具是谁建的")


def test_that_sum_of_a_fee_is_that_fee(shipped_assistant):
    answer = shipped_assistant.ask("复审那笔呢", history=turn("专利年费能打折的话，管几年"))
    assert answer.found and answer.context_used
    assert "复审费" in answer.answer


def test_a_third_turn_nothing_reads_with_the_second_is_read_with_the_first(shipped_assistant):
    history = turn("天津2022年工作要点里，拿专利押给银行贷款这块有什么安排？") + turn("今年跟哪家银行搞战略合作？")
    answer = shipped_assistant.ask("在园区里靠什么网点推", history=history)
    assert answer.found and answer.context_used
    assert "科技支行" in answer.answer


def test_a_follow_up_no_reading_answers_is_answered_alone_when_clearly_confident(shipped_assistant):
    # A fragment of its own ("…那块，…的比例呢") that no reading with the earlier turns answers.
    history = turn("天津那边21年查了多少家专利代理所") + turn("约谈的呢")
    answer = shipped_assistant.ask("打击不正常申请那块，前三批撤回的比例呢", history=history)
    assert answer.found and "99.1%" in answer.answer


def test_who_is_in_charge_of_what_no_document_speaks_of_is_refused(shipped_assistant):
    # "归谁管" asks for a body: the sentence on enforcement in general names none for live streams.
    answer = shipped_assistant.ask("那直播间卖假货的归谁管", history=turn("天津21年对电商平台上卖山寨货管了吗"))
    assert not answer.found


def test_a_second_request_in_the_same_year_is_understood(shipped_assistant):
    # 同一年 is a 自然年度 and a 第二次 request is 再次: no proofs are needed again.
    answer = shipped_assistant.ask("因为课题多，同一年里第二次再申请呢", history=turn("我们所是事业单位，申请专利费减免要附啥材料"))
    assert answer.found and "无需再提交相关证明材料" in answer.answer


def test_a_count_no_sentence_states_is_refused(shipped_assistant):
    # The sentence on the tribunal says when it opened ("4月份"), not how many cases it heard.
    history = turn("天津那个商标的巡回评审庭，挂牌那天审了谁的案子") + turn("结果咋样")
    answer = shipped_assistant.ask("这个评审庭到现在一共审了多少案子", history=history)
    assert not answer.found


def test_a_fact_asked_of_something_no_document_mentions_is_refused(shipped_assistant):
    # No document speaks of renewing a trademark (续展): the patent fee glued in front must not answer it.
    answer = shipped_assistant.ask("同样是国知局收的，那商标续展一次得交多少钱？", history=turn("补偿期年费是咋收的？"))
    assert not answer.found
    # A follow-up whose nouns the documents do use is still answered.
    answer = shipped_assistant.ask("那请求费呢", history=turn("补偿期年费是咋收的？"))
    assert answer.found and "200元" in answer.answer


def test_the_money_a_fragment_asks_about_is_named_by_an_amount(shipped_assistant):
    # "罚没的钱呢": no quote says 钱; the amount in 元 is the money asked about.
    answer = shipped_assistant.ask("罚没的钱呢", history=turn("我是跑知产口的记者，天津21年一共查了多少起商标侵权的案子"))
    assert answer.found and answer.context_used and "1100万元" in answer.answer


def test_asking_for_what_the_last_answer_left_out_is_recognised():
    from assistant.conversation import asks_for_others

    assert asks_for_others("剩下的其他费用呢")
    assert asks_for_others("除了这俩，别的费用咋算")
    assert not asks_for_others("它最后批成了啥级别的？")  # 级别的 only contains 别的
    assert not asks_for_others("这个纲要有啥特别的地方")
    assert not asks_for_others("那公司呢")


@pytest.mark.slow
def test_the_rest_is_not_the_sentences_the_last_answer_quoted(shipped_assistant):
    """"剩下的其他费用呢" after the fees a PCT application is spared: the third sentence of that
    item ("…其他收费标准依照国内部分执行"), not the two the asker has just read."""
    question = "从国外走PCT进中国，要是中国局做的受理和检索，实质审查费还用交吗"
    first = shipped_assistant.ask(question)
    assert first.found and "免缴实质审查费" in first.answer and "依照国内部分执行" not in first.answer
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first.answer}]
    answer = shipped_assistant.ask("剩下的其他费用呢", history=history)
    assert answer.found and answer.context_used
    assert "依照国内部分执行" in answer.answer and "免缴实质审查费" not in answer.answer


@pytest.mark.slow
def test_a_quoted_sentence_about_others_may_answer_again(shipped_assistant):
    """"能和别的减缴叠着用吗" after the open-licence discount: the sentence already quoted says so
    ("同时适用其他专利收费减免政策的…不得重复享受") and still answers."""
    question = "开放许可期间的专利年费有优惠吗"
    first = shipped_assistant.ask(question)
    assert first.found and "不得重复享受" in first.answer
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first.answer}]
    answer = shipped_assistant.ask("这个能和别的减缴叠着用吗", history=history)
    assert answer.found and "不得重复享受" in answer.answer


@pytest.mark.slow
def test_a_follow_up_asking_the_fine_for_a_case_is_not_answered_by_a_years_total(shipped_assistant):
    """No document sets a fine for a case; "罚没款总额1100万元" is 2021's total."""
    answer = shipped_assistant.ask("违规代理被查到，一般罚多少钱？", history=turn("天津2022年代理行业蓝天整治主要打击啥？"))
    assert not answer.found
    assert "1100万元" in shipped_assistant.ask("天津21年查了多少起卖山寨牌子的案子，罚了多少钱").answer


@pytest.mark.slow
def test_a_notice_named_by_a_number_no_shipped_document_has_gets_no_date_of_another(shipped_assistant):
    """财税〔2024〕23号 is cited by the 594 announcement; its date is in no shipped text, and
    594's own date ("2024年8月6日") is not it, alone or after a question about 594."""
    question = "财税2024年23号那个通知是哪天印发的？"
    assert not shipped_assistant.ask(question).found
    assert not shipped_assistant.ask(question, history=turn("594号公告是依据哪几个通知出的？")).found
    assert "2024年8月6日" in shipped_assistant.ask("594号公告是哪天发的").answer


@pytest.mark.slow
def test_a_dictionary_compound_no_document_holds_whole_counts_by_its_halves(shipped_assistant):
    """"国家验收" is one word to jieba; the summary says "通过国家知识产权局验收". Both halves
    are in the documents, so the follow-up names nothing they never mention."""
    answer = shipped_assistant.ask("市里那个是几月份过的国家验收？",
                                   history=turn("我们是做家电的，天津那两个保护中心一共给多少家企业做了备案服务？"))
    assert answer.found and answer.context_used and "3月份" in answer.answer


@pytest.mark.slow
def test_conditions_asked_are_answered_only_by_a_quote_stating_some(shipped_assistant):
    """No document says what a company needs to be served by the protection centres: the
    sentence counting the companies they served states no condition."""
    history = turn("天津那两个保护中心一共给多少家企业做了备案服务？")
    assert not shipped_assistant.ask("企业想去备案要满足啥条件", history=history).found
    answer = shipped_assistant.ask("那公司要满足啥条件", history=turn("个人申请专利费减缴，收入要低于多少？"))
    assert answer.found and "30万元" in answer.answer


@pytest.mark.slow
def test_the_money_a_follow_up_asks_about_is_named_by_a_fee(shipped_assistant):
    """"其他的钱怎么收" after the fees a PCT application is spared: 钱 is named by the answer's
    收费 ("…其他收费标准依照国内部分执行"), not a word no document has. The money for something
    the answer does not name ("注册商标的钱") still is."""
    history = []
    for question in ("PCT申请进入中国国家阶段，申请费要交吗？", "那提实审的时候呢"):
        reply = shipped_assistant.ask(question, history=list(history))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": reply.answer}]
    answer = shipped_assistant.ask("其他的钱怎么收", history=history)
    assert answer.found and answer.context_used and "依照国内部分执行" in answer.answer
    assert not shipped_assistant.ask("那注册商标的钱能少交吗？", history=turn("个人申请专利，费用能减多少")).found


@pytest.mark.slow
def test_a_document_fact_fragment_is_answered_only_by_a_documents_fact(shipped_assistant):
    """"印发日期呢" asks a document's issue date: no event's date in a Tianjin sentence answers
    it, and the third turn is read with the first, which named the 减缴办法."""
    history = []
    for question in ("16年财政部发的那个专利收费减缴办法是哪天开始施行的？", "跟以前规定对不上的地方？"):
        reply = shipped_assistant.ask(question, history=list(history))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": reply.answer}]
    answer = shipped_assistant.ask("印发日期呢", history=history)
    assert answer.found and answer.mode == "document" and "2016年7月27日" in answer.answer


@pytest.mark.slow
def test_this_announcement_is_the_cited_document_of_that_kind(shipped_assistant):
    """"这个公告是哪天发的" after an answer citing both the 594 announcement and the 减缴办法 (a
    notice): the announcement's date, not the notice's."""
    first = "国知局24年那个调专利收费的公告，开放许可那段时间年费能打几折"
    history = turn(first, shipped_assistant.ask(first).answer)
    second = "我们是事业单位，本来按减缴办法就能减85%，这俩能叠一块用吗"
    history += turn(second, shipped_assistant.ask(second, history=list(history)).answer)
    answer = shipped_assistant.ask("这个公告是哪天发的来着", history=history)
    assert answer.found and "2024年8月6日" in answer.answer and "2016年" not in answer.answer
    assert document_kind_named("这个公告是哪天发的") == "公告" and document_kind_named("它是哪天发的") is None


def test_a_pointer_names_the_whole_phrase_of_the_last_question(tokenizer):
    """"这个考核" after "…头一回搞的各区保护考核…" is 各区保护考核; the phrase stops at a function
    word ("想知道" is not part of it) and a pointer at nothing the last question said finds none."""
    from assistant.conversation import pointed_phrase

    previous = normalize("想知道21年市局头一回搞的各区保护考核，一共考了几个区？")
    assert pointed_phrase(normalize("这个考核22年还接着搞吗"), previous, tokenizer) == ("考核", "各区保护考核")
    assert pointed_phrase(normalize("这个大会是哪天开的"), previous, tokenizer) is None
    assert pointed_phrase(normalize("那22年呢"), previous, tokenizer) is None


@pytest.mark.slow
def test_a_pointed_follow_up_carries_the_phrase_it_points_at(shipped_assistant):
    """"这个考核22年还接着搞吗" is answered by the 2022 point on the districts' protection review,
    not by the 2022 work points' opening lines."""
    answer = shipped_assistant.ask("这个考核22年还接着搞吗",
                                   history=turn("想知道21年市局头一回搞的各区保护考核，一共考了几个区？"))
    assert answer.found and answer.context_used and "扎实组织对各区知识产权保护工作考核" in answer.answer


@pytest.mark.slow
def test_a_year_compared_with_needs_no_mention_of_its_own(shipped_assistant):
    """"比20年涨了多少" is answered by "同比增长29.8%": 2020 is the year compared with, not one the
    answer must name (as "那2022年呢" must be)."""
    answer = shipped_assistant.ask("专利授权那边呢，比20年涨了多少",
                                   history=turn("21年天津全年商标申请量是多少？"))
    assert answer.found and answer.context_used and "29.8%" in answer.answer


@pytest.mark.slow
def test_an_item_asked_by_number_is_the_item_of_the_list_just_quoted(shipped_assistant):
    """"第二点展开说说" then "第三点呢" after the summary's shortcomings ("…主要体现在:一是…。
    二是…。三是…。"): that list's second and third items, each in its own section of the index."""
    first = "天津知识产权局2021年工作自己说有哪些不足"
    history = turn(first, shipped_assistant.ask(first).answer)
    second = shipped_assistant.ask("第二点展开说说", history=history)
    assert second.found and second.context_used and "二是行政保护有短板" in second.answer
    history += turn("第二点展开说说", second.answer)
    third = shipped_assistant.ask("第三点呢", history=history)
    assert third.found and "三是创新主体知识产权意识较弱" in third.answer and "二是" not in third.answer
    # Nor from a document the asker has left out of the search.
    kept_out = shipped_assistant.ask("第三点呢", history=history,
                                     filters={"doc_ids": ["patent_fee_reduction_measures_2016.txt"]})
    assert "三是创新主体" not in kept_out.answer
    # Without a list just quoted, a number names no item of it.
    assert "三是创新主体" not in shipped_assistant.ask("第三点呢", history=turn("个人申请专利费减缴收入要低于多少")).answer


@pytest.mark.slow
def test_this_matter_names_nothing_the_answer_must_repeat(shipped_assistant):
    """"这个事市局是联合哪几个部门一起干的": 事 (this matter) is no topic of its own that the
    answer ("联合市教委、市工信局,…沉睡专利…") would have to name."""
    history = turn("我们是专精特新小巨人企业，市局22年对中小企业知识产权有啥扶持方向吗")
    history += turn("听说要把高校放着没用的专利转给中小企业？怎么个转法")
    answer = shipped_assistant.ask("这个事市局是联合哪几个部门一起干的", history=history)
    assert answer.found and answer.context_used and "市教委" in answer.answer
