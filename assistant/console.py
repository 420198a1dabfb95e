"""The staff console at /admin: plain server-rendered pages in Chinese.

Exists only when ASSISTANT_ADMIN_TOKEN is set. Staff sign in with the token through a form
(never in a URL); the server then keeps a session and sets a cookie (HttpOnly,
SameSite=Strict, expiring). Failed sign-ins are rate-limited per client and logged without
what was typed. Every state-changing request must carry the session's CSRF token and, when
the browser sends an Origin, come from this site. Every action goes to the audit log.

Pages: documents (list, upload with metadata, edit, replace, remove, re-index progress),
unanswered questions (grouped, date filter, CSV / Excel export, add a dictionary term,
re-ask), recent actions.
"""


import hmac
import html
import logging
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from .admin import StaffActions, metadata_from_form, read_upload
from .documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, VALIDITY_LABELS
from .library import LibraryError
from .question_log import QuestionLog, export_csv, export_xlsx

log = logging.getLogger("assistant.console")

SESSION_COOKIE = "assistant_admin"
SESSION_SECONDS = 8 * 3600
SIGN_IN_FAILURES = 5  # per client within SIGN_IN_WINDOW seconds, then refused until it passes
SIGN_IN_WINDOW = 15 * 60
MAX_SESSIONS = 1000
EXPIRED = "登录已过期或请求无效，请重新登录。"


