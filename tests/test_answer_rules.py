"""Fast checks of the rules that decide what kind of fact a question wants, and of answers
about a document's own date, issuer and number (invented documents, no encoder)."""

from assistant.document_facts import find_document_fact as find_fact_in_query
from assistant.document_facts import names_document
from assistant.documents import DocumentMeta
from assistant.query import Intent, Query, answer_kind
from assistant.store import IndexedDocument
from assistant.tokenize import tokenizer_for


def kind_of(question):
    kind = answer_kind(question)
    return kind.name if kind else None


def states(question, sentence):
    return answer_kind(question).stated_in(sentence)


def test_durations_are_not_years_or_days_of_a_month():
    assert kind_of("备案要等多久") == "duration"
    assert states("备案要等多久", "审核时间由25个自然日压缩到5个工作日")
    assert states("年费减缴能管几年", "自授予专利权当年起六年内的年费")
    assert states("最晚多长时间提出", "在缴纳期限届满日两个半月之前提出")
    assert not states("审查要多长时间", "截止2021年底,全市有效发明专利4.34件")
    assert not states("复审要多久", "419日,国家知识产权局专程到天津挂牌")
    assert not states("复审要多久", "于3月23日通过验收")


def test_a_year_named_relative_to_another_answers_which_year():
    assert states("税表交哪一年的", "同时提交上年度企业所得税年度纳税申报表复印件。")
    assert states("哪一年开始算", "自授予专利权当年起六年内的年费")
    assert not states("税表交哪一年的", "同时提交企业所得税年度纳税申报表复印件。")


def test_day_and_year_questions_want_a_day_or_a_year():
    assert kind_of("规划是哪天印发的") == "day"
    assert states("规划是哪天印发的", "并于2021年4月28日印发")
    assert states("规划是哪天印发的", "并于2021428印发")  # extraction dropped 年月日
    assert not states("规划是哪天印发的", "关于印发2021年工作总结的通知")
    # A year's label ("2021年度…大赛") names which edition, not when something happens.
    assert not states("报名啥时候截止", "开展青少年小发明大赛、2021年度知识产权双创大赛")
    assert states("什么时候开始施行", "本办法自2016年9月1日起施行") and states("啥时候设立的", "2021年设立")
    assert kind_of("纲要管哪几年") == "year" and kind_of("管几年") == "duration"
    assert states("哪年到哪年在位", "475年至477年在位")


def test_grants_and_prices_in_everyday_words_want_an_amount():
    assert kind_of("一个项目能拿到多少资助资金") == "grant"
    assert kind_of("政府能补贴多少保费") == "grant"
    assert states("补贴多少", "按保费的50%给予补贴") and states("资助多少", "每项资助10万元")
    assert not states("能拿到多少资助资金", "累计推出24项知识产权保险产品")  # a count is not a grant
    assert kind_of("贯标认证大概要花多少钱") == "money" and kind_of("马德里注册费用怎么算") == "money"
    assert kind_of("变更费 收费标准 多少元") == "money" and kind_of("复审请求的费用标准是多少") == "money"
    assert kind_of("执行什么收费标准") is None  # which rule, not an amount
    assert kind_of("进国家阶段其他收费标准是按啥执行的") is None  # nor is the rule it follows
    assert kind_of("复审的收费标准是多少") == "money"
    assert kind_of("假冒专利罚了多少钱") == "money" and kind_of("专利押给银行能贷多少") == "money"
    assert kind_of("假冒专利罚款多少") == "fine"  # the fine for a case (see the test below)
    assert kind_of("授信额度有多大") == "money" and kind_of("这个咨询收不收费") == "money"
    assert states("能贷多少", "全年专利质押融资金额12.3亿元") and states("收不收费", "咨询服务免收费用，免缴")
    assert not states("罚款多少", "全年查处假冒专利案件36件")  # a count of cases is no fine


def test_a_phone_number_web_address_or_street_address_wants_one():
    assert kind_of("测试局的咨询电话是多少") == "contact" and kind_of("请求书从哪个网址下载") == "contact"
    assert kind_of("测试中心在哪个区 具体地址有吗") == "contact"
    assert states("咨询电话是多少", "咨询电话：022-12345678。") and states("网址是什么", "详见 www.example.cn")
    assert states("具体地址在哪", "测试中心位于测试路88号。")
    assert not states("咨询电话是多少", "全年接听咨询2.3万次。")  # a count is no phone number
    assert not states("具体地址在哪", "测试中心通过验收并投入运行。")
    assert kind_of("生命热线为哪些人服务") is None  # naming a hotline does not ask for its number
    assert kind_of("测试中心在哪个区，有地址吗") == "contact" and kind_of("地址是啥") == "contact"
    assert not states("有地址吗", "测试中心通过验收并投入运行。")


