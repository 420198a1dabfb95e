"""Normalisation, jieba user dictionary and query synonyms."""

from assistant.tokenize import PolicyTokenizer, collect_user_terms, normalize, quoted_phrases


def test_normalize_keeps_length_and_folds_width_and_script():
    for text in ["（一）ＡＢＣ１２３，專利費用減繳", "獎勵 vs 奖励", "Ｅｍｏｊｉ😀\u3000空格"]:
        assert len(normalize(text)) == len(text)
    assert normalize("（一）ＡＢＣ１２３") == "(一)abc123"
    assert normalize("專利費用減繳獎勵") == "专利费用减缴奖励"


def test_user_terms_stay_whole_and_titles_are_collected():
    terms = collect_user_terms(["印发《天津市知识产权质押融资入园惠企行动方案》。"])
    assert "天津市知识产权质押融资入园惠企行动方案" in terms and "巡回评审庭" in terms
    tokenizer = PolicyTokenizer(terms)
    tokens = tokenizer.tokens("设立商标巡回评审庭，开展质押融资")
    assert "商标巡回评审庭" in tokens and "质押融资" in tokens
    assert "，" not in tokens and "的" not in tokenizer.tokens("质押融资的政策")


def test_query_synonyms_expand_colloquial_words():
    tokenizer = PolicyTokenizer(collect_user_terms([]))
    tokens = tokenizer.query_tokens("知产质押贷款")
    assert "知识产权" in tokens and "融资" in tokens


def test_quoted_phrases():
    assert quoted_phrases("“六是”那条原文《天津市知识产权保护条例》") == ["六是", "天津市知识产权保护条例"]


def test_everyday_lexicon_targets_all_occur_in_the_shipped_documents():
    """Every policy term the everyday lexicon maps to is a word the documents really use,
    so an expansion can only ever point at real text."""
    from pathlib import Path

    from assistant.tokenize import EVERYDAY_FILE, load_synonyms

    documents = "".join(normalize(p.read_text(encoding="utf-8"))
                        for p in (Path(__file__).resolve().parent.parent / "documents").glob("*.txt"))
    table = load_synonyms((EVERYDAY_FILE,))
    assert len(table) >= 50
    missing = {word: [t for t in targets if t not in documents] for word, targets in table.items()}
    assert not {w: m for w, m in missing.items() if m}


def test_everyday_words_reach_policy_terms():
    tokenizer = PolicyTokenizer(collect_user_terms([]))
    tokens = tokenizer.query_tokens(normalize("牌子被人山寨了，能把专利押给银行换点钱吗"))
    assert {"商标", "侵权", "假冒", "质押", "融资"} <= set(tokens)


def test_sentence_choice_reads_everyday_expansions_but_not_question_form_hints():
    from assistant.tokenize import normalize, tokenizer_for

    tokenizer = tokenizer_for([])
    question = normalize("协会申请专利要等多久")
    assert "社会团体" in tokenizer.expansions(question, everyday_only=True)
    assert "工作日" in tokenizer.expansions(question)  # search still widens 多久
    assert "工作日" not in tokenizer.expansions(question, everyday_only=True)


def test_dictionary_kept_beside_the_index_is_read_back_and_tokenizes_the_same(tmp_path, monkeypatch):
    import jieba

    terms = collect_user_terms(["印发《天津市知识产权质押融资入园惠企行动方案》。"])
    built = PolicyTokenizer(terms, cache_dir=tmp_path)  # builds jieba's dictionary, keeps it
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("jieba-")]
    assert len(kept) == 1 and (kept[0] / "words.txt").is_file()

    def no_build(*args, **kwargs):
        raise AssertionError("jieba's dictionary was built again instead of read from the index")

    monkeypatch.setattr(jieba.Tokenizer, "gen_pfdict", no_build)
    monkeypatch.setattr(jieba.posseg.POSTokenizer, "load_word_tag", no_build)
    read = PolicyTokenizer(terms, cache_dir=tmp_path)
    assert read._jieba.FREQ == built._jieba.FREQ and read._jieba.total == built._jieba.total
    for text in ("设立商标巡回评审庭，开展质押融资", "天津市知识产权质押融资入园惠企行动方案哪年印发", "上海的个体工商户能申请吗"):
        folded = normalize(text)
        assert read.tokens(text) == built.tokens(text)
        assert read.tagged(folded) == built.tagged(folded)
    # Other terms are another dictionary: not read from this one.
    monkeypatch.undo()
    other = PolicyTokenizer(collect_user_terms([]), cache_dir=tmp_path)
    assert "天津市知识产权质押融资入园惠企行动方案" not in other._jieba.FREQ
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("jieba-")]) == 2


