"""Answers over the shipped documents with the real default encoder."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def test_headline_question_gets_the_verbatim_sentence_and_citation(shipped_assistant):
    answer = shipped_assistant.ask("我们想办专利费用减缴备案，要等多久？")
    assert answer.found
    assert "专利费用减缴备案审核时间由25个自然日压缩到5个工作日" in answer.answer
    citation = next(c for c in answer.citations if "5个工作日" in c.quote)
    assert citation.title == "市知识产权局关于印发2021年工作总结和2022年工作要点的通知"
    assert citation.section.endswith("六是提升知识产权公共服务水平")
    assert citation.date == "2022-02-28" and citation.issuer == "天津市知识产权局"
    document = shipped_assistant.index.documents[citation.doc_id]
    assert document.text[citation.start:citation.end] == citation.passage  # verbatim
    assert citation.quote in document.text


def test_out_of_scope_questions_are_refused(shipped_assistant):
    for question in ["明天天津天气怎么样", "营业执照怎么办理", "How do I renew my passport?"]:
        answer = shipped_assistant.ask(question)
        assert not answer.found and answer.citations == []
        assert "没有找到" in answer.answer


def test_near_miss_questions_are_refused_not_answered_with_another_fact(shipped_assistant):
    # Every word occurs in the fee documents, but no sentence states a trademark fee or an
    # examination time: an amount or duration about something else must not be offered.
    for question in ["申请注册商标要交多少钱", "发明专利实质审查一般要多长时间"]:
        answer = shipped_assistant.ask(question)
        assert not answer.found, answer.answer


def test_questions_about_another_place_or_another_fee_are_not_answered(shipped_assistant):
    # The Tianjin work summary does not speak for Shanghai; the fee documents state no
    # agency fee. The same questions without the other place or fee are answered.
    assert not shipped_assistant.ask("上海那边专利费用减缴备案审核要多久？").found
    assert shipped_assistant.ask("天津的专利费用减缴备案审核要多久？").found
    assert not shipped_assistant.ask("申请专利的代理费多少钱").found
    national = shipped_assistant.ask("在北京申请专利，个人减缴比例是多少")  # national rules apply everywhere
    assert national.found and "85%" in national.answer


def test_a_question_on_a_policy_basis_is_answered_by_its_opening_clause(shipped_assistant):
    answer = shipped_assistant.ask("专利收费减缴办法的法律依据是什么")
    assert answer.found and "专利法实施细则" in answer.answer


def test_document_date_comes_from_metadata_and_the_text_is_quoted(shipped_assistant):
    answer = shipped_assistant.ask("市知识产权局2021年工作总结和2022年工作要点的通知是哪天发的")
    assert answer.found and answer.mode == "document"
    assert "2022年2月28日" in answer.answer and "2022228" in answer.answer
    citation = answer.citations[0]
    document = shipped_assistant.index.documents[citation.doc_id]
    assert citation.quote == "2022228" and citation.quote in document.text
    answer = shipped_assistant.ask("专利收费减缴办法的文号是多少")
    assert "财税〔2016〕78号" in answer.answer and answer.citations[0].amended


def test_answers_are_short_unless_a_list_is_asked_for(shipped_assistant):
    # Each of these quoted three sentences before the two-sentence default.
    # ("专利收费减缴办法从哪天开始施行" was in this list; on this machine's index it is refused:
    # the 第十二条 sentence ranks 5th, below the answer-kind check's top 3. A retrieval miss
    # recorded in benchmarks/results.json, not a question of answer length.)
    for question in ["2021年专利授权了多少件", "专利年费减缴能管几年", "复审费可以减缴吗",
                     "个人申请专利费减，收入要低于多少"]:
        answer = shipped_assistant.ask(question)
        assert answer.found and sum(len(c.quote_spans) for c in answer.citations) <= 2, answer.answer
    listing = shipped_assistant.ask("专利费减请求什么情况下不批")
    assert sum(len(c.quote_spans) for c in listing.citations) >= 3  # the list is quoted


def test_empty_and_junk_questions_are_answered_politely(shipped_assistant):
    for question in ["", "   ", "？？？！！", "\x00\x01", "😀😀"]:
        answer = shipped_assistant.ask(question)
        assert not answer.found and answer.mode == "empty"
    long_answer = shipped_assistant.ask("专利费用减缴备案" * 2000)
    assert len(long_answer.question) <= 500


def test_traditional_characters_find_the_passage(shipped_assistant):
    answer = shipped_assistant.ask("專利費用減繳備案審核要多久")
    assert answer.found and "5个工作日" in answer.answer


def test_amended_document_is_flagged_and_citations_are_unique(shipped_assistant):
    answer = shipped_assistant.ask("个人申请专利费减，收入要低于多少")
    assert answer.found and "3500元" in answer.answer
    cited = [c for c in answer.citations if c.doc_id == "patent_fee_reduction_measures_2016.txt"]
    assert cited and cited[0].amended and "已被财税〔2018〕37号、财税〔2019〕45号、财税〔2024〕23号修改" in answer.answer
    ids = [(c.doc_id, c.start) for c in answer.citations]
    assert len(ids) == len(set(ids))


def test_wording_lookup_returns_exact_text_with_section(shipped_assistant):
    answer = shipped_assistant.ask("工作总结里“六是”那条原文是怎么写的")
    assert answer.found and answer.mode == "wording"
    assert answer.answer.startswith("六是提升知识产权公共服务水平。")
    matches = shipped_assistant.lookup("质押融资入园惠企")
    exact = [m for m in matches if m.exact]
    assert len(exact) >= 3
    for m in exact:
        document = shipped_assistant.index.documents[m.doc_id]
        assert document.text[m.start:m.end] == m.text
        assert m.text[m.match_start:m.match_end] == "质押融资入园惠企"


def test_answer_json_has_the_contract_fields(shipped_assistant):
    data = shipped_assistant.ask("质押融资有哪些支持政策").to_dict()
    assert {"question", "found", "answer", "citations", "latency_ms"} <= set(data)
    assert data["found"] is True
    for citation in data["citations"]:
        assert {"n", "doc_id", "title", "section", "date", "quote", "passage", "score"} <= set(citation)
    json.dumps(data, ensure_ascii=False)


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_cli_index_and_ask_json_and_file(tmp_path):
    index_dir = tmp_path / "index"
    result = _cli("index", "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert "索引完成：3 个文档" in result.stdout
    result = _cli("ask", "--index", str(index_dir), "--json", "专利费用减缴备案审核要多久")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip())
    assert data["found"] and "5个工作日" in data["answer"]
    questions = tmp_path / "q.txt"
    questions.write_text("专利费用减缴备案审核要多久\n\n明天天气怎么样\n", encoding="utf-8")
    result = _cli("ask", "--index", str(index_dir), "--json", "--file", str(questions))
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["found"] for line in lines] == [True, False]
    human = _cli("ask", "--index", str(index_dir), "专利费用减缴备案审核要多久")
    assert "[1]" in human.stdout and "章节：" in human.stdout


def test_cli_reports_errors_without_a_traceback(tmp_path):
    result = _cli("ask", "--index", str(tmp_path / "none"), "--file", str(tmp_path / "missing.txt"))
    assert result.returncode == 1
    assert "错误" in result.stderr and "Traceback" not in result.stderr
    result = _cli("ask", "--top-k", "0", "问题")
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_not_sure_offers_related_passages_and_nothing_relevant_offers_none(shipped_assistant):
    """Three outcomes: answered, not sure (closest passages as "related", cited in full),
    nothing relevant (no related)."""
    unsure = shipped_assistant.ask("申请注册商标要交多少钱")  # passages on fees and trademarks, no such fee
    assert not unsure.found and unsure.mode == "related" and not unsure.citations
    assert 1 <= len(unsure.related) <= 5
    for citation in unsure.related:
        assert citation.quote in citation.passage and citation.title and citation.section
    scores = [c.score for c in unsure.related]  # closest first, by their closest sentence
    assert scores == sorted(scores, reverse=True)
    assert len({(c.doc_id, c.start) for c in unsure.related}) == len(unsure.related)
    record = unsure.to_dict()
    assert record["mode"] == "related" and record["related"][0]["passage"]
    nothing = shipped_assistant.ask("明天天气怎么样")
    assert not nothing.found and nothing.mode == "not_found" and not nothing.related
    assert "related" not in nothing.to_dict()


@pytest.mark.slow
def test_everyday_wording_is_answered_from_the_policy_terms(shipped_assistant):
    answer = shipped_assistant.ask("公司没钱了，能不能拿专利去银行押点钱周转")
    assert answer.found and "质押融资" in answer.answer
    # A 门槛 is a condition: the income threshold is in the article on conditions, not the one on proofs.
    answer = shipped_assistant.ask("小公司申请专利官费打折，收入上有啥门槛")
    assert answer.found and "30万元" in answer.answer
    # A hospital or a university asking is a 事业单位: its proof is the legal-person certificate.
    answer = shipped_assistant.ask("医院申请专利费减缴要什么材料")
    assert answer.found and "法人证明材料" in answer.citations[0].quote


@pytest.mark.slow
def test_a_named_year_leads_to_the_part_about_that_year(shipped_assistant):
    # The 2021 summary and the 2022 work points both speak of mediation, financing and
    # publicity; a named year asks for the plan or for what was done. (Without the period
    # preference the first two came from the wrong year.)
    for question, part in (("2022年知识产权纠纷调解方面有什么安排", "2022年工作要点"),
                           ("2021年质押融资做得怎么样", "2021年工作总结"),
                           ("21年宣传周干了啥", "2021年工作总结")):
        answer = shipped_assistant.ask(question)
        assert answer.found and answer.citations[0].section.startswith(part), question


@pytest.mark.slow
def test_a_work_item_heading_is_quoted_with_the_sentence_below_it(shipped_assistant):
    # In the 2022 work points the heading is the item itself; the body only details it.
    answer = shipped_assistant.ask("2022年银企对接活动还搞吗")
    assert answer.found
    assert answer.citations[0].quote.startswith("(二十二)开展知识产权与创新大讲堂培训活动。组织开展线上线下银企对接活动")


@pytest.mark.slow
@pytest.mark.parametrize("question, fact", [
    ("专利费用减缴备案审核要多久", "5个工作日"),
    ("纸件专利申请受理要几天", "1个工作日"),
    ("专利权期限补偿请求费多少钱", "200元"),
    ("专利开放许可实施期间年费减免多少", "15%"),
    ("2021年全市有效发明专利有多少件", "4.34件"),
])
def test_the_highlight_marks_the_clause_stating_the_asked_fact(shipped_assistant, question, fact):
    answer = shipped_assistant.ask(question)
    marked = [c.quote[c.highlight[0]:c.highlight[1]] for c in answer.citations if c.highlight]
    assert marked and fact in marked[0], (question, marked)
    assert len(marked[0]) < len(answer.citations[0].quote)  # a clause, not the whole quote
    assert answer.to_dict()["citations"][0]["highlight"] == answer.citations[0].highlight


@pytest.mark.slow
def test_a_when_question_naming_the_document_gets_the_date_not_the_title_line(shipped_assistant):
    # The document's title line restates the question; the date is in article 12. A second
    # quote without a date would not help a "哪天" question.
    answer = shipped_assistant.ask("专利收费减缴办法从哪天开始施行")
    assert answer.found and "2016年9月1日" in answer.answer
    assert all("日" in c.quote for c in answer.citations) and len(answer.parts) == 1


@pytest.mark.parametrize("question, items", [
    ("哪些专利收费可以请求减缴？", ["申请费", "实质审查费", "复审费"]),
    ("哪些专利费可以减缴？", ["申请费", "实质审查费", "复审费"]),
    ("哪些人可以请求减缴专利收费？", ["3500元", "30万元", "非营利性科研机构"]),
    ("费减请求被驳回的情形有哪些？", ["未使用", "未签字"]),
])
def test_a_list_question_is_answered_by_the_list_its_document_gives(shipped_assistant, question, items):
    """FAQ wording: the article whose "下列…：" announces what is asked answers it, not the
    article that repeats the question's words ("请求减缴专利收费的，应当提交…")."""
    answer = shipped_assistant.ask(question)
    assert answer.found
    assert all(item in answer.answer for item in items), answer.answer


