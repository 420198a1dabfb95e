"""All Chinese tokenisation lives here: normalisation, jieba, user dictionary, synonyms.

`normalize` maps text to the form used for matching (half-width, simplified, lower
case) without changing its length, so an offset found in normalised text is an
offset in the verbatim text too. jieba runs as a private `jieba.Tokenizer` with its
log silenced and a user dictionary of policy terms.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
TERMS_FILE = RESOURCES / "policy_terms.txt"
SYNONYMS_FILE = RESOURCES / "synonyms.tsv"
# Everyday words → policy terms (押→质押, 少交→减缴, 牌子→商标): general vocabulary only.
EVERYDAY_FILE = RESOURCES / "everyday_terms.tsv"
SHORT_FORMS_FILE = RESOURCES / "short_forms.tsv"

_TITLE_IN_BRACKETS = re.compile(r"《([^《》\n]{2,60})》")
_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{1,60})[”\"」』》]")
_WORD_CHAR = re.compile(r"[\w\u4e00-\u9fff]")
PUNCT = re.compile(r"[\W_]+", re.UNICODE)  # runs of punctuation and space

# jieba part-of-speech flags of words that name what a question is about
# (x: our user-dictionary terms, l/j: fixed phrases and abbreviations, eng: Latin words).
NOUN_FLAGS = frozenset({"n", "nr", "nrt", "ns", "nt", "nz", "nw", "ng", "vn", "an", "l", "j", "x", "eng", "b", "s"})

_NAME_FLAGS = frozenset({"ns", "nr", "nrt", "nt", "nz"})
LONG_NOUN_CHARS = 4

# Function words and question words carry no evidence about which passage answers.
STOPWORDS = frozenset("""
的 了 和 与 及 或 是 在 有 吗 呢 啊 吧 呀 么 嘛 把 被 对 为 以 于 将 就 都 也 还 又 而 并 等 中 上 下
这 那 这个 那个 这些 那些 其 该 之 所 从 向 到 给 让 由 通过 关于 进行 开展 相关 有关 一个 一些
什么 怎么 怎样 怎么样 如何 哪些 哪个 哪家 哪里 哪儿 哪 多少 几 几个 请问 请 问 我 我们 我司 你 你们 您
他 她 它 他们 要 想 想要 能 能否 能不能 可以 可不可以 需要 一下 是否 有没有 是不是 为什么 吗 多 会 得 着 过
现在 目前 具体 主要 多久 多少钱 几天 哪天 一共 时候 什么时候 多长时间 啥 咋 咋办 怎么办 干什么 好处 有没有 原文 原话 全称 全名 那条 那个 这条 写 怎么写 哪天 哪方面 方面 情况 问题 一下子 知道 告诉 了解 咨询 办 弄 搞
""".split())


@lru_cache(maxsize=4096)
def _normalize_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded.lower() if len(folded) == 1 else ch


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Half-width, simplified, lower-case form of `text`, of exactly the same length."""
    folded = "".join(_normalize_char(ch) for ch in text)
    simplified = _t2s().convert(folded)
    if len(simplified) != len(folded):  # a phrase-level conversion changed the length
        simplified = "".join(_t2s().convert(ch) or ch for ch in folded)
    return simplified


def quoted_phrases(question: str) -> list[str]:
    """Normalised phrases the user put in quotes or 《》 (at least two characters)."""
    return quoted_in_normalized(normalize(question))


def quoted_in_normalized(normalized: str) -> list[str]:
    """`quoted_phrases` of text that is already normalised."""
    return [p.strip() for p in _QUOTED.findall(normalized) if len(p.strip()) >= 2]


def bigrams(text: str, normalized: bool = False) -> set[str]:
    """Character pairs within each run of word characters (punctuation splits runs)."""
    text = PUNCT.sub(" ", text if normalized else normalize(text))
    grams = set()
    for piece in text.split():
        grams.update(piece[i:i + 2] for i in range(len(piece) - 1))
    return grams