def test_interest_on_a_loan_asks_a_rate():
    assert kind_of("拿专利押着贷款，利息大概多少") == "rate"
    assert states("利息多少", "贷款年利率3.85%") and not states("利息多少", "累计放款1208家")


def test_how_to_sign_up_is_a_procedure():
    assert kind_of("知识产权大赛咋报名") == "procedure" and kind_of("补贴怎么领取") == "procedure"
    assert states("咋报名", "参赛者通过大赛网上系统提交报名材料")
    assert not states("咋报名", "成功举办第三届知识产权创新创业大赛")  # that it was held says not how


def test_where_to_download_wants_a_web_address_and_opening_hours_a_clock_time():
    assert kind_of("减缴请求书在哪下载啊") == "website" and kind_of("表格从哪儿能下载") == "website"
    assert states("请求书在哪下载", "请求书可从 https://www.example.cn 下载")
    assert not states("请求书在哪下载", "应当提交收费减缴请求书及相关证明材料")  # the form's name is no address
    assert not states("请求书在哪下载", "由户籍所在地县级民政部门出具证明")  # nor a county
    assert kind_of("窗口几点上班") == "hours" and kind_of("办公时间是啥时候") == "hours"
    assert states("窗口几点上班", "工作日上午9:00至下午5:00对外办公") and states("几点开门", "每周一至周五开放")
    assert kind_of("纲要主要有哪几点要求") != "hours"  # 哪几点: which points
    assert not states("窗口几点上班", "纸件专利申请受理由3个工作日压缩到1个工作日")  # days to wait, not hours


def test_which_is_the_most_wants_a_superlative_not_a_total():
    assert kind_of("哪个区的有效发明专利最多") == "most"
    assert kind_of("减缴最多能减多少") == "share"  # 最多 here bounds a share
    assert states("哪个区的有效发明专利最多", "测试区有效发明专利数量居全市首位")
    assert not states("哪个区的有效发明专利最多", "全市有效发明专利4.34万件,同比增长13.78%")


def test_several_is_not_how_many():
    assert kind_of("去年一共曝光了几个典型案例") == "count"
    assert kind_of("那几类单位以外的硬报上去会怎样") is None  # 那几类: "those few kinds"
    assert kind_of("几个部门之间会不会定期碰头") is None  # a yes/no question
    assert kind_of("打算申请几个专利，能不能少交一点") is None


def test_why_and_on_what_basis_questions_want_the_opening_clause():
    from assistant.chunking import PURPOSE_CLAUSE
    from assistant.query import Intent
    assert Intent.read("这个办法是依据哪部法制定的").wants_purpose
    assert Intent.read("出台这个政策的目的是什么").wants_purpose
    assert not Intent.read("减缴比例是多少").wants_purpose
    assert PURPOSE_CLAUSE.search("第一条　为了规范测试行为，根据《测试法》，制定本办法。")
    assert not PURPOSE_CLAUSE.search("第四条　个人减缴85%。")


def test_a_longer_fee_does_not_name_the_fee_it_ends_with_unless_the_question_says_so():
    from assistant.answer import names_fee
    from assistant.tokenize import bigrams
    assert names_fee("（三）年费（自授予专利权当年起六年内的年费）", "年费")
    assert not names_fee("应缴纳专利权补偿期年费，收费标准为每件每年8000元", "年费")
    assert names_fee("应缴纳专利权补偿期年费，收费标准为每件每年8000元", "年费", frozenset(bigrams("期限补偿的年费")))


def test_a_price_question_names_its_fee():
    tokenizer = tokenizer_for([])
    assert Query.parse("找代理机构申请发明，代理费一般多少钱", tokenizer).named_fees == ("代理费",)
    assert Query.parse("发明专利的年费可以减多少", tokenizer).named_fees == ("年费",)
    assert Query.parse("申请专利的费用要交多少", tokenizer).named_fees == ()  # fees in general
    assert Query.parse("个人 专利费 减免 比例 多少", tokenizer).named_fees == ()  # all patent fees
    assert Query.parse("商标注册费要交多少", tokenizer).named_fees == ("商标注册费",)  # jieba: 商标注册 + 费


