"""The answer at a glance, in Chromium at desktop, phone and widget sizes: nothing covers the
chat's text, the fact is bold, [n] opens its source and the answer stays in view."""

import os

import pytest

from tests.test_web_browser import ask

pytestmark = pytest.mark.slow
SIZES = {"desktop": ({"width": 1280, "height": 900}, "/"), "phone": ({"width": 390, "height": 844}, "/"),
         "widget": ({"width": 420, "height": 640}, "/widget/")}

# Elements drawn over others (absolute, fixed or sticky) that overlap a message's text box (the
# question's or the answer's), other than the message's own content.
OVERLAPS = """() => {
  const out = [];
  for (const message of document.querySelectorAll('#chat .message-row .message')) {
  const box = message.getBoundingClientRect();
  for (const el of document.querySelectorAll('body *')) {
    if (message.contains(el) || el.contains(message)) continue;
    const style = getComputedStyle(el);
    if (!['absolute', 'fixed', 'sticky'].includes(style.position)) continue;
    if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    const overlap = Math.min(r.right, box.right) - Math.max(r.left, box.left) > 1 &&
                    Math.min(r.bottom, box.bottom) - Math.max(r.top, box.top) > 1;
    if (overlap) out.push(el.tagName + '.' + el.className + ' ' + (el.innerText || '').slice(0, 20));
  }
  }
  return out;
}"""
IN_VIEW = """(selector) => {
  const el = [...document.querySelectorAll(selector)].pop();
  const chat = document.querySelector('#chat').getBoundingClientRect();
  const r = el.getBoundingClientRect();
  return r.bottom > Math.max(chat.top, 0) && r.top < Math.min(chat.bottom, window.innerHeight);
}"""




@pytest.mark.parametrize("size", list(SIZES))
def test_the_fact_is_bold_nothing_covers_it_and_a_source_opens_without_losing_it(live_app, browser, size):
    viewport, path = SIZES[size]
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_app["url"] + path)
        page.wait_for_selector("#question textarea", timeout=60000)
        ask(page, "专利费用减缴备案审核要多久")
        page.wait_for_selector("#chat details.citation", timeout=60000)
        page.wait_for_timeout(500)
        fact = page.locator("#chat strong.fact").last
        assert "5个工作日" in fact.inner_text()
        assert page.evaluate(OVERLAPS) == []
        # The source is one short line until it is opened.
        summary = page.locator("#chat details.citation > summary").last
        assert summary.bounding_box()["height"] < 40
        page.locator("#chat a.cite-ref").last.click()
        page.wait_for_timeout(400)
        assert page.locator("#chat details.citation").last.get_attribute("open") is not None
        assert page.evaluate(IN_VIEW, "#chat strong.fact")  # the answer's fact is still on screen
        assert page.evaluate(OVERLAPS) == []
        if os.environ.get("ASSISTANT_LAYOUT_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["ASSISTANT_LAYOUT_SCREENSHOTS"], f"answer-{size}.png"))
    finally:
        context.close()


def test_widget_examples_fit_and_the_widget_is_a_chat_only(live_app, browser):
    context = browser.new_context(viewport={"width": 420, "height": 640}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_app["url"] + "/widget/")
        page.wait_for_selector("#question textarea", timeout=60000)
        for item in page.locator("#examples .gallery-item").all():
            box = item.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 420  # not cut off at the side
        assert page.locator("#lookup-panel, #documents-panel, #scope-panel").count() == 0
        placeholder = page.locator("#question textarea")
        assert placeholder.bounding_box()["height"] < 60  # the placeholder does not wrap
    finally:
        context.close()
