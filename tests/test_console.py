"""The staff console (/admin) and the token API over invented documents, with the stand-in
encoder: sign-in, sessions, CSRF, every document action, bad input, re-index, unanswered list."""

import csv
import io
import logging
import re
import threading
import time
from dataclasses import replace

import pytest

from assistant.config import Settings
from assistant.index import build_index
from assistant.service import Assistant
from assistant.store import load_index
from assistant.tuning import Tuning
from tests.fakes import HashingEncoder

TOKEN = "console-test-token-4711"
# Invented document for uploads (not policy text).
NEW_DOC = "测试市示例办法\n第一条　示例青苔补贴每件发放九百元。\n第二条　本办法自2031年1月1日起施行。\n".encode()


@pytest.fixture
def console(invented_docs, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.web import create_app

    encoder = HashingEncoder()
    build_index(invented_docs, tmp_path / "index", encoder)
    assistant = Assistant(load_index(tmp_path / "index"), encoder, tuning=Tuning(gate="relevance", min_relevance=-10))
    settings = replace(Settings(), docs_dir=invented_docs, docs_dir_explicit=True, index_dir=tmp_path / "index",
                       data_dir=tmp_path / "data", encoder="hashing", admin_token=TOKEN, rate_limit_per_minute=1000)
    app = create_app(settings, assistant=assistant)
    client = TestClient(app, base_url="http://testserver")
    client.app_state = app.state.assistant_state
    return client


def sign_in(client) -> str:
    response = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/admin").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def wait_reindexed(client, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = client.get("/admin/status").json()
        if not status["running"]:
            return status
        time.sleep(0.1)
    raise AssertionError("re-index did not finish")


def test_the_console_does_not_exist_without_a_token(invented_docs, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.web import create_app

    encoder = HashingEncoder()
    build_index(invented_docs, tmp_path / "index", encoder)
    settings = replace(Settings(), docs_dir=invented_docs, index_dir=tmp_path / "index", data_dir=tmp_path / "data",
                       encoder="hashing")
    client = TestClient(create_app(settings, assistant=Assistant(load_index(tmp_path / "index"), encoder)))
    assert client.post("/admin/login", data={"token": "x"}).status_code in (404, 405)
    assert "工作人员登录" not in client.get("/admin").text


def test_sign_in_sets_a_strict_httponly_expiring_cookie_and_never_logs_the_token(console, caplog):
    caplog.set_level(logging.INFO)
    assert "工作人员登录" in console.get("/admin").text
    wrong = console.post("/admin/login", data={"token": "wrong-guess"})
    assert wrong.status_code == 401 and "令牌不正确" in wrong.text
    response = console.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie and "path=/admin" in cookie
    assert TOKEN not in response.headers.get("location", "")
    assert "文件管理" in console.get("/admin").text
    assert TOKEN not in caplog.text and "wrong-guess" not in caplog.text


def test_failed_sign_ins_are_rate_limited(console):
    codes = [console.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    # Even the right token waits out the window.
    assert console.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).status_code == 429


def test_state_changing_requests_need_the_csrf_token_and_this_site(console, invented_docs):
    csrf = sign_in(console)
    # No CSRF token, a wrong one, or another site's Origin: refused, nothing removed.
    assert console.post("/admin/remove", data={"doc": "a.txt"}).status_code == 403
    assert console.post("/admin/remove", data={"doc": "a.txt", "csrf": "forged"}).status_code == 403
    assert console.post("/admin/remove", data={"doc": "a.txt", "csrf": csrf},
                        headers={"Origin": "https://evil.example"}).status_code == 403
    assert (invented_docs / "a.txt").exists()


def test_upload_with_metadata_reindexes_and_the_new_document_answers(console, invented_docs):
    csrf = sign_in(console)
    response = console.post("/admin/upload", data={
        "csrf": csrf, "title": "测试市示例办法", "issuer": "测试市示例局", "doc_number": "测示〔2031〕1号",
        "date": "2030-12-01", "validity": "effective", "effective_date": "2031-01-01"},
        files={"file": ("示例办法.txt", NEW_DOC, "text/plain")})
    assert response.status_code == 200 and "已上传" in response.text
    status = wait_reindexed(console)
    assert not status["error"]
    page = console.get("/admin").text
    assert "测试市示例办法" in page and "测示〔2031〕1号" in page
    answer = console.post("/api/ask", json={"question": "示例青苔补贴每件发放多少"}).json()
    assert answer["found"] and any(c["doc_id"] == "示例办法.txt" for c in answer["citations"])
    sidecar = (invented_docs / "示例办法.txt.meta.toml").read_text(encoding="utf-8")
    assert 'issuer = "测试市示例局"' in sidecar and "effective_date = 2031-01-01" in sidecar
    audit = console.get("/admin/audit").text
    assert "upload" in audit and "示例办法.txt" in audit


@pytest.mark.parametrize("name, data, problem", [
    ("bad.exe", b"MZ....", "文件名或类型不允许"),
    ("empty.txt", b"", "文件为空"),
    ("../escape.txt", "正文。".encode(), "文件名或类型不允许"),
    ("binary.txt", bytes(range(256)) * 40, "无法读取该文件"),
])
def test_bad_uploads_are_refused_with_the_reason(console, invented_docs, name, data, problem):
    csrf = sign_in(console)
    response = console.post("/admin/upload", data={"csrf": csrf}, files={"file": (name, data)})
    assert problem in response.text
    assert sorted(p.name for p in invented_docs.iterdir()) == ["a.txt", "b.txt", "b.txt.meta.toml"]
    assert not list(invented_docs.parent.glob("escape*"))


def test_metadata_with_a_bad_date_is_refused_and_changes_nothing(console, invented_docs):
    csrf = sign_in(console)
    before = (invented_docs / "b.txt.meta.toml").read_text(encoding="utf-8")
    response = console.post("/admin/metadata", data={"csrf": csrf, "doc": "b.txt", "title": "改名", "date": "2030-13-45"})
    assert "date 应为 YYYY-MM-DD" in response.text
    assert (invented_docs / "b.txt.meta.toml").read_text(encoding="utf-8") == before


def test_edit_metadata_marks_a_document_repealed_and_answers_leave_it_out(console, invented_docs):
    csrf = sign_in(console)
    console.post("/admin/metadata", data={"csrf": csrf, "doc": "b.txt", "title": "虚构示例融资办法",
                                          "validity": "repealed", "amended_by": "测示〔2031〕2号"})
    wait_reindexed(console)
    assert "已废止" in console.get("/admin").text
    answer = console.post("/api/ask", json={"question": "贷款贴息比例是多少"}).json()
    assert all(c["doc_id"] != "b.txt" for c in answer["citations"])
    named = console.post("/api/ask", json={"question": "虚构示例融资办法的贷款贴息比例是多少"}).json()
    assert named["found"] and named["citations"][0]["doc_id"] == "b.txt" and "已废止" in named["answer"]


def test_replace_and_remove_a_document(console, invented_docs):
    csrf = sign_in(console)
    console.post("/admin/replace", data={"csrf": csrf, "doc": "a.txt"}, files={"file": ("a.txt", NEW_DOC)})
    assert (invented_docs / "a.txt").read_bytes() == NEW_DOC
    wait_reindexed(console)
    console.post("/admin/remove", data={"csrf": csrf, "doc": "a.txt"})
    assert not (invented_docs / "a.txt").exists()
    wait_reindexed(console)
    assert "a.txt" not in console.get("/admin").text
    missing = console.post("/admin/remove", data={"csrf": csrf, "doc": "nope.txt"})
    assert "没有名为 nope.txt 的文件" in missing.text


def test_a_reindex_asked_for_while_one_runs_is_queued_not_lost(console, invented_docs, monkeypatch):
    import assistant.service as service

    gate = threading.Event()
    real_open = service.Assistant.open.__func__
    calls = []

    def slow_open(cls, *args, **kwargs):
        calls.append(1)
        gate.wait(10)
        return real_open(cls, *args, **kwargs)

    monkeypatch.setattr(service.Assistant, "open", classmethod(slow_open))
    state = console.app_state
    assert state.request_reindex() == "started"
    assert state.request_reindex() == "queued"
    assert state.request_reindex() == "queued"  # several asks while running: one more run
    # While the new index is being built, the old one answers.
    assert console.post("/api/ask", json={"question": "示例窗口办理时间"}).json()["found"]
    assert state.reindex_running
    gate.set()
    deadline = time.time() + 30
    while state.reindex_running and time.time() < deadline:
        time.sleep(0.05)
    assert len(calls) == 2 and not state.reindex_error


def test_a_failed_reindex_keeps_the_old_index_serving_and_shows_why(console, monkeypatch):
    import assistant.service as service
    from assistant.errors import IndexCorruptError

    def broken_open(cls, *args, **kwargs):
        raise IndexCorruptError("索引文件损坏（测试）")

    monkeypatch.setattr(service.Assistant, "open", classmethod(broken_open))
    sign_in(console)
    before = console.app_state.assistant
    console.app_state.request_reindex()
    status = wait_reindexed(console)
    assert "索引文件损坏（测试）" in status["error"]
    assert console.app_state.assistant is before
    assert console.post("/api/ask", json={"question": "示例窗口办理时间"}).json()["found"]


def test_unanswered_and_disliked_questions_are_grouped_filtered_and_exported(console):
    from openpyxl import load_workbook

    state = console.app_state
    answering = state.assistant
    # A strict gate: nothing is answered, so every question is logged as not found.
    state.assistant = Assistant(answering.index, answering.encoder, tuning=Tuning(gate="relevance", min_relevance=99))
    for question in ("火星上的专利怎么收费？", "火星上的专利怎么收费", "火星上的 专利怎么收费呢"):
        assert not console.post("/api/ask", json={"question": question}).json()["found"]
    state.assistant = answering
    assert console.post("/api/ask", json={"question": "示例窗口办理时间"}).json()["found"]  # answered: not logged
    answer = state.assistant.ask("示例窗口办理时间")
    console.app.state.feedback.add(-1, "示例窗口办理时间", answer.answer, [])
    sign_in(console)
    page = console.get("/admin/questions").text
    body = page[page.find("<main>"):]
    # One entry for the three wordings (shown in the latest one), one for the 👎.
    assert body.count("火星上的") == 2 and "未找到 3" in body and "示例窗口办理时间" in body and "点踩 1" in body
    rows = list(csv.reader(io.StringIO(console.get("/admin/questions.csv").content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["问题", "次数"]
    mars = next(r for r in rows[1:] if "火星" in r[0])
    assert mars[1] == "3"
    xlsx = console.get("/admin/questions.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "问题" and any(v[0] and "火星" in v[0] and v[1] == 3 for v in values[1:])
    future = console.get("/admin/questions.csv?date_from=2999-01-01").content.decode("utf-8-sig")
    assert "火星" not in future


def test_reask_and_add_a_term_from_an_entry(console, invented_docs):
    csrf = sign_in(console)
    refused = console.post("/admin/reask", json={"question": "示例窗口办理时间"})
    assert refused.status_code == 403  # no CSRF header
    again = console.post("/admin/reask", json={"question": "示例窗口办理时间"}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 200 and again.json()["found"]
    console.post("/admin/terms", data={"csrf": csrf, "everyday": "开个窗", "policy": "示例窗口"})
    assert "开个窗\t示例窗口" in (invented_docs / ".staff_terms.tsv").read_text(encoding="utf-8")
    bad = console.post("/admin/terms", data={"csrf": csrf, "everyday": "x", "policy": ""})
    assert "未能添加" in bad.text


def test_token_api_lists_edits_and_removes_documents(console, invented_docs):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert console.get("/api/admin/documents").status_code == 401
    listed = console.get("/api/admin/documents", headers=auth).json()["documents"]
    assert {d["doc_id"] for d in listed} == {"a.txt", "b.txt"}
    bad = console.post("/api/admin/documents/metadata", json={"doc_id": "b.txt", "metadata": {"date": "昨天"}},
                       headers=auth)
    assert bad.status_code == 400 and "date" in bad.json()["error"]
    ok = console.post("/api/admin/documents/metadata", json={"doc_id": "b.txt", "metadata": {"issuer": "测试二局"}},
                      headers=auth)
    assert ok.status_code == 202
    assert console.delete("/api/admin/documents?doc=a.txt", headers=auth).status_code == 202
    assert console.delete("/api/admin/documents?doc=a.txt", headers=auth).status_code == 404
    wait = time.time() + 30
    while console.get("/api/admin/status", headers=auth).json()["running"] and time.time() < wait:
        time.sleep(0.1)
    listed = console.get("/api/admin/documents", headers=auth).json()["documents"]
    assert [d["issuer"] for d in listed] == ["测试二局"]


def test_two_uploads_at_once_both_land(console, invented_docs):
    csrf = sign_in(console)
    results = []

    def upload(name):
        results.append(console.post("/admin/upload", data={"csrf": csrf},
                                    files={"file": (name, NEW_DOC.replace("青苔".encode(), name[:2].encode()))}))

    threads = [threading.Thread(target=upload, args=(n,)) for n in ("甲件.txt", "乙件.txt")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all("已上传" in r.text for r in results)
    wait_reindexed(console)
    time.sleep(0.2)
    wait_reindexed(console)
    assert {"甲件.txt", "乙件.txt"} <= {r["doc_id"] for r in console.get(
        "/api/admin/documents", headers={"Authorization": f"Bearer {TOKEN}"}).json()["documents"] if r["chunks"]}


def test_api_filters_restrict_answers_and_bad_filters_get_400(console):
    scoped = console.post("/api/ask", json={"question": "示例窗口办理时间", "filters": {"doc_ids": ["b.txt"]}}).json()
    assert all(c["doc_id"] == "b.txt" for c in scoped["citations"])
    nothing = console.post("/api/ask", json={"question": "示例窗口办理时间", "filters": {"issuer": "不存在的局"}})
    assert nothing.status_code == 200 and nothing.json()["mode"] == "no_documents" and not nothing.json()["found"]
    for bad in ({"date_to": "明天"}, {"colour": 1}, "b.txt"):
        response = console.post("/api/ask", json={"question": "示例窗口办理时间", "filters": bad})
        assert response.status_code == 400 and response.json()["error"]


def test_a_staff_term_takes_effect_with_the_next_reindex(console, invented_docs):
    csrf = sign_in(console)
    console.post("/admin/terms", data={"csrf": csrf, "everyday": "开个窗", "policy": "示例窗口"})
    assert "示例窗口" not in console.app_state.assistant.searcher.parse("开个窗要多久").tokens
    console.post("/admin/reindex", data={"csrf": csrf})
    wait_reindexed(console)
    tokens = console.app_state.assistant.searcher.parse("开个窗要多久").tokens
    assert "示例窗口" in tokens or {"示例", "窗口"} <= set(tokens)


def test_token_api_replaces_a_file(console, invented_docs):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = console.post("/api/admin/documents", data={"replace": "1", "issuer": "测试三局"},
                            files={"file": ("a.txt", NEW_DOC)}, headers=auth)
    assert response.status_code == 202 and (invented_docs / "a.txt").read_bytes() == NEW_DOC
    missing = console.post("/api/admin/documents", data={"replace": "1"}, files={"file": ("zz.txt", NEW_DOC)},
                           headers=auth)
    assert missing.status_code == 404