def _document(doc_id, text, **meta):
    return IndexedDocument(doc_id, DocumentMeta(**meta), "hash", text)


def find_document_fact(question, documents):
    return find_fact_in_query(Query.parse(question, tokenizer_for([])), documents)


INVENTED = {
    "rules.txt": _document(
        "rules.txt", "测试市发明奖励办法\n\n测试市财政局  测试市科技局\n\n2020年5月6日\n\n第一条 本办法用于测试。",
        title="测试市财政局 测试市科技局关于印发《测试市发明奖励办法》的通知", short_title="测试市发明奖励办法（2020）",
        issuer="测试市财政局、测试市科技局", doc_number="测财〔2020〕12号", date="2020-05-06"),
    "summary.txt": _document(
        "summary.txt", "测试区工作总结\n\n2023115\n\n一、成绩", title="测试区2022年工作总结的通知",
        issuer="测试区办公室", date="2023-01-15"),
    "notice.txt": _document(
        "notice.txt", "测试县关于试行测试补贴细则的通知\n\n测试县人民政府\n\n(此件公开发布)\n\n一、补贴对象",
        title="测试县关于试行测试补贴细则的通知", short_title="测试补贴细则", issuer="测试县人民政府", date="2024-03-01"),
}


def test_document_named_by_title_number_or_short_title():
    meta = INVENTED["rules.txt"].meta
    assert names_document("测试市发明奖励办法是哪天发的", meta)
    assert names_document("12号文是谁发的", meta)
    assert not names_document("十四五规划是哪天发的", meta)
    assert not names_document("测财〔2020〕15号是谁发的", meta)  # another number: another document
    # Either part of a two-part title, with or without 年 after the year.
    two_parts = DocumentMeta(title="测试局关于印发2030年工作总结和2031年工作要点的通知",
                             short_title="2030年工作总结和2031年工作要点")
    assert names_document("测试局 2030工作总结 印发时间", two_parts)
    assert names_document("2031年工作要点是哪天发的", two_parts)


def test_spoken_issued_asks_the_date_or_the_issuer():
    assert Intent.read("调整收费那个公告是哪天出的").document_fact == "date"
    assert Intent.read("这个办法是谁出的").document_fact == "issuer"
    assert Intent.read("这部剧是何时播出的").document_fact is None  # broadcast, not issued
    assert Intent.read("专利什么时候出结果").document_fact is None


def test_that_kind_of_document_names_the_only_shipped_one_of_its_kind():
    fact = find_document_fact("少发钱那个办法是哪两个部委一块儿发的", INVENTED)
    assert fact is not None and fact.doc_id == "rules.txt" and fact.kind == "issuer"
    assert find_document_fact("那个规划是哪天发的", INVENTED) is None  # no shipped 规划


def test_date_issuer_and_number_come_from_metadata_with_the_text_quoted():
    fact = find_document_fact("测试市发明奖励办法是哪天发布的", INVENTED)
    assert fact.doc_id == "rules.txt" and "2020年5月6日" in fact.text
    fact = find_document_fact("测试市发明奖励办法是哪两个部门发的", INVENTED)
    assert "测试市财政局、测试市科技局" in fact.text and fact.evidence[0] == "测试市财政局  测试市科技局"
    fact = find_document_fact("测试市发明奖励办法的文号是多少", INVENTED)
    assert "测财〔2020〕12号" in fact.text
    # A date the extraction mangled is given clean, with what the text shows.
    fact = find_document_fact("测试区2022年工作总结的通知是哪天发的", INVENTED)
    assert "2023年1月15日" in fact.text and "“2023115”" in fact.text


def test_whether_a_document_is_public_is_answered_by_its_own_mark():
    fact = find_document_fact("这个补贴细则能不能转发给企业，是公开的吗", INVENTED)
    assert fact is not None and fact.doc_id == "notice.txt" and fact.kind == "disclosure"
    assert "此件公开发布" in fact.text and fact.evidence == ("(此件公开发布)",)
    # "这份年度总结": a word may stand between the demonstrative and the kind of document.
    fact = find_document_fact("这份年度总结是公开的吗", INVENTED)
    assert fact is None  # the invented summary carries no mark: retrieval decides
    assert Query.parse("这份年度总结是公开的吗", tokenizer_for([])).intent.document_fact == "disclosure"


def test_questions_naming_no_shipped_document_are_left_to_retrieval():
    assert find_document_fact("十四五规划是哪天印发的", INVENTED) is None
    assert find_document_fact("测试市发明奖励办法奖励多少钱", INVENTED) is None  # not about the document itself


