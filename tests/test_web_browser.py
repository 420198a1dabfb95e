"""The chat, the widget and the portal in real headless Chromium (Debian's /usr/bin/chromium)."""

import os
import sqlite3

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def open_chat(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60000)


def ask(frame, question: str) -> None:
    frame.fill("#question textarea", question)
    frame.click("#send")


def test_chat_answers_with_an_opened_citation_and_stays_offline(live_app, page):
    page.goto(live_app["url"] + "/")
    page.wait_for_selector("#question textarea", timeout=60000)
    assert page.get_by_text("专利费用减缴备案审核要多久？").count() >= 1  # example questions
    ask(page, "质押融资有哪些支持政策")
    citation = page.wait_for_selector("details.citation", timeout=60000)
    citation.query_selector("summary").click()
    page.wait_for_timeout(300)
    assert citation.get_attribute("open") is not None
    text = citation.inner_text()
    assert "章节" in text and "天津市知识产权局" in text
    assert citation.query_selector("mark") is not None  # the quoted sentence is highlighted
    assert "质押融资" in page.inner_text("#chat")
    assert page.locator(".follow-up:visible").count() >= 1  # follow-up suggestions
    shot = os.environ.get("ASSISTANT_SCREENSHOT")
    if shot:
        page.screenshot(path=shot)
    hosts = {url.split("/")[2] for url in page.requests if url.startswith("http")}
    assert hosts == {live_app["url"].split("/")[2]}, hosts  # no fonts, scripts or analytics from elsewhere


@pytest.mark.parametrize("path", ["/", "/widget/"])
def test_typed_html_is_never_live(live_app, page, path):
    open_chat(page, live_app["url"] + path)
    ask(page, '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>专利费用减缴')
    page.wait_for_function("document.querySelectorAll('#chat .message').length >= 2", timeout=60000)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chat img[src='x']").count() == 0


def test_feedback_is_stored(live_app, page):
    page.goto(live_app["url"] + "/")
    page.wait_for_selector("#question textarea", timeout=60000)
    ask(page, "专利费用减缴备案审核要多久")
    page.wait_for_selector("details.citation", timeout=60000)
    database = live_app["data_dir"] / "feedback.sqlite3"
    before = sqlite3.connect(database).execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    page.locator("#chat button[aria-label='赞']").last.click(force=True)
    for _ in range(50):
        page.wait_for_timeout(100)
        rows = sqlite3.connect(database).execute("SELECT rating, question FROM feedback").fetchall()
        if len(rows) > before:
            break
    assert rows[-1] == (1, "专利费用减缴备案审核要多久")


def test_wording_lookup_and_document_view(live_app, page):
    page.goto(live_app["url"] + "/")
    page.wait_for_selector("#question textarea", timeout=60000)
    page.click("#lookup-panel button, #lookup-panel .label-wrap")
    page.fill("#lookup-input textarea", "巡回评审庭")
    page.press("#lookup-input textarea", "Enter")
    page.wait_for_selector(".lookup-hit mark", timeout=30000)
    assert "原文出处" in page.inner_text("#lookup-panel")


def test_widget_in_allowed_portal_answers(live_app, portals, page):
    allowed, _ = portals
    page.goto(f"{allowed.origin}/portal.html?assistant={live_app['url']}")
    frame_element = page.wait_for_selector("#assistant-widget")
    frame = frame_element.content_frame()
    frame.wait_for_selector("#question textarea", timeout=60000)
    ask(frame, "专利费用减缴备案审核要多久")
    frame.wait_for_selector("details.citation", timeout=60000)
    assert "5个工作日" in frame.inner_text("#chat")
    page.click("#api-form button")
    page.wait_for_function("document.getElementById('api-answer').textContent.includes('工作日')", timeout=60000)


def test_widget_and_api_refused_for_unlisted_portal(live_app, portals, page):
    _, denied = portals
    page.goto(f"{denied.origin}/portal.html?assistant={live_app['url']}")
    page.wait_for_timeout(3000)
    frame = page.wait_for_selector("#assistant-widget").content_frame()
    # CSP frame-ancestors: Chromium refuses to render the widget inside this page.
    assert frame is None or frame.query_selector("#question") is None
    page.click("#api-form button")
    page.wait_for_function("document.getElementById('api-answer').textContent.includes('拒绝')", timeout=30000)


@pytest.mark.parametrize("path", ["/", "/widget/"])
def test_two_turn_conversation_shows_how_the_follow_up_was_read_and_new_conversation_clears_it(live_app, page, path):
    open_chat(page, live_app["url"] + path)
    ask(page, "专利收费减缴办法是哪年发的？")
    page.wait_for_selector("details.citation", timeout=60000)
    ask(page, "它从哪天开始施行")
    resolved = page.wait_for_selector(".resolved", timeout=60000)
    assert resolved.inner_text().startswith("理解为：") and "专利收费减缴办法" in resolved.inner_text()
    page.wait_for_function("document.querySelector('#chat').innerText.includes('2016年9月1日')", timeout=60000)
    if os.environ.get("ASSISTANT_SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["ASSISTANT_SCREENSHOT_DIR"], f"conversation{path.strip('/').replace('/', '-') or '-chat'}.png"))
    page.click("#new-conversation")
    page.wait_for_function("document.querySelectorAll('#chat .message').length === 0", timeout=30000)
    ask(page, "它从哪天开始施行")  # alone now: nothing to lean on
    page.wait_for_function("document.querySelectorAll('#chat .message').length >= 2", timeout=60000)
    page.wait_for_timeout(500)
    assert page.locator(".resolved").count() == 0