def test_a_share_question_quotes_every_rate_the_passage_states(shipped_assistant):
    answer = shipped_assistant.ask("专利费减缴的比例是多少？")
    assert answer.found and "85%" in answer.answer and "70%" in answer.answer


def test_a_list_item_is_quoted_with_its_introduction_and_an_introduction_with_its_items(shipped_assistant):
    item = shipped_assistant.ask("费减请求书没签字会被批准吗")
    assert item.found and "不予批准" in item.answer and "未签字" in item.answer
    # So too when the runner-up is another item of the same list.
    beside = shipped_assistant.ask("减缴请求书要是忘了签字盖章会怎样")
    assert beside.found and "不予批准" in beside.answer and "未签字" in beside.answer
    intro = shipped_assistant.ask("专利被驳回了想复审，复审那个钱也能便宜点不")
    assert intro.found and "复审费" in intro.answer


@pytest.mark.parametrize("question", [
    "2023年天津专利授权量是多少？",  # the documents speak of 2021 and 2022 only
    "专利代理费可以减缴吗？",  # no document names 代理费
    "专利权评价报告请求费多少？",  # the only request fee priced is the term-compensation one
    "恢复权利请求费是多少？",
])
def test_near_misses_on_a_year_or_a_fee_the_documents_do_not_give_are_refused(shipped_assistant, question):
    assert not shipped_assistant.ask(question).found