def test_a_list_question_names_what_it_lists():
    from assistant.query import list_head

    assert list_head("哪些专利收费可以请求减缴？") == "专利收费"
    assert list_head("费减请求被驳回的情形有哪些？") == "情形"
    assert list_head("哪些人可以请求减缴？") == "条件" and list_head("企业要满足什么条件") == "条件"
    assert list_head("专利年费是多少钱") is None


def test_an_article_label_is_not_a_count():
    query = Query.parse("企业收入要低于多少", tokenizer_for([]))
    assert not query.states_asked_kind("第七条　企业请求减缴专利收费的，应当如实填写经济困难情况。")
    assert query.states_asked_kind("（二）上年度企业应纳税所得额低于30万元的企业；")


def test_who_made_a_document_asks_for_its_issuer():
    from assistant.query import Intent

    assert Intent.read("专利收费减缴办法是哪个部门制定的？").document_fact == "issuer"


def test_a_price_of_another_fee_does_not_answer():
    from assistant.answer import prices_another_fee
    from assistant.tokenize import content_bigrams

    sentence = "一、专利权人提出专利权期限补偿请求，应缴纳专利权期限补偿请求费，收费标准为每件200元。"
    assert prices_another_fee(sentence, frozenset(content_bigrams("专利复审请求需要缴纳的费用标准是多少")))
    assert not prices_another_fee(sentence, frozenset(content_bigrams("申请期限补偿要交多少钱")))
    assert not prices_another_fee("收费标准为每件200元。", frozenset(content_bigrams("复审要交多少钱")))


def test_a_word_inside_an_everyday_phrase_stands_for_its_policy_term():
    query = Query.parse("多个主体共同持有一件专利时，免掉的比例是多少", tokenizer_for([]))
    assert "共有专利权人" in query.alternatives.get("持有", ())
    # jieba may cut across the phrase ("想少交点钱": 想少 / 交点 around 少交): both pieces count.
    cut = Query.parse("个人申请专利想少交点钱，收入得低到多少", tokenizer_for([]))
    assert "减缴" in cut.alternatives.get("交点", ()) and "减缴" in cut.alternatives.get("想少", ())
    # 优惠 is no everyday-lexicon key (synonyms.tsv only): 优惠政策 gets nothing.
    assert "减缴" not in Query.parse("雄安有啥优惠政策", tokenizer_for([])).alternatives.get("优惠政策", ())


def test_when_a_document_takes_effect_comes_from_its_metadata():
    from assistant.query import Intent

    assert Intent.read("这个办法是啥时侯开始施行的").document_fact == "effective"
    assert Intent.read("专利收费减缴办法从哪天开始施行").document_fact == "effective"
    assert kind_of("啥时候能批下来") == "date"
    rules = _document("rules.txt", "第九条 本办法自2020年6月1日起施行。", title="测试市发明奖励办法",
                      short_title="测试市发明奖励办法（2020）", effective_date="2020-06-01")
    fact = find_document_fact("测试市发明奖励办法从哪天开始施行", {"rules.txt": rules})
    assert fact is not None and "2020年6月1日起施行" in fact.text


def test_a_document_that_applies_from_an_event_says_so_instead_of_a_date():
    from assistant.query import Intent

    assert Intent.read("这个公告从什么时候开始执行").document_fact == "effective"
    notice = _document("notice.txt", "测试局自上述通知发布之日起调整部分收费标准，现公告如下：", title="测试局关于调整收费的公告",
                       short_title="测试局公告第1号")
    fact = find_document_fact("测试局公告第1号从什么时候开始执行", {"notice.txt": notice})
    assert fact is not None and "自上述通知发布之日起" in fact.text and "没有写具体日期" in fact.text
    undated = _document("plain.txt", "测试局调整部分收费标准。", title="测试局关于调整收费的公告", short_title="测试局公告第1号")
    assert find_document_fact("测试局公告第1号从什么时候开始执行", {"plain.txt": undated}) is None


