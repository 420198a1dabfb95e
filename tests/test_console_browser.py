"""The staff console in real headless Chromium, over a copy of the shipped documents with the
real model: sign in, upload a document with metadata, watch the re-index, ask what it
answers, remove it; a wrong token; the unanswered list and its CSV / Excel exports."""

import csv
import io
import os
import shutil

import pytest
import requests

from tests.conftest import SHIPPED_DOCS, start_app, wait_ready
from tests.test_web_browser import ask

pytestmark = pytest.mark.slow
TOKEN = "browser-console-token-0815"
# Invented for the test: no real policy text.
INVENTED = ("测试市青苔保护示例办法\n\n第一条　为保护示例青苔，制定本办法。\n"
            "第二条　青苔保护示例补贴每件发放900元。\n第三条　本办法自2031年1月1日起施行。\n")


@pytest.fixture(scope="module")
def console_app(tmp_path_factory, live_app):
    """A second app with the console on, over its own copy of the documents. The shipped
    documents' index is copied from the session's live app, so nothing is embedded twice."""
    tmp_dir = tmp_path_factory.mktemp("console-app")
    docs = tmp_dir / "docs"
    shutil.copytree(SHIPPED_DOCS, docs)
    shutil.copytree(live_app["index_dir"], tmp_dir / "index", symlinks=True)
    process, url = start_app(tmp_dir, {"ASSISTANT_DOCS_DIR": str(docs), "ASSISTANT_ADMIN_TOKEN": TOKEN,
                                       "ASSISTANT_RATE_LIMIT_PER_MINUTE": "1000"})
    try:
        wait_ready(url + "/api/health")
        yield {"url": url, "docs": docs}
    finally:
        process.terminate()
        process.wait(timeout=30)




@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, url: str, token: str = TOKEN) -> None:
    page.goto(url + "/admin")
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_load_state()


def wait_index_current(page) -> None:
    page.wait_for_function("document.getElementById('reindex-status').textContent.includes('索引已是最新')",
                           timeout=300000)


def test_a_wrong_token_is_refused(console_app, page):
    sign_in(page, console_app["url"], "not-the-token")
    assert "令牌不正确" in page.inner_text("body")
    assert page.locator("#documents").count() == 0
    assert page.context.cookies() == []


def test_upload_reindex_answer_and_remove(console_app, page, tmp_path):
    url = console_app["url"]
    sign_in(page, url)
    assert page.locator("#documents tbody tr").count() == 3
    source = tmp_path / "青苔办法.txt"
    source.write_text(INVENTED, encoding="utf-8")
    page.set_input_files("#file", str(source))
    page.fill("#title", "测试市青苔保护示例办法")
    page.fill("#issuer", "测试市示例局")
    page.fill("#doc_number", "测示〔2031〕7号")
    page.fill("#date", "2030-12-01")
    page.click("#upload")
    page.wait_for_load_state()
    assert "已上传 青苔办法.txt" in page.inner_text("body")
    # Progress is shown while the index is rebuilt, then the index is current.
    wait_index_current(page)
    page.reload()
    wait_index_current(page)
    row = page.locator("#documents tbody tr", has_text="测试市青苔保护示例办法")
    assert row.count() == 1 and "测示〔2031〕7号" in row.inner_text() and "测试市示例局" in row.inner_text()
    if os.environ.get("ASSISTANT_CONSOLE_SCREENSHOT"):
        page.screenshot(path=os.environ["ASSISTANT_CONSOLE_SCREENSHOT"], full_page=True)

    chat = page.context.new_page()
    chat.goto(url + "/")
    chat.wait_for_selector("#question textarea", timeout=60000)
    ask(chat, "青苔保护示例补贴每件发放多少钱")
    chat.wait_for_selector("details.citation", timeout=60000)
    assert "900元" in chat.inner_text("#chat") and "测试市青苔保护示例办法" in chat.inner_text("#chat")

    page.goto(url + "/admin/document?doc=青苔办法.txt")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#remove")
    page.wait_for_load_state()
    assert "已删除 青苔办法.txt" in page.inner_text("body")
    wait_index_current(page)
    assert not (console_app["docs"] / "青苔办法.txt").exists()
    answer = requests.post(url + "/api/ask", json={"question": "青苔保护示例补贴每件发放多少钱"}, timeout=60).json()
    assert all(c["doc_id"] != "青苔办法.txt" for c in answer["citations"])
    page.goto(url + "/admin/audit")
    audit = page.inner_text("#audit")
    assert "upload" in audit and "remove" in audit and "青苔办法.txt" in audit


def test_unanswered_list_shows_a_fresh_question_and_exports(console_app, page):
    from openpyxl import load_workbook

    url = console_app["url"]
    question = "火星基地的专利年费怎么交"
    answer = requests.post(url + "/api/ask", json={"question": question}, timeout=60).json()
    assert not answer["found"]
    sign_in(page, url)
    page.goto(url + "/admin/questions")
    assert question in page.inner_text("#questions")
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert rows[0][0] == "问题" and any(r[0] == question for r in rows[1:])
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert any(row[0].value == question for row in sheet.iter_rows(min_row=2))


def test_the_chat_scope_control_restricts_and_says_when_nothing_matches(console_app, page):
    page.goto(console_app["url"] + "/")
    page.wait_for_selector("#question textarea", timeout=60000)
    page.click("#scope-panel button, #scope-panel .label-wrap")
    page.fill("#scope-issuer textarea, #scope-issuer input", "不存在的机关")
    ask(page, "专利费用减缴备案审核要多久")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('没有符合限定范围的文件')",
                           timeout=60000)
    page.fill("#scope-issuer textarea, #scope-issuer input", "国家知识产权局")
    ask(page, "专利开放许可的年费有优惠吗")
    citation = page.wait_for_selector("details.citation", timeout=60000)
    assert "国家知识产权局" in citation.inner_text()