@pytest.mark.parametrize("question", ["专利收费减缴请求书在哪里下载？", "国知局天津业务受理窗口几点上班？"])
def test_where_to_download_and_opening_hours_are_not_answered_by_the_form_or_a_processing_time(shipped_assistant,
                                                                                              question):
    """No document gives a web address or opening hours: the form's name or "1个工作日" does
    not answer them; the closest passages are offered instead."""
    answer = shipped_assistant.ask(question)
    assert not answer.found and answer.mode == "related" and answer.related


def test_a_who_question_about_something_else_is_not_answered_by_the_fee_conditions(shipped_assistant):
    """"哪些人" asks for the conditions list only when the list's introduction shares another
    word of the question (a single character such as 人 does not count)."""
    answer = shipped_assistant.ask("轮训主要是针对哪些人")
    assert "3500元" not in answer.answer


def test_that_announcement_issued_in_spoken_words_is_answered_from_its_metadata(shipped_assistant):
    answer = shipped_assistant.ask("调整专利收费那个公告是哪天出的")
    assert answer.found and answer.mode == "document" and "2024年8月6日" in answer.answer


def test_an_announcement_without_an_effective_date_quotes_the_event_it_applies_from(shipped_assistant):
    answer = shipped_assistant.ask("594号公告从什么时候开始执行")
    assert answer.found and answer.mode == "document" and "通知发布之日起" in answer.answer