def test_which_company_wants_a_business_named_and_which_body_any_organisation():
    assert kind_of("获奖的是哪家公司") == "company" and kind_of("和哪几家银行合作") == "company"
    assert states("获奖的是哪家公司", "测试精工有限公司获得金奖。")
    assert states("获奖的是哪家公司", "推动甲乙、丙丁两家企业申报示范。")
    assert not states("获奖的是哪家公司", "全市共获奖20项,其中银奖1项。")  # a count names nobody
    assert not states("和哪几家银行合作", "邀请银行和专家介绍金融产品。")  # banks in general
    assert not states("获奖的是哪家公司", "按照部分行政事业性收费有关政策减缴。")  # "部分行政" is no bank branch
    assert kind_of("方案是哪几个部门一起发的") == "organisation" and kind_of("市里委托的是哪家") == "organisation"
    assert states("方案是哪几个部门一起发的", "与测试局、测试委共同印发方案。")
    assert states("市里委托的是哪家", "委托市测试学会开展培育工作。")
    # Who approves, reviews or is in charge of something asks for a body too.
    assert kind_of("申请交上去是谁来审批") == "organisation" and kind_of("卖假货的归谁管") == "organisation"
    assert kind_of("谁审核") == "organisation" and kind_of("谁是第一名") != "organisation"


def test_how_to_file_or_what_to_hand_in_wants_a_procedure_but_wording_questions_do_not():
    assert kind_of("测试登记去哪里办理") == "procedure" and kind_of("申请测试补贴要交哪些材料") == "procedure"
    assert kind_of("测试声明应当如何提交") == "procedure"
    assert states("申请测试补贴要交哪些材料", "申请人应当提交测试请求书及证明材料。")
    assert not states("申请测试补贴要交哪些材料", "对测试期间的年费减免15%。")
    assert kind_of("第三条原文是怎么写的") != "procedure" and kind_of("局里对这个咋弄") != "procedure"


def test_what_to_do_when_something_went_wrong_is_not_a_procedure():
    # "批错了咋办" asks what follows a mistake ("应予更正"), not how to file something.
    assert kind_of("测试决定批错了咋办") != "procedure" and kind_of("要是审错了该怎么办") != "procedure"
    assert kind_of("测试登记怎么办") == "procedure" and kind_of("测试补贴咋办理") == "procedure"
    # So too after a pause; but a pause does not stop "咋申请" from asking how to apply.
    assert kind_of("审批决定要是自己搞错了，怎么办？") != "procedure"
    assert kind_of("我的牌子被人抢注了，咋申请宣告无效啊") == "procedure"


def test_an_income_or_profit_asked_is_an_amount_of_money_not_a_share():
    assert kind_of("个人一个月挣多少以下才能减") == "money" and kind_of("公司一年利润不到多少才行") == "money"
    assert states("收入要低于多少", "（一）上年度月均收入低于3500元的个人；")
    assert not states("收入要低于多少", "减缴本办法规定收费的85%。")  # a share is no income
    assert kind_of("企业所得税税率是多少") == "rate"  # a tax rate is not an income


def test_a_document_number_or_a_year_is_not_a_count():
    query = Query.parse("测试站一共建了多少个", tokenizer_for([]))
    assert not query.states_asked_kind("按照《关于建设测试站的通知》(津测发字202125号)要求,在各区设立测试站。")
    assert not query.states_asked_kind("依据财测〔2024〕23号文件,于2021年4月起设立测试站。")
    assert query.states_asked_kind("2021年共建成测试站12个。")  # the count beside the year still counts
    # A month or a day is no count either: "4月份" does not say how many cases were heard.
    assert not query.states_asked_kind("4月份,测试局到测试中心为测试庭挂牌。")
    assert not query.states_asked_kind("9月17日,测试站揭牌。")
    # "新一代" is a generation, not one of something: it says no figure.
    assert not states("测试站一共建了多少个", "推广新一代测试站信息系统。")
    assert states("测试站一共建了多少个", "测试站信息系统已历经三代,更新两次。")  # real counts still count


def test_a_question_asking_what_to_hand_in_and_where_asks_a_procedure():
    # The procedure is what must be answered; the body it is handed to comes with it.
    assert kind_of("测试标志要准备哪些材料、找哪个部门递交") == "procedure"


def test_an_industry_named_new_materials_is_no_material_to_hand_in():
    # "新材料" is an industry: a sentence listing industries does not say what to hand in.
    assert not states("申请测试补贴要交哪些材料", "为测试区新一代信息技术、新材料等重点产业提供服务。")
    assert states("申请测试补贴要交哪些材料", "申请人应当提交测试请求书及相关证明材料。")