def test_a_damaged_dictionary_beside_the_index_is_built_again(tmp_path):
    terms = collect_user_terms([])
    PolicyTokenizer(terms, cache_dir=tmp_path)
    kept = next(p for p in tmp_path.iterdir() if p.name.startswith("jieba-"))
    (kept / "words.txt").write_text("专利\n质押", encoding="utf-8")  # no longer matches freqs.npy
    tokenizer = PolicyTokenizer(terms, cache_dir=tmp_path)
    assert len(tokenizer._jieba.FREQ) > 100000 and "质押融资" in tokenizer.tokens("开展质押融资")


def test_warm_up_makes_the_part_of_speech_tagger():
    tokenizer = PolicyTokenizer(collect_user_terms([]))
    assert tokenizer._pos is None
    tokenizer.warm_up()
    assert tokenizer._pos is not None


def test_dictionary_cache_of_an_index_without_user_terms(tmp_path):
    """An index whose documents yield no user terms still caches and reloads jieba's dictionary."""
    from assistant.tokenize import PolicyTokenizer

    first = PolicyTokenizer([], cache_dir=tmp_path)
    second = PolicyTokenizer([], cache_dir=tmp_path)
    text = "专利质押融资登记办理时间压缩到5个工作日"
    assert first.tokens(text) == second.tokens(text) and first.tokens(text)


def test_short_forms_are_spelt_out_with_the_documents_terms():
    from pathlib import Path

    from assistant.tokenize import load_short_forms, spell_out

    assert spell_out("哪些专利费可以减缴") == "哪些专利收费可以减缴"
    assert spell_out("费减备案几天批下来") == "费用减缴备案几天批下来"
    assert spell_out("企业申请费减有啥要求") == "企业申请费用减缴有啥要求"
    assert spell_out("专力费能打折吗") == "专利收费能打折吗"  # a typo, then the short form
    assert spell_out("这个折扣年废能一直享受吗") == "这个折扣年费能一直享受吗"  # jieba cuts 年 / 废能
    # 知产 is in jieba's dictionary, but so rare that "推知产保险" is cut 推知 / 产 / 保险.
    assert spell_out("哪些公司在推知产保险") == "哪些公司在推知识产权保险"
    # The spoken name of a fee ("复审的钱", "实审那笔费用", "申请那个费") is that fee.
    assert spell_out("复审的钱也能减吗") == "复审费也能减吗"
    assert spell_out("那复审那笔费用也一样能减吗") == "那复审费也一样能减吗"
    assert spell_out("实审那笔钱能减吗") == "实质审查费能减吗"
    assert spell_out("申请那个费要交吗") == "申请费要交吗"
    # "那笔" alone is the money: "复审那笔呢" after a fee question.
    assert spell_out("复审那笔呢") == "复审费呢"
    assert spell_out("实审这笔能少交吗") == "实质审查费能少交吗"
    # A lone 申 is 申请 ("一块申", "去申专利"); 申报, 申诉, 重申 are other words.
    assert spell_out("我跟朋友一块申呢") == "我跟朋友一块申请呢"
    assert spell_out("学校去申专利") == "学校去申请专利"
    # Words that only contain the short form stay as they are.
    for kept in ("专利费用减缴", "专利年费减缴能管几年", "收费减缴请求书", "专利费减缴的比例", "申请费减半吗",
                 "复审费能减吗", "申请的材料", "申报优势企业", "重申一下", "申诉"):
        assert spell_out(kept) == kept
    documents = "".join(normalize(p.read_text(encoding="utf-8"))
                        for p in (Path(__file__).resolve().parent.parent / "documents").glob("*.txt"))
    assert all(full in documents for _, full in load_short_forms())


def test_general_everyday_vocabulary_reaches_the_documents_terms():
    """The general lexicon (how people say what the documents name) is read: a stamp, a
    turnover, being out of work, a rejection."""
    tokenizer = PolicyTokenizer(collect_user_terms([]))
    terms = set(tokenizer.expansions(normalize("表上忘了盖公章被拒了，我现在失业，公司营业额不到30万")))
    assert {"盖章", "不予批准", "无固定工作", "应纳税所得额"} <= terms


def test_words_whose_meaning_depends_on_the_context_are_not_in_the_everyday_lexicon():
    """去年 is 上年度 to a fee-reduction form but 2021 to a work summary; 优惠政策 of another
    place is not a fee reduction; a prize's money is not the number of awards."""
    from assistant.tokenize import EVERYDAY_FILE, load_synonyms

    table = load_synonyms((EVERYDAY_FILE,))
    assert not {"去年", "上一年", "前年", "今年", "明年", "优惠", "奖金"} & set(table)


def test_an_a_not_a_ask_is_not_joined_to_the_word_before():
    from assistant.tokenize import tokenizer_for

    # jieba alone reads "那里面包不包括" as 那里 / 面包 (bread) / 不 / 包括.
    tokenizer = tokenizer_for([])
    assert "面包" not in tokenizer.cut(normalize("那里面包不包括申请附加费？"))
    assert "面包" not in [w for w, _ in tokenizer.tagged(normalize("那里面包不包括申请附加费？"))]
    assert "附加费" in tokenizer.normalized_tokens(normalize("那里面包不包括申请附加费？"))