def content_bigrams(normalized: str) -> set[str]:
    """Bigrams of a question that can carry evidence: not stopwords, not two stopword characters."""
    return {g for g in bigrams(normalized, normalized=True)
            if g not in STOPWORDS and not (g[0] in STOPWORDS and g[1] in STOPWORDS)}


def titles_in(text: str) -> list[str]:
    """Names of documents cited in 《》 brackets."""
    return _TITLE_IN_BRACKETS.findall(text)


def load_terms_file(path: Path = TERMS_FILE) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    return words


def load_synonyms(paths: tuple[Path, ...] = (SYNONYMS_FILE, EVERYDAY_FILE)) -> dict[str, list[str]]:
    """Query expansions: word → the terms the documents use for it (tables merged in order)."""
    table: dict[str, list[str]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            key, values = line.split("\t", 1)
            targets = table.setdefault(normalize(key.strip()), [])
            targets += [t for t in (normalize(v.strip()) for v in values.split(",") if v.strip()) if t not in targets]
    return table


def load_short_forms(path: Path = SHORT_FORMS_FILE) -> tuple[tuple[re.Pattern, str], ...]:
    """Short forms a question may use (专利费, 费减) and the documents' term that replaces them."""
    forms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            short, full = line.split("\t", 1)
            forms.append((re.compile(short.strip()), normalize(full.strip())))
    return tuple(forms)


@functools.lru_cache(maxsize=1)
def _short_forms() -> tuple[tuple[re.Pattern, str], ...]:
    return load_short_forms()


def spell_out(normalized: str) -> str:
    """A normalised question with its short forms replaced by the documents' terms."""
    for pattern, full in _short_forms():
        normalized = pattern.sub(full, normalized)
    return normalized


STAFF_TERMS_FILE = ".staff_terms.tsv"  # in the documents folder: terms staff add in the console


@dataclass(frozen=True)
class StaffTerms:
    """Terms staff added (console or CLI), kept in `<documents>/.staff_terms.tsv`: a line
    "everyday<TAB>policy" maps an everyday word to a policy term, a line with a policy term
    alone adds it to the tokenizer's dictionary. Read at index build and recorded in the
    manifest, so they take effect with the next re-index."""

    words: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def read(cls, docs_dir: Path) -> "StaffTerms":
        path = Path(docs_dir) / STAFF_TERMS_FILE
        if not path.is_file():
            return cls()
        words, synonyms = set(), {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            everyday, _, policy = line.partition("\t")
            everyday, policy = normalize(everyday.strip()), normalize(policy.strip())
            if everyday and policy:
                synonyms.setdefault(everyday, set()).add(policy)
                words.add(policy)
            elif everyday or policy:
                words.add(everyday or policy)
        return cls(tuple(sorted(w for w in words if len(w) >= 2)),
                   tuple(sorted((k, tuple(sorted(v))) for k, v in synonyms.items())))

    def to_dict(self) -> dict:
        return {"words": list(self.words), "synonyms": {k: list(v) for k, v in self.synonyms}}

    @classmethod
    def from_dict(cls, data: dict | None) -> "StaffTerms":
        data = data or {}
        return cls(tuple(data.get("words", ())), tuple(sorted((k, tuple(v)) for k, v in data.get("synonyms", {}).items())))


def add_staff_term(docs_dir: Path, policy: str, everyday: str = "") -> None:
    """Append a term (or an everyday → policy pair) to the staff dictionary."""
    policy, everyday = policy.strip(), everyday.strip()
    if not policy or any(ch in policy + everyday for ch in "\t\n\r"):
        raise ValueError("需要政策用语（不含制表符或换行）")
    if len(policy) > 40 or len(everyday) > 40:
        raise ValueError("词语过长（上限 40 字）")
    path = Path(docs_dir) / STAFF_TERMS_FILE
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{everyday}\t{policy}\n")


def collect_user_terms(texts) -> list[str]:
    """The hand-kept terms plus every 《title》 in the documents (normalised, deduplicated)."""
    terms = {normalize(t) for t in load_terms_file()}
    for text in texts:
        terms.update(normalize(t) for t in titles_in(text))
    return sorted(t for t in terms if len(t) >= 2)


_TOKENIZERS: dict[tuple[str, ...], "PolicyTokenizer"] = {}
_TOKENIZERS_LOCK = threading.Lock()
_CACHE_DIRS: dict[tuple[str, ...], Path] = {}  # user terms → the index build that keeps their dictionary


def cache_dictionary_in(user_terms, directory: Path) -> None:
    """Let the tokenizer of these user terms keep its jieba dictionary in `directory` (an
    index build: store.load_index names it), so the next process loads it instead of
    building it."""
    with _TOKENIZERS_LOCK:
        _CACHE_DIRS[tuple(user_terms)] = Path(directory)


def tokenizer_for(user_terms, staff: "StaffTerms | None" = None) -> "PolicyTokenizer":
    """One tokenizer per user dictionary per process: building jieba's dictionary takes
    a second, and every index over the same documents has the same terms."""
    staff = staff or StaffTerms()
    key = (tuple(user_terms), staff)
    with _TOKENIZERS_LOCK:
        if key not in _TOKENIZERS:
            _TOKENIZERS[key] = PolicyTokenizer(tuple(user_terms), staff, _CACHE_DIRS.get(tuple(user_terms)))
        return _TOKENIZERS[key]


USER_TERM_FREQ = 20000  # a high frequency keeps a user term whole; cut_for_search still adds its parts
DICTIONARY_CACHE_FORMAT = 1


def _dictionary_cache(directory: Path, user_terms) -> Path:
    """Where the dictionary of these terms is kept in `directory`: named by everything it is
    made of (jieba's version and dictionary file, the user terms), so it is never stale."""
    import hashlib

    import jieba

    dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    stat = dictionary.stat()
    digest = hashlib.sha1(json.dumps([DICTIONARY_CACHE_FORMAT, jieba.__version__, str(dictionary), stat.st_size,
                                      stat.st_mtime_ns, USER_TERM_FREQ, list(user_terms)],
                                     ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return Path(directory) / f"jieba-{digest}"


def _load_dictionary(path: Path):
    """(prefix dictionary, total, word → part-of-speech tag) kept by `_save_dictionary`, or None."""
    import numpy as np

    try:
        info = json.loads((path / "info.json").read_text(encoding="utf-8"))
        words = (path / "words.txt").read_text(encoding="utf-8").split("\n")
        freqs = np.load(path / "freqs.npy", allow_pickle=False)
        tags = np.load(path / "tags.npy", allow_pickle=False)
    except (OSError, ValueError):
        return None
    vocabulary = info.get("tags", [])
    if len(words) != len(freqs) or len(tags) > len(words) or (len(tags) and int(tags.max()) >= len(vocabulary)):
        return None
    freq = dict(zip(words, freqs.tolist()))
    word_tags = dict(zip(words[:len(tags)], map(vocabulary.__getitem__, tags.tolist())))
    return freq, int(info["total"]), word_tags


def _save_dictionary(path: Path, freq: dict, total: int, word_tags: dict) -> None:
    """Write the dictionary beside the index (tagged words first, in their order), in one rename."""
    import os
    import shutil
    import uuid

    import numpy as np

    words = list(word_tags) + [w for w in freq if w not in word_tags]
    vocabulary = sorted(set(word_tags.values()))
    code = {tag: i for i, tag in enumerate(vocabulary)}
    tmp = path.parent / f".{path.name}-{uuid.uuid4().hex[:6]}"
    try:
        tmp.mkdir()  # not parents: a build deleted meanwhile stays deleted
        (tmp / "words.txt").write_text("\n".join(words), encoding="utf-8")
        np.save(tmp / "freqs.npy", np.fromiter((freq[w] for w in words), dtype=np.int64, count=len(words)))
        np.save(tmp / "tags.npy", np.fromiter((code[t] for t in word_tags.values()), dtype=np.uint16,
                                              count=len(word_tags)))
        (tmp / "info.json").write_text(json.dumps({"total": total, "tags": vocabulary}, ensure_ascii=False),
                                       encoding="utf-8")
        os.rename(tmp, path)
    except OSError:  # read-only index, or another process wrote it first: build it next time
        shutil.rmtree(tmp, ignore_errors=True)


# An A-not-A ask ("包不包括", "交不交"): jieba may join its first character to the word before
# ("那里面包不包括" → 那里 / 面包 / 不 / 包括, bread), so the text is cut before it first.
A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")


def _pieces(normalized: str) -> list[str]:
    """`normalized` cut before each A-not-A ask (the pieces join back to it)."""
    starts = [0, *(m.start() for m in A_NOT_A.finditer(normalized) if m.start() > 0), len(normalized)]
    return [normalized[a:b] for a, b in zip(starts, starts[1:]) if b > a]


class PolicyTokenizer:
    """jieba with a policy user dictionary; thread-safe for concurrent queries.
    Use `tokenizer_for(terms)` to share one per dictionary."""

    def __init__(self, user_terms: list[str], staff: "StaffTerms | None" = None, cache_dir: Path | None = None):
        import logging

        import jieba

        jieba.setLogLevel(logging.ERROR)
        self.user_terms = list(user_terms)
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._word_tags = None  # jieba.posseg's word → tag table, when read from the cache
        # jieba's prefix dictionary with the user terms (and the tags of its words) is kept
        # beside the index: loading it takes a third of the time of building it from
        # jieba's dict.txt, which POS tagging would otherwise read a second time.
        cache = _dictionary_cache(cache_dir, self.user_terms) if cache_dir is not None else None
        cached = _load_dictionary(cache) if cache is not None else None
        if cached is not None:
            self._jieba.FREQ, self._jieba.total, self._word_tags = cached
            self._jieba.initialized = True
        else:
            for term in self.user_terms:
                self._jieba.add_word(term, freq=USER_TERM_FREQ)
        self.synonyms = load_synonyms()
        # Everyday → policy vocabulary only (押 → 质押): what sentence choice reads too. The
        # search synonyms also hold question-form hints (多久 → 工作日) that would favour any
        # sentence with a number of days.
        self.everyday_terms = load_synonyms((EVERYDAY_FILE,))
        for everyday, policy in (staff.synonyms if staff else ()):
            for table in (self.synonyms, self.everyday_terms):
                table[everyday] = sorted(set(table.get(everyday, [])) | set(policy))
        self._pos = None  # jieba.posseg tokenizer sharing the user dictionary, made on first use
        if cache is not None and cached is None:
            if cache.exists():  # damaged: written again below
                import shutil

                shutil.rmtree(cache, ignore_errors=True)
            with self._lock:
                # Without user terms nothing has loaded jieba's dictionary yet.
                self._jieba.check_initialized()
                self._pos = self._pos_tokenizer()
            _save_dictionary(cache, self._jieba.FREQ, self._jieba.total, self._pos.word_tag_tab)

    def tokens(self, text: str) -> list[str]:
        """Search tokens of a passage: words and their sub-words, stopwords removed."""
        return self.normalized_tokens(normalize(text))

    def normalized_tokens(self, normalized: str) -> list[str]:
        """`tokens` of text that is already normalised."""
        with self._lock:  # jieba's lazy initialisation is not thread-safe
            words = [w for piece in _pieces(normalized) for w in self._jieba.cut_for_search(piece)]
        return [w for w in words if w.strip() and _WORD_CHAR.search(w) and w not in STOPWORDS]

    def cut(self, normalized: str) -> list[str]:
        """jieba's plain segmentation (words it does not know are coined by its HMM)."""
        with self._lock:
            return [w for piece in _pieces(normalized) for w in self._jieba.cut(piece)]

    def knows(self, word: str) -> bool:
        """Is the word in the dictionary (jieba's and the policy terms)?"""
        with self._lock:
            self._jieba.check_initialized()
            return self._jieba.FREQ.get(word, 0) > 0

    def expansions(self, normalized: str, everyday_only: bool = False) -> list[str]:
        """The terms a normalised question's words stand for (知产 → 知识产权, 押 → 质押)."""
        return [term for _, terms in self.phrase_expansions(normalized, everyday_only) for term in terms]

    def phrase_expansions(self, normalized: str, everyday_only: bool = True) -> list[tuple[str, list[str]]]:
        """(lexicon phrase, the terms it stands for) for each phrase found in a normalised
        question: of the everyday lexicon only, or of all synonyms."""
        table = self.everyday_terms if everyday_only else self.synonyms
        return [(key, expansions) for key, expansions in table.items() if key in normalized]

    def query_tokens(self, normalized: str) -> list[str]:
        """Tokens of a normalised question plus synonym expansions."""
        tokens = self.normalized_tokens(normalized)
        for expansion in self.expansions(normalized):
            tokens.extend(self.normalized_tokens(expansion))
        return tokens

    def _pos_tokenizer(self):
        """jieba.posseg's tokenizer over this dictionary (its word tags from the cache when read)."""
        import jieba.posseg

        if self._word_tags is None:
            return jieba.posseg.POSTokenizer(self._jieba)
        pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
        # What POSTokenizer.__init__ sets: the tokenizer and the tags it reads from dict.txt.
        pos.tokenizer, pos.word_tag_tab = self._jieba, self._word_tags
        self._word_tags = None
        return pos

    def warm_up(self) -> None:
        """Make the part-of-speech tagger now (about half a second: jieba.posseg's tables
        and word tags), not on the first question."""
        self.tagged("预热")

    def tagged(self, normalized: str) -> list[tuple[str, str]]:
        """(word, jieba part-of-speech flag) of normalised text."""
        with self._lock:
            if self._pos is None:
                self._pos = self._pos_tokenizer()
            return [(p.word, p.flag) for piece in _pieces(normalized) for p in self._pos.cut(piece)]

    def names(self, normalized: str) -> list[str]:
        """Place, person and organisation names and long nouns: words that, when a corpus
        never mentions them, say a question is about something else (上海, 个体工商户)."""
        # A fixed expression (flag l: "算在里面", "说到底") is wording, not a thing named.
        return [w for w, flag in self.tagged(normalized)
                if flag in _NAME_FLAGS or (flag in NOUN_FLAGS and flag != "l" and len(w) >= LONG_NOUN_CHARS)]

    def content_words(self, normalized: str) -> list[tuple[str, float]]:
        """Distinct question words with a weight by part of speech: names and nouns
        (what a question is about) 1.0, verbs and adjectives 0.5; pronouns, adverbs,
        particles, numerals-as-question-words and time words are left out."""
        pairs = self.tagged(normalized)
        out: dict[str, float] = {}
        # A phrase the user quotes (“六是”, 《…》) is looked for whole.
        for phrase in quoted_in_normalized(normalized):
            out[phrase] = 1.0
        for word, flag in pairs:
            if not word.strip() or not _WORD_CHAR.search(word) or word in STOPWORDS:
                continue
            if flag in NOUN_FLAGS or (flag == "m" and word.isdigit()):
                weight = 1.0
            elif flag[:1] in ("v", "a"):
                weight = 0.5
            else:
                continue
            out[word] = max(out.get(word, 0.0), weight)
        return list(out.items())