def test_the_effective_date_is_answered_from_metadata_with_the_clause_quoted(shipped_assistant):
    answer = shipped_assistant.ask("专利收费减缴办法是啥时候开始施行的")
    assert answer.found and answer.mode == "document" and "2016年9月1日起施行" in answer.answer


def test_a_duration_asked_of_a_named_fee_is_found_below_the_best_passages(shipped_assistant):
    """The fee named is the anchor: the sentence naming 年费 (维持费's document name) with its
    six years sits in the fourth passage, below three that only talk around the question."""
    answer = shipped_assistant.ask("授权以后每年的维持费减免能管几年")
    assert answer.found and "六年内的年费" in answer.answer


def test_whether_the_work_summary_is_public_is_answered_from_its_mark(shipped_assistant):
    answer = shipped_assistant.ask("这份工作要点可以对外公开吗")
    assert answer.found and answer.mode == "document" and "此件主动公开" in answer.answer


def test_the_passage_holding_the_closest_sentence_is_among_the_related(shipped_assistant):
    """Not answered, yet the one sentence about the chronicle is offered: its passage (a long list
    of publicity work) ranks below the ten best as a whole, its sentence is the closest of all."""
    answer = shipped_assistant.ask("天津是不是要出一本知识产权的志书")
    assert not answer.found and answer.mode == "related"
    assert any("启动编制天津市知识产权志" in c.quote for c in answer.related)


@pytest.mark.slow
def test_a_figure_for_a_year_the_documents_do_not_report_is_not_the_other_years(shipped_assistant):
    # The summary gives the number of valid invention patents at the end of 2021 only.
    assert not shipped_assistant.ask("天津2022年底有效发明专利有多少件").found
    answered = shipped_assistant.ask("天津2021年底有效发明专利有多少件")
    assert answered.found and "4.34" in answered.answer


@pytest.mark.slow
def test_a_procedure_is_answered_only_by_the_procedure_of_what_is_asked(shipped_assistant):
    # The fee rules say what a fee-reduction request needs; nothing says how a pledge is registered.
    assert not shipped_assistant.ask("专利权质押登记要到哪儿办，带哪些材料").found
    answered = shipped_assistant.ask("事业单位申请专利费减缴要交什么材料")
    assert answered.found and "法人证明材料" in answered.answer


@pytest.mark.slow
def test_which_company_is_answered_by_a_named_company_only(shipped_assistant):
    # The summary counts the silver award but does not say who won it.
    assert not shipped_assistant.ask("第二十二届专利奖外观设计银奖被哪家企业拿走了").found
    answered = shipped_assistant.ask("高价值专利培育结项验收是指导哪家公司做的")
    assert answered.found and "友发钢管" in answered.answer


def test_a_covering_notices_own_lines_answer_nothing_about_the_document(shipped_assistant):
    # The work summary comes inside a notice: its breadcrumb, title and addressees say which
    # document is sent to whom, not what the work points say.
    cover = ("当前位置", "关于印发2021年工作总结", "各区知识产权局,局机关各处室")
    answered = shipped_assistant.ask("天津知识产权局2022年说要编个什么志？")
    assert answered.found and "知识产权志" in answered.citations[0].quote
    for question in ("天津知识产权局2022年说要编个什么志？", "局里自身管理那块要加强哪些"):
        quoted = " ".join(c.quote for c in shipped_assistant.ask(question).citations)
        assert not any(line in quoted for line in cover), (question, quoted)
    # What the notice asks of those it is sent to is still found.
    asked = shipped_assistant.ask("市局发的那个21年总结加22年要点的通知，要我们各区拿它干啥？")
    assert asked.found and "具体安排" in asked.answer