class Sessions:
    """Server-side sessions: id → (expiry, CSRF token). Lost on restart (staff sign in again)."""

    def __init__(self):
        self._sessions: dict[str, tuple[float, str]] = {}
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def create(self) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            for key in [k for k, (expires, _) in self._sessions.items() if expires < now]:
                del self._sessions[key]
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[session_id] = (now + SESSION_SECONDS, secrets.token_urlsafe(24))
        return session_id

    def csrf(self, session_id: str | None) -> str | None:
        """The session's CSRF token, or None when there is no live session."""
        if not session_id:
            return None
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is None or entry[0] < time.time():
                self._sessions.pop(session_id, None)
                return None
            return entry[1]

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def may_try(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            failures = self._failures[client]
            while failures and now - failures[0] > SIGN_IN_WINDOW:
                failures.popleft()
            return len(failures) < SIGN_IN_FAILURES

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures[client].append(time.monotonic())
            if len(self._failures) > MAX_SESSIONS * 10:  # forget addresses whose window has passed
                now = time.monotonic()
                for key in [k for k, v in self._failures.items() if not v or now - v[-1] > SIGN_IN_WINDOW]:
                    del self._failures[key]


# ---------------------------------------------------------------- page pieces

PAGE_CSS = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .grow{flex:1}
main{max-width:1200px;margin:0 auto;padding:16px}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid #d0d7de;padding:6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
form.inline{display:inline}
label{display:block;margin:6px 0 2px;font-weight:600}
input[type=text],input[type=date],input[type=password],select,textarea{width:100%;max-width:480px;padding:6px;border:1px solid #d0d7de;border-radius:6px;box-sizing:border-box}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:0 16px}
button{padding:6px 12px;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;color:#fff;border-color:#1f883d}button.danger{color:#cf222e}
.notice{padding:8px 12px;border-radius:6px;margin-bottom:12px}.ok{background:#dafbe1}.bad{background:#ffebe9}
.badge{white-space:nowrap;padding:1px 6px;border-radius:10px;font-size:.85em;background:#ddf4ff}.badge.amended{background:#fff8c5}.badge.repealed{background:#ffebe9}
.muted{color:#57606a;font-size:.9em}
progress{width:280px}
.scroll{overflow-x:auto}
@media (max-width:700px){th:nth-child(3),td:nth-child(3),th:nth-child(7),td:nth-child(7){display:none}}
"""


def _e(value) -> str:
    return html.escape(str(value or ""), quote=True)


def page(title: str, body: str, base: str, signed_in: bool = True) -> str:
    nav = ""
    if signed_in:
        nav = (f'<a href="{base}">文件管理</a><a href="{base}/questions">未解答问题</a>'
               f'<a href="{base}/audit">操作记录</a><span class="grow"></span>'
               f'<form class="inline" method="post" action="{base}/logout">{{csrf_field}}'
               f'<button type="submit" id="logout">退出</button></form>')
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{_e(title)} · 政策问答管理后台</title><style>{PAGE_CSS}</style></head>'
            f'<body><header><strong>政策问答管理后台</strong>{nav}</header><main>{body}</main></body></html>')


def metadata_fields(values: dict | None = None) -> str:
    values = values or {}
    options = "".join(f'<option value="{k}"{" selected" if values.get("validity", "effective") == k else ""}>'
                      f'{label}</option>' for k, label in VALIDITY_LABELS.items())
    amended_by = values.get("amended_by") or []
    if isinstance(amended_by, (list, tuple)):
        amended_by = "，".join(amended_by)
    field = lambda name, label, kind="text", hint="": (  # noqa: E731
        f'<div><label for="{name}">{label}</label><input type="{kind}" id="{name}" name="{name}" '
        f'value="{_e(values.get(name, ""))}" placeholder="{_e(hint)}"></div>')
    return ('<div class="grid">' + field("title", "标题") + field("issuer", "发文机关")
            + field("doc_number", "文号", hint="如 财税〔2016〕78号") + field("date", "发文日期", "date")
            + field("source_url", "原文网址", hint="https://…")
            + f'<div><label for="validity">效力状态</label><select id="validity" name="validity">{options}</select></div>'
            + field("effective_date", "施行日期", "date")
            + field("amended_by", "修改或废止它的文件", hint="文号或标题，多个用逗号分隔")
            + '</div><label for="status">效力说明（显示给用户）</label>'
            + f'<textarea id="status" name="status" rows="2">{_e(values.get("status", ""))}</textarea>')


STATUS_SCRIPT = """
<script>
(function(){
  const box=document.getElementById('reindex-status'); if(!box) return;
  const url=box.dataset.url; let timer=null;
  function show(s){
    let text;
    if(s.running){
      const pct=s.total?Math.round(100*s.done/s.total):0;
      text='<progress max="100" value="'+pct+'"></progress> 正在重建索引：'+(s.stage||'')+(s.total?(' '+s.done+'/'+s.total):'')+(s.queued?'（之后还会再重建一次）':'')+'。重建期间问答仍使用旧索引。';
    } else if(s.error){
      text='<span class="bad">⚠ 上次重建失败：'+s.error.replace(/[<>&]/g,'')+'。问答仍使用上一版索引。</span>';
    } else {
      text='✓ 索引已是最新'+(s.summary?'（'+s.summary+'）':'')+(s.finished?'，完成于 '+s.finished:'')+'。';
    }
    box.innerHTML=text; box.dataset.running=s.running?'1':'0';
    if(!s.running && timer){clearInterval(timer);timer=null;}
    if(s.running && !timer){timer=setInterval(poll,1000);}
  }
  function poll(){fetch(url,{credentials:'same-origin'}).then(r=>r.json()).then(show).catch(()=>{});}
  poll(); timer=setInterval(poll,1000);
})();
</script>
"""

REASK_SCRIPT = """
<script>
document.querySelectorAll('button.reask').forEach(function(button){
  button.addEventListener('click',function(){
    const out=button.parentElement.querySelector('.reask-result'); out.textContent='提问中…';
    fetch(button.dataset.url,{method:'POST',credentials:'same-origin',headers:{'Content-Type':'application/json','X-CSRF-Token':button.dataset.csrf},
      body:JSON.stringify({question:button.dataset.question})})
      .then(r=>r.json()).then(function(a){out.textContent=a.found?('现在能回答：'+a.answer.slice(0,80)):(a.error||'仍未找到答案');
        out.className='reask-result '+(a.found?'ok':'bad');})
      .catch(function(){out.textContent='请求失败';});
  });
});
</script>
"""


def register_console(app, state, settings, actions: StaffActions, questions: QuestionLog, feedback) -> None:
    from fastapi import Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
    from starlette.background import BackgroundTask

    token = settings.admin_token
    if not token:
        return  # no token: no console
    sessions = Sessions()

    def base_of(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/") + "/admin"

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def session_of(request: Request) -> tuple[str | None, str | None]:
        session_id = request.cookies.get(SESSION_COOKIE)
        return session_id, sessions.csrf(session_id)

    def same_site(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin:
            return True  # not sent by this browser for a same-site form; the cookie is SameSite=Strict
        host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
        return origin.split("://", 1)[-1] == host

    async def checked_form(request: Request, max_files: int = 0):
        """The submitted form when the session and its CSRF token are valid, else None."""
        _, csrf = session_of(request)
        if csrf is None or not same_site(request):
            return None
        form = await request.form(max_files=max_files, max_fields=30, max_part_size=MAX_FILE_BYTES)
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), csrf.encode()):
            return None
        return form

    def render(request: Request, title: str, body: str, status: int = 200) -> HTMLResponse:
        _, csrf = session_of(request)
        text = page(title, body, base_of(request)).replace(
            "{csrf_field}", f'<input type="hidden" name="csrf" value="{_e(csrf)}">')
        return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})

    def sign_in_page(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
        notice = f'<div class="notice bad" role="alert">{_e(message)}</div>' if message else ""
        body = (f'<section style="max-width:420px;margin:40px auto"><h1>工作人员登录</h1>{notice}'
                f'<form method="post" action="{base_of(request)}/login">'
                f'<label for="token">管理令牌</label><input type="password" id="token" name="token" '
                f'autocomplete="current-password" required>'
                f'<p><button class="primary" type="submit" id="sign-in">登录</button></p></form>'
                f'<p class="muted">令牌由系统管理员在服务器上设置（ASSISTANT_ADMIN_TOKEN）。</p></section>')
        return HTMLResponse(page("登录", body, base_of(request), signed_in=False), status_code=status,
                            headers={"Cache-Control": "no-store"})

    def back(request: Request, path: str = "", message: str = "", ok: bool = True) -> RedirectResponse:
        from urllib.parse import quote

        query = f"?{'msg' if ok else 'err'}={quote(message)}" if message else ""
        return RedirectResponse(base_of(request) + path + query, status_code=303)

    def notice_of(request: Request) -> str:
        msg, err = request.query_params.get("msg"), request.query_params.get("err")
        if err:
            return f'<div class="notice bad" role="alert">{_e(err)}</div>'
        return f'<div class="notice ok" role="status">{_e(msg)}</div>' if msg else ""

    def outcome_text(outcome: str) -> str:
        return "正在重建索引" if outcome == "started" else "已排队：当前重建完成后会再重建一次"

    # ------------------------------------------------------------ sign in / out
    @app.post("/admin/login")
    async def login(request: Request):
        client = client_of(request)
        if not sessions.may_try(client):
            log.warning("admin sign-in refused: too many failures from %s", client)
            return sign_in_page(request, "登录失败次数过多，请 15 分钟后再试。", 429)
        form = await request.form(max_files=0, max_fields=5)
        supplied = str(form.get("token", ""))
        if not same_site(request) or not hmac.compare_digest(supplied.encode(), token.encode()):
            sessions.failed(client)
            log.warning("admin sign-in failed from %s", client)  # never what was typed
            actions.audit.record("sign_in_failed", "", client)
            return sign_in_page(request, "令牌不正确。", 401)
        session_id = sessions.create()
        actions.audit.record("sign_in", "", client)
        response = RedirectResponse(base_of(request), status_code=303)
        secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
        response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                            secure=secure, path=base_of(request))
        return response

    @app.post("/admin/logout")
    async def logout(request: Request):
        session_id, _ = session_of(request)
        if await checked_form(request) is not None:
            sessions.end(session_id)
            actions.audit.record("sign_out", "", client_of(request))
        response = RedirectResponse(base_of(request), status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=base_of(request))
        return response

    # ------------------------------------------------------------ documents
    @app.get("/admin")
    async def home(request: Request):
        if session_of(request)[1] is None:
            return sign_in_page(request)
        rows = actions.documents()
        table = "".join(
            f'<tr data-doc="{_e(r.doc_id)}"><td><a href="{base_of(request)}/document?doc={_e(r.doc_id)}">'
            f'{_e(r.title)}</a><div class="muted">{_e(r.doc_id)}</div>'
            + (f'<div class="bad">⚠ {_e(r.problem)}</div>' if r.problem else "")
            + f'</td><td>{_e(r.issuer)}</td><td>{_e(r.doc_number)}</td><td>{_e(r.date)}</td>'
            f'<td><span class="badge {r.validity}">{VALIDITY_LABELS.get(r.validity, "")}</span></td>'
            f'<td>{r.chunks or "未索引"}</td><td class="muted">{_e(r.indexed_at[:16].replace("T", " "))}</td></tr>'
            for r in rows)
        body = (f'<h1>文件管理</h1>{notice_of(request)}'
                f'<section><h2>索引状态</h2><div id="reindex-status" data-url="{base_of(request)}/status" '
                f'role="status">读取中…</div>'
                f'<form class="inline" method="post" action="{base_of(request)}/reindex">{{csrf_field}}'
                f'<button type="submit" id="reindex">立即重建索引</button></form></section>'
                f'<section><h2>文件（{len(rows)}）</h2><div class="scroll"><table id="documents"><thead><tr><th>标题</th><th>发文机关</th>'
                f'<th>文号</th><th>日期</th><th>状态</th><th>片段数</th><th>最近索引</th></tr></thead>'
                f'<tbody>{table}</tbody></table></div></section>'
                f'<section><h2>上传新文件</h2><p class="muted">支持 {"、".join(sorted(SUPPORTED_SUFFIXES))}，'
                f'单个文件不超过 {MAX_FILE_BYTES // 1_000_000} MB。上传后自动重建索引，完成前问答仍使用旧索引。</p>'
                f'<form method="post" action="{base_of(request)}/upload" enctype="multipart/form-data" id="upload-form">'
                f'{{csrf_field}}<label for="file">文件</label><input type="file" id="file" name="file" required>'
                f'{metadata_fields()}<p><button class="primary" type="submit" id="upload">上传并重建索引</button></p>'
                f'</form></section>{STATUS_SCRIPT}')
        return render(request, "文件管理", body)

    @app.get("/admin/status")
    async def reindex_status(request: Request):
        if session_of(request)[1] is None:
            return JSONResponse({"error": "请先登录"}, status_code=401)
        return JSONResponse(state.reindex_status(), headers={"Cache-Control": "no-store"})

    @app.post("/admin/reindex")
    async def reindex(request: Request):
        if await checked_form(request) is None:
            return sign_in_page(request, EXPIRED, 403)
        return back(request, "", outcome_text(actions.reindex(client_of(request))))

    @app.post("/admin/upload")
    async def upload(request: Request):
        form = await checked_form(request, max_files=1)
        if form is None:
            return sign_in_page(request, EXPIRED, 403)
        try:
            name, data = await read_upload(form)
            outcome = actions.add(name, data, metadata_from_form(form), client_of(request))
        except LibraryError as exc:
            return back(request, "", f"上传失败：{exc}", ok=False)
        return back(request, "", f"已上传 {name}，{outcome_text(outcome)}")

    @app.get("/admin/document")
    async def document(request: Request, doc: str = ""):
        if session_of(request)[1] is None:
            return sign_in_page(request)
        row = next((r for r in actions.documents() if r.doc_id == doc), None)
        if row is None:
            return back(request, "", f"没有名为 {doc} 的文件", ok=False)
        from .library import read_meta_quietly

        meta = read_meta_quietly(actions.docs_dir / row.doc_id)
        values = {"title": meta.title, "issuer": meta.issuer, "doc_number": meta.doc_number, "date": meta.date,
                  "source_url": meta.source_url, "validity": meta.validity, "effective_date": meta.effective_date,
                  "amended_by": list(meta.amended_by), "status": meta.status}
        hidden = f'{{csrf_field}}<input type="hidden" name="doc" value="{_e(row.doc_id)}">'
        body = (f'<h1>{_e(row.title)}</h1>{notice_of(request)}<p class="muted">文件 {_e(row.doc_id)} · '
                f'{row.chunks} 个片段</p>'
                f'<section><h2>编辑元数据</h2><form method="post" action="{base_of(request)}/metadata" id="meta-form">'
                f'{hidden}{metadata_fields(values)}<p><button class="primary" type="submit" id="save-meta">保存并重建索引'
                f'</button></p></form></section>'
                f'<section><h2>替换文件</h2><form method="post" action="{base_of(request)}/replace" '
                f'enctype="multipart/form-data">{hidden}<input type="file" name="file" required> '
                f'<button type="submit" id="replace">替换并重建索引</button></form>'
                f'<p class="muted">新文件须与原文件同名（{_e(row.doc_id)}）。</p></section>'
                f'<section><h2>删除</h2><form method="post" action="{base_of(request)}/remove" '
                f'onsubmit="return confirm(\'确定删除这个文件？\')">{hidden}'
                f'<button class="danger" type="submit" id="remove">删除该文件</button></form></section>')
        return render(request, row.title, body)

    async def document_action(request: Request, act, done: str, failed: str, max_files: int = 0,
                              back_to_document: bool = False):
        """A checked form naming a document (`doc`), the action `act(form, doc)`, then back
        to the list with what happened (or to where it failed, with why)."""
        form = await checked_form(request, max_files=max_files)
        if form is None:
            return sign_in_page(request, EXPIRED, 403)
        doc = str(form.get("doc", ""))
        try:
            outcome = await act(form, doc)
        except LibraryError as exc:
            return back(request, f"/document?doc={doc}" if back_to_document else "", f"{failed}：{exc}", ok=False)
        return back(request, "", f"{done.format(doc=doc)}，{outcome_text(outcome)}")

    @app.post("/admin/metadata")
    async def edit(request: Request):
        async def act(form, doc):
            return actions.update(doc, metadata_from_form(form), client_of(request))
        return await document_action(request, act, "已保存 {doc} 的元数据", "保存失败", back_to_document=True)

    @app.post("/admin/replace")
    async def replace_file(request: Request):
        async def act(form, doc):
            _, data = await read_upload(form)
            return actions.add(doc, data, {}, client_of(request), replace=True)
        return await document_action(request, act, "已替换 {doc}", "替换失败", max_files=1)

    @app.post("/admin/remove")
    async def remove(request: Request):
        async def act(form, doc):
            return actions.remove(doc, client_of(request))
        return await document_action(request, act, "已删除 {doc}", "删除失败")

    # ------------------------------------------------------------ unanswered questions
    def grouped(request: Request):
        date_from = request.query_params.get("date_from", "")[:10]
        date_to = request.query_params.get("date_to", "")[:10]
        order = "count" if request.query_params.get("order") == "count" else "newest"
        return questions.groups(feedback.disliked(), date_from, date_to, order), date_from, date_to, order

    @app.get("/admin/questions")
    async def question_list(request: Request):
        if session_of(request)[1] is None:
            return sign_in_page(request)
        groups, date_from, date_to, order = grouped(request)
        _, csrf = session_of(request)
        query = request.url.query
        rows = "".join(
            f'<tr><td>{_e(g.question)}<div class="muted">首次 {_e(g.first[:16].replace("T", " "))}</div></td>'
            f'<td>{g.count}</td><td>{_e(g.last[:16].replace("T", " "))}</td>'
            f'<td class="muted">未找到 {g.kinds["not_found"]} · 仅相关 {g.kinds["related"]} · 点踩 {g.kinds["disliked"]}</td>'
            f'<td><button type="button" class="reask" data-url="{base_of(request)}/reask" data-csrf="{_e(csrf)}" '
            f'data-question="{_e(g.question)}">重新提问</button> <span class="reask-result" role="status"></span>'
            f'<details><summary>添加词语</summary><form method="post" action="{base_of(request)}/terms">'
            f'{{csrf_field}}<label>用户说法（可空）</label><input type="text" name="everyday" maxlength="40">'
            f'<label>政策用语</label><input type="text" name="policy" maxlength="40" required>'
            f'<p><button type="submit">加入词典</button></p></form></details></td></tr>'
            for g in groups)
        body = (f'<h1>未解答和点踩的问题</h1>{notice_of(request)}'
                f'<section><form method="get" action="{base_of(request)}/questions" id="question-filter">'
                f'<div class="grid"><div><label for="date_from">起始日期</label><input type="date" id="date_from" '
                f'name="date_from" value="{_e(date_from)}"></div><div><label for="date_to">截止日期</label>'
                f'<input type="date" id="date_to" name="date_to" value="{_e(date_to)}"></div>'
                f'<div><label for="order">排序</label><select id="order" name="order">'
                f'<option value="newest"{" selected" if order == "newest" else ""}>最新在前</option>'
                f'<option value="count"{" selected" if order == "count" else ""}>次数最多在前</option></select></div>'
                f'</div><p><button type="submit">筛选</button> '
                f'<a href="{base_of(request)}/questions.csv?{_e(query)}" id="export-csv">导出 CSV</a> · '
                f'<a href="{base_of(request)}/questions.xlsx?{_e(query)}" id="export-xlsx">导出 Excel</a></p></form>'
                f'<p class="muted">“添加词语”把用户的说法对应到文件里的政策用语（如 押给银行 → 质押），'
                f'或把一个政策用语加入分词词典；下次重建索引后生效。</p></section>'
                f'<section class="scroll"><table id="questions"><thead><tr><th>问题</th><th>次数</th><th>最近一次</th><th>类型</th>'
                f'<th>处理</th></tr></thead><tbody>{rows or "<tr><td colspan=5>暂无记录</td></tr>"}</tbody></table>'
                f'</section>{REASK_SCRIPT}')
        return render(request, "未解答问题", body)

    def export(request: Request, kind: str):
        if session_of(request)[1] is None:
            return JSONResponse({"error": "请先登录"}, status_code=401)
        groups, *_ = grouped(request)
        handle = tempfile.NamedTemporaryFile(suffix=f".{kind}", delete=False)
        handle.close()
        (export_csv if kind == "csv" else export_xlsx)(groups, Path(handle.name))
        actions.audit.record(f"export_{kind}", "", client_of(request), f"{len(groups)} rows")
        media = "text/csv; charset=utf-8" if kind == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return FileResponse(handle.name, media_type=media, filename=f"unanswered-{time.strftime('%Y%m%d')}.{kind}",
                            background=BackgroundTask(lambda: Path(handle.name).unlink(missing_ok=True)))

    @app.get("/admin/questions.csv")
    async def export_questions_csv(request: Request):
        return export(request, "csv")

    @app.get("/admin/questions.xlsx")
    async def export_questions_xlsx(request: Request):
        return export(request, "xlsx")

    @app.post("/admin/terms")
    async def add_term(request: Request):
        form = await checked_form(request)
        if form is None:
            return sign_in_page(request, EXPIRED, 403)
        try:
            actions.add_term(str(form.get("policy", "")), str(form.get("everyday", "")), client_of(request))
        except LibraryError as exc:
            return back(request, "/questions", f"未能添加：{exc}", ok=False)
        return back(request, "/questions", "已加入词典，重建索引后生效（可在“文件管理”页立即重建）。")

    @app.post("/admin/reask")
    async def reask(request: Request):
        _, csrf = session_of(request)
        supplied = request.headers.get("x-csrf-token", "")
        if csrf is None or not same_site(request) or not hmac.compare_digest(supplied.encode(), csrf.encode()):
            return JSONResponse({"error": "登录已过期或请求无效"}, status_code=403)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "请求体不是合法的 JSON"}, status_code=400)
        question = payload.get("question") if isinstance(payload, dict) else None
        if not isinstance(question, str) or not question.strip():
            return JSONResponse({"error": "需要 question"}, status_code=400)
        if not state.ready:
            return JSONResponse({"error": "索引准备中"}, status_code=503)
        answer = state.assistant.ask(question)
        return {"found": answer.found, "answer": answer.answer, "mode": answer.mode}

    @app.get("/admin/audit")
    async def audit_page(request: Request):
        if session_of(request)[1] is None:
            return sign_in_page(request)
        rows = "".join(f'<tr><td>{_e(t[:19].replace("T", " "))}</td><td>{_e(a)}</td><td>{_e(d)}</td><td>{_e(c)}</td>'
                       f'<td class="muted">{_e(x)}</td></tr>' for t, a, d, c, x in actions.audit.recent(200))
        body = (f'<h1>操作记录</h1><section><table id="audit"><thead><tr><th>时间</th><th>操作</th><th>文件</th>'
                f'<th>来源地址</th><th>说明</th></tr></thead><tbody>{rows}</tbody></table></section>')
        return render(request, "操作记录", body)