ITEMS = {
    "articles.txt": _document(
        "articles.txt", "测试市发明奖励办法\n\n第一条　本办法用于测试。\n\n第二条　奖励下列发明：\n\n（一）测试发明；\n\n（二）样例发明。\n\n"
        "第三条　本办法自2020年6月1日起施行。", title="测试市发明奖励办法", short_title="测试市发明奖励办法（2020）",
        doc_number="测财〔2020〕12号"),
    "notice.txt": _document(
        "notice.txt", "测试局公告\n\n第九九号\n\n一、样例费每件10元。\n\n二、测试费减免15%。同时适用其他政策的，不得重复享受。\n\n三、"
        "试用期内免缴。\n\n测试局\n\n2024年1月2日", title="测试局关于调整样例费的公告", short_title="测试局公告第99号",
        doc_number="测试局公告第99号"),
    "plan.txt": _document(
        "plan.txt", "测试区总结和要点\n\n一、成绩\n\n二、不足\n\n测试区要点\n\n一、目标\n\n二、措施",
        title="测试区2030年工作总结和2031年工作要点", short_title="2030年工作总结和2031年工作要点"),
}


def test_an_item_asked_by_its_number_is_quoted_whole_from_the_document_named():
    # A heading "二、…" answers "第二条", with every sentence of the item.
    fact = find_document_fact("99号公告第二条讲的是什么", ITEMS)
    assert fact.kind == "item" and fact.doc_id == "notice.txt"
    quoted = ITEMS["notice.txt"].text[fact.span[0]:fact.span[1]]
    assert quoted == "二、测试费减免15%。同时适用其他政策的，不得重复享受。"
    # An article runs to the next article, its list included; a kind of document named will do.
    fact = find_document_fact("奖励办法第二条写的啥", ITEMS)
    assert ITEMS["articles.txt"].text[fact.span[0]:fact.span[1]].endswith("（二）样例发明。")
    # The last item is its own paragraph: the signature after it is not part of it.
    fact = find_document_fact("99号公告第三条", ITEMS)
    assert ITEMS["notice.txt"].text[fact.span[0]:fact.span[1]] == "三、试用期内免缴。"


def test_an_item_the_document_does_not_have_is_said_to_be_missing():
    fact = find_document_fact("99号公告第九条讲的是什么", ITEMS)
    assert fact.span is None and "共3条，没有第九条" in fact.text


def test_an_item_number_with_a_topic_or_in_a_twice_numbered_document_is_left_to_retrieval():
    assert find_document_fact("99号公告第二条里的减免比例是多少", ITEMS) is None  # asks a figure, not the item
    assert find_document_fact("2030年工作总结里说的不足，第一条是啥", ITEMS) is None  # about the shortcomings
    assert find_document_fact("2031年工作要点第一条", ITEMS) is None  # "一、" twice: which one is meant?
    assert find_document_fact("99号公告第100条讲的是什么", ITEMS) is None  # no such number written
    assert Intent.read("不符合本办法第二条规定的会怎样").document_fact is None


def test_where_a_meeting_was_held_wants_a_venue():
    assert kind_of("天津全市知识产权保护大会在哪开的") == "venue"
    assert kind_of("双创大赛在哪里举办") == "venue"
    assert kind_of("质押登记在哪办") == "procedure"  # where to file, not where an event was
    assert states("保护大会在哪开的", "天津市委理论学习中心组集体学习暨天津市知识产权保护大会在天津礼堂举行。")
    assert not states("保护大会在哪开的", "917日召开全市知识产权保护大会,体现了天津贯彻落实…的决心")


def test_the_fine_a_rule_sets_is_not_a_years_total_of_fines():
    total = "组织协调开展关键领域执法专项行动,全年共查办商标侵权案件441件,罚没款总额1100万元"
    for question in ("违规代理被查到，一般罚多少钱？", "会另外罚款吗？罚多少", "罚款金额是多少"):
        assert kind_of(question) == "fine" and not states(question, total)
    # The total asked as one ("罚了多少", "一共", a year) is money, which the total states.
    for question in ("天津21年查了多少起卖山寨牌子的案子 罚了多少钱", "去年商标侵权罚没款一共多少钱"):
        assert kind_of(question) == "money" and states(question, total)


def test_a_batch_or_an_edition_is_no_place_in_a_ranking():
    batch = "确定将茶淀玫瑰香葡萄、小站稻、独流老醋等3件地理标志列入全国第一批地理标志运用促进重点联系指导名录"
    assert not states("考核排第一的是哪个区", batch)
    assert not states("在全国排第几", "在第二十二届中国专利奖评比中,天津专利权人荣获20项奖励")
    assert states("在全国排第几", "我市前三批非正常专利申请撤回率达到99.1%,位居全国第三")
