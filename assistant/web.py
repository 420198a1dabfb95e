"""The web app: Gradio chat (/), portal widget (/widget), JSON API (/api/*).

`create_app(settings)` returns a FastAPI app. The index is built or loaded in a
background thread so the page answers at once and shows progress; questions asked
before it is ready get a polite "please wait". Security headers, the origin allow-list
(CORS and CSP frame-ancestors) and the per-client rate limit are enforced here, on the
server.
"""

import html
import json
import logging
import os
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue keeps a record of every event (up to 10,000) for its monitoring dashboard,
# which this app never enables, and after every event rebuilds a pandas summary of all of
# them: memory that grew for the first hours of a soak and work that slowed the chat queue.
# Keep a handful and recompute the summary only every 10,000 events.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "50")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "10000")

from .config import Settings  # noqa: E402
from .errors import AssistantError  # noqa: E402

log = logging.getLogger("assistant.web")

MAX_BODY_BYTES = 16 * 1024
WIDGET_PATH = "/widget"
EXAMPLES = [
    "专利费用减缴备案审核要多久？",
    "质押融资有哪些支持政策？",
    "有哪些知识产权保险产品？",
    "商标巡回评审庭是什么时候设立的？",
    "企业申请专利费用减缴要满足什么条件？",
    "专利开放许可的年费有优惠吗？",
]
# Short enough to fit the portal's 420-px widget on one line each.
WIDGET_EXAMPLES = ["减缴备案审核要多久？", "质押融资怎么支持？", "开放许可年费有优惠吗？"]
# Gradio queue events (a chat question, the API's "ask") that run at once, per event listener;
# more wait in Gradio's queue. An answer is ~30 ms of CPU under one interpreter lock, so a higher
# limit adds no throughput: it decides who waits. At 4, Gradio's events queued behind each other
# while POST /api/ask requests all ran at once. `python -m benchmarks.scale_load` (50 clients,
# half API, half gradio_client, 25 s each, 2026-11-27, load average 3-6 from other work), Gradio
# p50 / API p50: limit 4 → 6198 / 1075 ms (5.8x), 8 → 3828 / 1259 (3.0x), 16 → 2853 / 1787
# (1.6x), 32 → 3240 / 2914 (1.1x; with a light HTTP client instead of gradio_client 1553 / 1427).
# 32 covers the benchmark's 25 Gradio clients; Gradio runs at most 40 events in all.
QUEUE_CONCURRENCY: int | None = 32
NOT_READY = "索引正在准备中（{progress}），请稍候再问。"
RATE_LIMITED = "提问太频繁了，请稍等一分钟再试。"
ANSWER_FAILED = "抱歉，这个问题处理时出错了，请换个问法再试。"
# What happened to a request that was not answered, as an HTTP status (POST /api/ask).
HTTP_STATUS = {"rate_limited": 429, "not_ready": 503, "error": 503}
CSS = """
footer {display: none !important;}
.citation {border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 8px; margin: 6px 0;}
.citation summary {cursor: pointer; font-weight: 600;}
.citation mark, .lookup-hit mark {background: #fff3a3;}
.citation blockquote, .lookup-hit blockquote {margin: 6px 0; padding-left: 8px; border-left: 3px solid #d0d7de;}
.amended {color: #b35900; font-weight: 600;}
.cite-ref {color: #0969da;}
.related {margin-top: 6px;}
.resolved {color: #57606a; font-size: 0.9em; margin-bottom: 4px;}
.related > summary {cursor: pointer; color: #57606a;}
/* Fact first: the clause that answers, bold in the quote. */
strong.fact {font-weight: 700; background: #fff3a3;}
.validity-note {color: #b35900;}
/* Compact sources: one line each, the record opens on click and scrolls inside itself,
   so the answer stays in view. */
.citation {padding: 2px 8px; margin: 4px 0; font-size: 0.9em;}
.citation > summary {font-weight: 500; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.citation[open] > summary {white-space: normal;}
.citation-meta {font-size: 0.9em; color: #57606a;}
.citation blockquote {max-height: 9em; overflow-y: auto;}
@media (max-width: 480px) {.citation blockquote {max-height: 6em;} .citation-meta .score {display: none;}}
.badge {white-space: nowrap; padding: 0 6px; border-radius: 10px; font-size: 0.85em; background: #fff8c5;}
.badge.repealed {background: #ffebe9;}
a.cite-ref {text-decoration: none; font-size: 0.85em; vertical-align: super;}
/* Gradio's floating scroll-to-bottom arrow and clear (trash) button sat over the text; the
   新对话 button clears the conversation instead. */
#chat .scroll-down-button-container, #chat .top-panel {display: none !important;}
/* Examples wrap into a short scrollable block instead of being cut off. */
#examples .gallery {display: flex; flex-wrap: wrap; gap: 6px; max-height: 5.5em; overflow-y: auto;}
#examples .gallery-item {max-width: 100%;}
#examples .gallery-item .gallery {white-space: normal !important;}
"""
# Clicking [n] in an answer opens source n of that answer and scrolls it into view. (The
# chat's sanitizer keeps the link but drops data attributes, so n is read from its text.)
HEAD = """<script>
document.addEventListener("click", function (event) {
  var ref = event.target.closest ? event.target.closest("a.cite-ref") : null;
  if (!ref) return;
  event.preventDefault();
  var n = (ref.textContent.match(/\d+/) || [""])[0];
  var message = ref.closest(".message") || ref.closest(".message-row") || document;
  var source = message.querySelector('details.citation[data-n="' + n + '"]');
  if (!source) {
    var all = message.querySelectorAll("details.citation");
    source = all[Number(n) - 1];
  }
  if (!source) return;
  source.open = true;
  source.scrollIntoView({block: "nearest"});
});
</script>"""


