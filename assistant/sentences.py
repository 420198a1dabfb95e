"""Scoring the sentences of the top passages for how well they answer a question (pure).

Score = cosine with the question (sentence vectors are pre-computed at index time)
+ character-bigram overlap weighted by *local* IDF (bigrams shared by all candidates,
usually the topic, count for little) + a cue when it states the kind of fact asked
− a small penalty for lower-ranked passages, bare list numbers and headings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .chunking import PURPOSE_CLAUSE
from .query import Query
from .search import Hit, SearchResult
from .tokenize import bigrams, normalize

# Sentence-score weights, chosen by a one-off grid search (top-1 answer containment) on
# 500 CMRC dev questions and the in-scope policy questions; the benchmark rows "no
# sentence vectors" in benchmarks/RESULTS.md show what the cosine term adds.
W_COSINE = 1.0
W_LOCAL_OVERLAP = 0.5
W_RANK = 0.03
W_CUE = 0.1
W_HEADING = 0.1
W_TOO_SHORT = 0.1
TOO_SHORT_CHARS = 8  # a bare list number ("（二）") answers nothing alone
LIST_INTRO_ENDINGS = ("：", ":")  # "…下列…：" introduces a list

_TITLE = re.compile(r"《[^《》]+》")
# A covering notice's own lines, in the passage before the document's first section: the
# site's breadcrumb ("当前位置: 首页 >> …"), the notice's title ("…关于印发…的通知") and whom it
# is sent to ("各区知识产权局,…:") say which document is sent to whom, not what it says. They
# are no answer; the sentence that sends it on ("现将…印发给你们，请…做出具体安排") says what
# it asks of them and little else: it ranks below other sentences ("2022年说要编个什么志" had
# been answered by it). Measured on the conversation sets: +2 −0 (dev16, dev21); single-question
# sets: colloquial unchanged (leaving the sending line out cost "…通知，要我们各区拿它干啥").
_COVER_LINE = re.compile(r"^当前位置|^[^，。,]*关于印发[^，。,]*的通知$|^[^。；]*[局厅委办处室队]\s*[:：]$")
_SENDING_ON = re.compile(r"^现将.*印发给你们")
_REFERS_BACK = re.compile(r"[该其此这它他她本]|上述|前述")


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    hit: Hit
    sentence_index: int  # within the chunk
    start: int
    end: int
    text: str
    score: float

    @property
    def key(self) -> tuple[int, int]:
        return self.hit.index, self.sentence_index


def has_title(text: str) -> bool:
    return bool(_TITLE.search(text))


def first_title(text: str) -> str | None:
    titles = _TITLE.findall(text)
    return titles[0] if titles else None


RESTATES_SHARE = 0.8  # a sentence whose character pairs are nearly all the question's says nothing new


def restates(sentence_grams: set[str], question_grams: frozenset[str]) -> bool:
    """A sentence made of the question's own words ("专利收费减缴办法" for "专利收费减缴办法从哪天
    开始施行"). In a document's opening lines (no section yet) that is its title, not an answer;
    elsewhere it may be the answer itself (a list item "（四）复审费；" for "复审费可以减缴吗")."""
    return len(sentence_grams) >= 2 and len(sentence_grams & question_grams) >= RESTATES_SHARE * len(sentence_grams)


def is_heading(sentence: str, section: tuple[str, ...]) -> bool:
    """A sentence that is its section's title (starts with a section label and is little more)."""
    return any(label and sentence.startswith(label) and len(sentence) <= len(label) + 2 for label in section)


def score_sentences(query: Query, hits: list[Hit]) -> list[Candidate]:
    """Every sentence of the given passages, scored, best first."""
    intent = query.intent
    raw = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        for i, ((s, e), text) in enumerate(zip(chunk.sentences, chunk.sentence_texts())):
            raw.append((rank, hit, i, s, e, text, hit.sentence_cosines[i], bigrams(text)))
    # Local IDF: a question bigram found in every candidate (usually the topic, e.g. the
    # entity's name) tells nothing about which sentence holds the answer; one found in a
    # single sentence (花期, 封地, 备案) tells a lot.
    n = len(raw)
    local_weight = {g: math.log((n + 1) / (1 + sum(g in grams for *_, grams in raw))) for g in query.bigrams}
    total_weight = sum(local_weight.values()) or 1.0
    out = []
    for rank, hit, i, s, e, text, cosine, grams in raw:
        cover = not hit.chunk.section and not intent.wants_wording
        if cover and _COVER_LINE.search(text):
            continue  # counted above for the local IDF, as every sentence of the passages is
        overlap = sum(local_weight[g] for g in query.bigrams & grams) / total_weight
        score = W_COSINE * cosine + W_LOCAL_OVERLAP * overlap - W_RANK * rank
        if query.states_asked_kind(text):
            score += W_CUE
        if len(text) < TOO_SHORT_CHARS:
            score -= W_TOO_SHORT
        if is_heading(text, hit.chunk.section) or (not hit.chunk.section and restates(grams, query.bigrams)):
            score -= W_HEADING  # a title restates the question; the answer is below it
        if cover and _SENDING_ON.search(text):
            score -= W_HEADING  # what the notice asks of those it is sent to ("做出具体安排"), and little else
        if intent.wants_full_name and has_title(text):
            score += W_CUE
        if intent.wants_list and text.endswith(LIST_INTRO_ENDINGS):
            score += W_CUE
        if intent.wants_purpose and PURPOSE_CLAUSE.search(text):
            score += W_CUE
        out.append(Candidate(rank, hit, i, s, e, text, score))
    return sorted(out, key=lambda c: -c.score)


def subject_coverage(result: SearchResult, candidate: Candidate, document_title: str) -> float:
    """How much of what the question is about the candidate sentence mentions, read with the
    document title, the section path and, when it starts by referring back ("该站…", "其…"),
    the sentence before it."""
    chunk = candidate.hit.chunk
    before = ""
    if candidate.sentence_index > 0 and _REFERS_BACK.match(candidate.text):
        start, end = chunk.sentences[candidate.sentence_index - 1]
        before = chunk.text[start - chunk.start:end - chunk.start]
    context = " ".join((document_title, *chunk.section, before, candidate.text))
    return result.coverage.of_text(result.query.words, normalize(context), result.query.alternatives)