class RateLimiter:
    """At most `per_minute` requests per client in any 60-second window."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10000:  # forget idle clients
                for key in [k for k, v in self._hits.items() if not v or now - v[-1] > 60]:
                    del self._hits[key]
            return True


@dataclass
class AppState:
    """Holds the Assistant once the background load finishes."""

    settings: Settings
    assistant: object = None
    error: str = ""
    progress: tuple = (0, 0, "启动")
    questions: object = None  # question_log.QuestionLog: unanswered questions for staff
    started: float = field(default_factory=time.monotonic)
    _ready: threading.Event = field(default_factory=threading.Event)

    def load(self, assistant=None) -> None:
        if assistant is not None:
            self.assistant = assistant
            self._ready.set()
            return
        threading.Thread(target=self._load, name="index-loader", daemon=True).start()

    def _load(self) -> None:
        from .service import Assistant

        try:
            self.progress = (0, 0, "检查索引")
            assistant = Assistant.open(self.settings, progress=self._on_progress)
            # Ready means the first question is as fast as any: without this it would build
            # jieba's part-of-speech tagger and the speller's pinyin table (about a second).
            assistant.warm_up()
            self.assistant = assistant
            if self.assistant.notice:
                log.warning(self.assistant.notice)
            log.info("index ready: %d chunks", len(self.assistant.index.chunks))
        except AssistantError as exc:
            self.error = str(exc)
        except Exception as exc:  # shown on the page instead of a dead server
            log.exception("index load failed")
            self.error = f"索引加载失败：{type(exc).__name__}"
        finally:
            self._ready.set()

    # ------------------------------------------------------------ re-indexing
    reindex_running: bool = False
    reindex_queued: bool = False  # asked for while one ran: run once more after it
    reindex_error: str = ""  # why the last re-index failed ("" when it did not)
    reindex_finished: str = ""
    reindex_progress: tuple = (0, 0, "")
    _reindex_lock: threading.Lock = field(default_factory=threading.Lock)

    def request_reindex(self) -> str:
        """Start a re-index in the background ("started"), or, when one is running, run
        one more right after it ("queued"): files changed meanwhile are never missed."""
        with self._reindex_lock:
            if self.reindex_running:
                self.reindex_queued = True
                return "queued"
            self.reindex_running = True
        threading.Thread(target=self._reindex_loop, name="reindex", daemon=True).start()
        return "started"

    def _reindex_loop(self) -> None:
        while True:
            self.reindex()
            with self._reindex_lock:
                if not self.reindex_queued:
                    self.reindex_running = False
                    return
                self.reindex_queued = False

    def reindex(self) -> None:
        """Rebuild from the documents folder (only changed texts are embedded again) and swap
        the new Assistant in; questions keep being answered from the old one meanwhile, and
        a failed build leaves it serving with the reason kept in `reindex_error`."""
        from .service import Assistant

        self.reindex_progress = (0, 0, "读取文件")
        try:
            # The same settings of search and answering as the index it replaces.
            tuning = {"tuning": self.assistant.tuning} if self.assistant is not None else {}
            fresh = Assistant.open(self.settings, progress=self._on_reindex_progress, **tuning)
            fresh.warm_up()
        except AssistantError as exc:
            self.reindex_error = str(exc)
            log.warning("reindex failed; the previous index keeps serving: %s", exc)
            return
        except Exception as exc:
            log.exception("reindex failed; the previous index keeps serving")
            self.reindex_error = f"重建失败（{type(exc).__name__}: {exc}），仍使用上一版索引"
            return
        self.assistant = fresh  # one reference assignment: requests see old or new, never half
        self._ready.set()
        self.reindex_error = ""
        self.reindex_finished = time.strftime("%Y-%m-%d %H:%M:%S")
        self.reindex_progress = (1, 1, "完成")
        log.info("reindexed: %d chunks", len(fresh.index.chunks))

    def _on_reindex_progress(self, done: int, total: int, what: str) -> None:
        self.reindex_progress = (done, total, what)

    def reindex_status(self) -> dict:
        done, total, what = self.reindex_progress
        return {"running": self.reindex_running, "queued": self.reindex_queued, "stage": what,
                "done": done, "total": total, "error": self.reindex_error, "finished": self.reindex_finished,
                "summary": self.index_counts(), "ready": self.ready}

    def _on_progress(self, done: int, total: int, what: str) -> None:
        self.progress = (done, total, what)

    @property
    def ready(self) -> bool:
        return self.assistant is not None

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def index_counts(self) -> str:
        """"3 个文件，95 个片段" of the index now serving ("" before one is loaded)."""
        if not self.ready:
            return ""
        counts = self.assistant.index.manifest["counts"]
        return f"{counts['documents']} 个文件，{counts['chunks']} 个片段"

    def status_text(self) -> str:
        if self.ready:
            return f"已就绪：{self.index_counts()}。"
        if self.error:
            return f"⚠ {self.error}"
        done, total, what = self.progress
        detail = f"{what} {done}/{total}" if total else what
        return f"⏳ 正在准备索引：{detail}（已用 {time.monotonic() - self.started:.0f} 秒）"


def answer_request(state: AppState, limiter: RateLimiter, question, client: str, source: str, top_k: int = 5,
                   history=None, filters=None):
    """The one way a question is answered, from the chat, the widget, the Gradio API and
    POST /api/ask: rate limit → ready → ask → error, always an `Answer` (its mode says
    which), logged by one rule (the history is never logged)."""
    from .answer import Answer
    from .query import clean_question

    if not limiter.allow(client):
        return Answer.refusal(clean_question(question), RATE_LIMITED, "rate_limited")
    if not state.ready:
        return Answer.refusal(clean_question(question), NOT_READY.format(progress=state.status_text()), "not_ready")
    try:
        answer = state.assistant.ask(question, top_k=top_k, history=history, filters=filters)
    except Exception:  # one failing question must not take the chat or the caller down
        log.exception("answer failed (%s)", source)
        return Answer.refusal(clean_question(question), ANSWER_FAILED, "error")
    if state.settings.log_questions:
        if state.questions is not None:
            state.questions.record(answer.question, answer.mode, source)
        log.info("question=%r source=%s found=%s context_used=%s latency_ms=%.0f", answer.question[:200], source,
                 answer.found, answer.context_used, answer.latency_ms)
    else:
        log.info("question answered source=%s found=%s context_used=%s latency_ms=%.0f", source, answer.found,
                 answer.context_used, answer.latency_ms)
    return answer


def _client_id(request) -> str:
    if request is None:
        return "local"
    client = getattr(request, "client", None)
    host = getattr(client, "host", None) if client else None
    return host or "unknown"


# ---------------------------------------------------------------- Gradio UI

def _theme():
    import gradio as gr

    # System fonts only: the default theme would fetch web fonts from the internet.
    return gr.themes.Soft(font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"])


def build_chat_blocks(state: AppState, limiter: RateLimiter, feedback, widget: bool = False):
    import gradio as gr

    from .render import answer_html, suggestions_for

    def respond(question, history, answers, doc_ids=None, issuer="", date_from="", date_to="",
                request: gr.Request = None):
        from .scope import FilterError, Filters

        history = list(history or [])
        answers = list(answers or [])
        question = (question or "").strip()
        if not question:
            return gr.update(), history, answers, *_suggestion_updates([])
        try:  # the 限定范围 control (main chat only)
            filters = Filters.parse({"doc_ids": list(doc_ids or []), "issuer": (issuer or "").strip(),
                                     "date_from": (date_from or "").strip(), "date_to": (date_to or "").strip()})
        except FilterError as exc:
            history += [{"role": "user", "content": html.escape(question)},
                        {"role": "assistant", "content": html.escape(f"限定范围有误：{exc}")}]
            return gr.update(), history, answers + [None], *_suggestion_updates([])
        # The conversation so far, as plain text: each answered turn's question and answer.
        conversation = [message for record in answers if record
                        for message in ({"role": "user", "content": record["question"]},
                                        {"role": "assistant", "content": record["answer"]})]
        # The chat renders markdown/HTML: show what was typed as text, never as markup.
        history.append({"role": "user", "content": html.escape(question)})
        answer = answer_request(state, limiter, question, _client_id(request), "widget" if widget else "chat",
                                history=conversation, filters=filters)
        if answer.mode in HTTP_STATUS:  # refused, not answered: nothing to rate or follow up
            reply, record, suggestions = html.escape(answer.answer), None, []
        else:
            reply, record = answer_html(answer), answer.to_dict()
            if answer.context_used:  # show how the follow-up was read, so it can be rephrased
                reply = f'<p class="resolved">理解为：{html.escape(answer.resolved_question)}</p>' + reply
            suggestions = suggestions_for(answer, state.assistant.index)
        history.append({"role": "assistant", "content": reply})
        answers.append(record)
        return "", history, answers, *_suggestion_updates(suggestions)

    def _suggestion_updates(suggestions):
        updates = []
        for i in range(3):
            if i < len(suggestions):
                updates.append(gr.update(value=suggestions[i], visible=True))
            else:
                updates.append(gr.update(value="", visible=False))
        return updates

    def on_like(answers, data: gr.LikeData):
        liked = data.liked
        if isinstance(liked, str):
            liked = liked.lower() in ("like", "true", "👍")
        if liked is None:
            return
        # Messages alternate user / assistant: answer k sits at index 2k+1.
        k = (data.index[0] if isinstance(data.index, (list, tuple)) else data.index) // 2
        if 0 <= k < len(answers or []) and answers[k]:
            record = answers[k]
            feedback.add(1 if liked else -1, record["question"], record["answer"], record["citations"],
                         source="widget" if widget else "chat")

    with gr.Blocks(title="知识产权政策问答", analytics_enabled=False) as blocks:
        if not widget:
            gr.Markdown("## 知识产权政策问答\n回答只摘录政策文件原文，并注明出处；文件未涉及的问题会如实说明。")
        # The status line says what is happening while the index loads; once ready, the widget
        # (a chat only) hides it.
        status = gr.Markdown(state.status_text(), elem_id="status")
        timer = gr.Timer(1.0, active=not state.ready)

        def current_status():
            visible = not (widget and state.ready)
            return gr.update(value=state.status_text(), visible=visible), gr.Timer(active=not state.ready and not state.error)

        blocks.load(current_status, outputs=[status, timer], show_progress="hidden", queue=False)
        timer.tick(current_status,
                   outputs=[status, timer], show_progress="hidden", queue=False)
        answers = gr.State([])
        # The chat's height follows the window (the widget's iframe or the page), leaving room
        # for the question box and the examples; no floating label over the first line.
        chatbot = gr.Chatbot(label="对话", show_label=False, elem_id="chat",
                             height="calc(100vh - 250px)" if widget else "calc(100vh - 330px)",
                             min_height=260 if widget else 360,
                             placeholder="例如：专利费用减缴备案审核要多久？" if widget
                             else "请在下方输入问题，例如：专利费用减缴备案审核要多久？",
                             buttons=["copy"], feedback_options=("Like", "Dislike"))
        with gr.Row():
            box = gr.Textbox(placeholder="输入问题" if widget else "输入您的问题，按回车发送", show_label=False, scale=8,
                             elem_id="question",
                             max_length=500)
            send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
        with gr.Row():
            follow = [gr.Button(visible=False, size="sm", elem_classes=["follow-up"]) for _ in range(3)]
            reset = gr.Button("新对话", size="sm", elem_id="new-conversation")
        scope = [] if widget else _scope_controls(gr, state)
        gr.Examples(examples=WIDGET_EXAMPLES if widget else EXAMPLES, inputs=box, label="示例问题",
                    elem_id="examples")
        outputs = [box, chatbot, answers, *follow]
        box.submit(respond, [box, chatbot, answers, *scope], outputs, concurrency_limit=QUEUE_CONCURRENCY,
                   api_visibility="private")
        send.click(respond, [box, chatbot, answers, *scope], outputs, concurrency_limit=QUEUE_CONCURRENCY,
                   api_visibility="private")
        for button in follow:
            button.click(respond, [button, chatbot, answers, *scope], outputs, concurrency_limit=QUEUE_CONCURRENCY,
                         api_visibility="private")
        chatbot.like(on_like, [answers], None, api_visibility="private")
        # A new conversation: no earlier turn is read with the next question.
        reset.click(lambda: ([], [], "", *_suggestion_updates([])), None, [chatbot, answers, box, *follow],
                    api_visibility="private", queue=False)
        if not widget:
            _staff_tabs(gr, state)

        def ask_api(question: str, history: list | None = None, filters: dict | None = None,
                    request: gr.Request = None) -> dict:
            """The same JSON as POST /api/ask (history: the earlier turns as OpenAI-style
            messages; filters: doc_ids / issuer / date_from / date_to), for gradio_client;
            the same per-client rate limit."""
            from .conversation import HistoryError, history_questions
            from .scope import FilterError, Filters

            try:
                history_questions(history)
                parsed = Filters.parse(filters)
            except (HistoryError, FilterError) as exc:
                return {"question": question, "found": False, "answer": str(exc), "citations": [],
                        "latency_ms": 0.0, "mode": "error", "error": str(exc)}
            return answer_request(state, limiter, question, _client_id(request), "gradio-api",
                                  history=history, filters=parsed).to_dict()

        if not widget:
            gr.api(ask_api, api_name="ask", concurrency_limit=QUEUE_CONCURRENCY)
    return blocks


def _scope_controls(gr, state: AppState) -> list:
    """The collapsed 限定范围 control: restrict questions to documents, an issuer, a date range."""
    with gr.Accordion("限定范围", open=False, elem_id="scope-panel"):
        documents = gr.Dropdown(label="只在这些文件中查找（不选为全部）", choices=[], multiselect=True,
                                elem_id="scope-documents")
        with gr.Row():
            issuer = gr.Textbox(label="发文机关包含", placeholder="如 国家知识产权局", max_length=60,
                                elem_id="scope-issuer")
            date_from = gr.Textbox(label="发文日期从", placeholder="YYYY-MM-DD", max_length=10, elem_id="scope-from")
            date_to = gr.Textbox(label="发文日期到", placeholder="YYYY-MM-DD", max_length=10, elem_id="scope-to")

    def choices():
        if not state.ready:
            return gr.update(choices=[])
        return gr.update(choices=[(d.meta.short_title or d.meta.title, d.doc_id)
                                  for d in state.assistant.index.documents.values()])

    documents.focus(choices, None, documents, api_visibility="private", queue=False)
    return [documents, issuer, date_from, date_to]


def _staff_tabs(gr, state: AppState) -> None:
    from .render import document_html, lookup_html

    with gr.Accordion("查原文（工作人员）", open=False, elem_id="lookup-panel"):
        phrase = gr.Textbox(label="输入短语或文件名，列出全部原文出处", elem_id="lookup-input", max_length=200)
        found = gr.HTML()
        phrase.submit(lambda p: lookup_html(p, state.assistant.lookup(p)) if state.ready else "索引准备中，请稍候。",
                      phrase, found, api_visibility="private")
    with gr.Accordion("阅读文件", open=False, elem_id="documents-panel"):
        choice = gr.Dropdown(label="选择文件", choices=[], elem_id="document-choice")
        shown = gr.HTML()

        def choices():
            if not state.ready:
                return gr.update(choices=[])
            docs = state.assistant.index.documents
            return gr.update(choices=[(d.meta.title, d.doc_id) for d in docs.values()])

        def show(doc_id):
            if not state.ready or doc_id not in state.assistant.index.documents:
                return ""
            document = state.assistant.index.documents[doc_id]
            return document_html(document, state.assistant.document_sections(doc_id))

        choice.focus(choices, None, choice, api_visibility="private")
        choice.change(show, choice, shown, api_visibility="private")


# ---------------------------------------------------------------- FastAPI app

def create_app(settings: Settings | None = None, assistant=None):
    """The whole server. Pass `assistant` to skip the background load (tests)."""
    from .question_log import QuestionLog

    settings = settings or Settings.from_env()
    state = AppState(settings, questions=QuestionLog(settings.data_dir / "questions.sqlite3"))
    # The index starts loading before Gradio is imported (two seconds of the start), so the
    # two overlap where they wait on files or run in C.
    state.load(assistant)

    import gradio as gr
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    from .audit import AuditLog
    from .feedback import FeedbackStore
    limiter = RateLimiter(settings.rate_limit_per_minute)
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    allowed = set(settings.allowed_origins)

    # Behind a proxy that strips ASSISTANT_ROOT_PATH (deploy/nginx-assistant.conf), uvicorn's
    # root_path puts it back into the scope, so Gradio writes its URLs with the prefix.
    app = FastAPI(title="知识产权政策问答 API", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.assistant_state = state
    app.state.feedback = feedback

    def same_origin(request: Request, origin: str) -> bool:
        host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
        return origin.split("://", 1)[-1] == host

    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        root = request.scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        origin = request.headers.get("origin")
        is_api = path.startswith("/api/")
        if is_api and origin and origin not in allowed and not same_origin(request, origin):
            return JSONResponse({"error": "该来源未被允许调用此接口"}, status_code=403)
        if is_api and request.method == "OPTIONS":
            response = Response(status_code=204)
        else:
            response = await call_next(request)
        if is_api and origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
        ancestors = "'self'"
        if path == WIDGET_PATH or path.startswith(WIDGET_PATH + "/"):
            ancestors = " ".join(["'self'", *sorted(allowed)])
        else:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def error(message: str, status: int) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.post("/api/ask")
    async def api_ask(request: Request):
        if "application/json" not in request.headers.get("content-type", ""):
            return error("请求体必须是 JSON（Content-Type: application/json）", 415)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return error(f"请求体过大（上限 {MAX_BODY_BYTES} 字节）", 413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return error(f"请求体过大（上限 {MAX_BODY_BYTES} 字节）", 413)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error("请求体不是合法的 JSON", 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
            return error('需要 {"question": "问题文字"}，question 为字符串', 400)
        top_k = payload.get("top_k", 5)
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 20:
            return error("top_k 必须是 1 到 20 的整数", 400)
        from .conversation import HistoryError, history_questions

        from .scope import FilterError, Filters

        history = payload.get("history")
        try:
            history_questions(history)
            filters = Filters.parse(payload.get("filters"))
        except (HistoryError, FilterError) as exc:
            return error(str(exc), 400)
        import anyio

        client = _client_id(request)
        answer = await anyio.to_thread.run_sync(
            lambda: answer_request(state, limiter, payload["question"], client, "api", top_k, history, filters))
        status = HTTP_STATUS.get(answer.mode, 200)
        body = answer.to_dict()
        if status != 200:
            body["error"] = answer.answer
        return JSONResponse(body, status_code=status)

    @app.get("/document")
    async def reader(id: str = ""):
        """One document to read (plain page, linkable: the portal's sources point here, with
        #at-<start> for a passage)."""
        from fastapi.responses import HTMLResponse

        from .render import document_html

        if not state.ready:
            return HTMLResponse(f"<p>{html.escape(NOT_READY.format(progress=state.status_text()))}</p>", 503)
        document = state.assistant.index.documents.get(id)
        if document is None:
            return HTMLResponse("<p>没有这个文件。</p>", 404)
        body = document_html(document, state.assistant.document_sections(id))
        return HTMLResponse(
            f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{html.escape(document.meta.title)}</title>'
            f'<style>body{{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;'
            f'max-width:860px;margin:0 auto;padding:16px;line-height:1.7}}:target{{background:#fff3a3}}</style>'
            f'</head><body>{body}</body></html>')

    @app.get("/api/health")
    async def api_health():
        return {"ready": state.ready, "status": state.status_text(), "error": state.error or None}

    @app.get("/api/lookup")
    async def api_lookup(q: str = ""):
        if not state.ready:
            return error(NOT_READY.format(progress=state.status_text()), 503)
        if not q.strip() or len(q) > 200:
            return error("q 必须是 1 到 200 个字符", 400)
        return {"phrase": q, "matches": [m.__dict__ for m in state.assistant.lookup(q)]}

    from .admin import StaffActions, register_admin_routes
    from .console import register_console

    actions = StaffActions(state, AuditLog(settings.data_dir / "audit.sqlite3"))
    register_admin_routes(app, state, settings, actions)
    register_console(app, state, settings, actions, state.questions, feedback)
    theme = _theme()
    widget = build_chat_blocks(state, limiter, feedback, widget=True)
    widget.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=64)
    app = gr.mount_gradio_app(app, widget, path=WIDGET_PATH, footer_links=[], theme=theme, css=CSS, head=HEAD,
                              show_error=False)
    main = build_chat_blocks(state, limiter, feedback, widget=False)
    main.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=128)
    app = gr.mount_gradio_app(app, main, path="/", footer_links=["api"], theme=theme, css=CSS, head=HEAD,
                              show_error=False)
    return app


def serve(settings: Settings | None = None) -> None:
    import uvicorn

    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("faiss.loader", "httpx", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}{settings.root_path or ''}/"
    print(f"政策问答助手已启动：{url}（门户挂件：{url.rstrip('/')}{WIDGET_PATH}/）", flush=True)
    # Open event streams (Gradio queue clients) would otherwise hold a restart up forever.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=True,
                root_path=settings.root_path, timeout_graceful_shutdown=5)
