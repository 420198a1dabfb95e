"""The HTTP JSON API and the Gradio API, against `python app.py` started by the test."""

import json

import pytest
import requests

from tests.conftest import start_app, wait_ready

pytestmark = pytest.mark.slow


def test_post_api_ask_returns_the_cli_json(live_app):
    response = requests.post(live_app["url"] + "/api/ask", json={"question": "质押融资有哪些支持政策"}, timeout=60)
    assert response.status_code == 200
    data = response.json()
    assert data["found"] and "质押融资" in data["answer"]
    assert {"question", "found", "answer", "citations", "latency_ms"} <= set(data)
    assert {"n", "doc_id", "title", "section", "date", "quote", "passage", "score"} <= set(data["citations"][0])


@pytest.mark.parametrize("body, headers, status", [
    (b"{not json", {"Content-Type": "application/json"}, 400),
    (b'{"question": 5}', {"Content-Type": "application/json"}, 400),
    (b'["question"]', {"Content-Type": "application/json"}, 400),
    (b'{"question": "x", "top_k": "many"}', {"Content-Type": "application/json"}, 400),
    (b"question=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    (json.dumps({"question": "专" * 20000}).encode(), {"Content-Type": "application/json"}, 413),
    (b"\xff\xfe\x00", {"Content-Type": "application/json"}, 400),
    (b'{"question": "x", "history": "abc"}', {"Content-Type": "application/json"}, 400),
    (b'{"question": "x", "history": [{"role": "bot", "content": "x"}]}', {"Content-Type": "application/json"}, 400),
    (b'{"question": "x", "history": [{"role": "user"}]}', {"Content-Type": "application/json"}, 400),
    (json.dumps({"question": "x", "history": [{"role": "user", "content": "专" * 6000}]}).encode(),
     {"Content-Type": "application/json"}, 413),
])
def test_bad_requests_get_a_json_4xx(live_app, body, headers, status):
    response = requests.post(live_app["url"] + "/api/ask", data=body, headers=headers, timeout=30)
    assert response.status_code == status
    assert "error" in response.json()


FIRST_TURN = [{"role": "user", "content": "专利收费减缴办法是哪年发的？"},
              {"role": "assistant", "content": "《专利收费减缴办法》的发文日期是2016年7月27日。[1]"}]


def test_post_api_ask_reads_a_follow_up_with_its_history(live_app):
    url = live_app["url"] + "/api/ask"
    data = requests.post(url, json={"question": "它从哪天开始施行", "history": FIRST_TURN}, timeout=60).json()
    assert data["context_used"] is True and "专利收费减缴办法" in data["resolved_question"]
    assert data["found"] and "2016年9月1日" in data["answer"] and data["question"] == "它从哪天开始施行"
    alone = requests.post(url, json={"question": "专利费用减缴备案审核要多久", "history": FIRST_TURN}, timeout=60).json()
    assert alone["context_used"] is False and alone["resolved_question"] == "专利费用减缴备案审核要多久"


def test_malformed_history_error_names_the_problem(live_app):
    response = requests.post(live_app["url"] + "/api/ask",
                             json={"question": "x", "history": [{"role": "user", "content": 5}]}, timeout=30)
    assert response.status_code == 400 and "history[0].content" in response.json()["error"]


def test_history_is_never_logged_when_question_logging_is_off(live_app, tmp_path):
    marker = "机密公司甲乙丙的专利"
    process, url = start_app(tmp_path, {"ASSISTANT_LOG_QUESTIONS": "0",
                                        "ASSISTANT_INDEX_DIR": str(live_app["index_dir"])})
    try:
        wait_ready(url + "/api/health")
        history = [{"role": "user", "content": marker + "能减缴吗"}, {"role": "assistant", "content": marker}]
        reply = requests.post(url + "/api/ask", json={"question": "那年费呢", "history": history}, timeout=60)
        assert reply.status_code == 200
        from gradio_client import Client

        Client(url + "/", verbose=False).predict("那申请费呢", history, api_name="/ask")
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "question answered" in log  # the requests were logged, without their text
    assert marker not in log and "那年费呢" not in log and "那申请费呢" not in log


def test_cors_allows_listed_origins_and_refuses_others(live_app, portals):
    allowed, denied = portals
    url = live_app["url"] + "/api/ask"
    ok = requests.post(url, json={"question": "专利费用减缴备案审核要多久"}, headers={"Origin": allowed.origin}, timeout=30)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == allowed.origin
    preflight = requests.options(url, headers={"Origin": allowed.origin, "Access-Control-Request-Method": "POST"}, timeout=30)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == allowed.origin
    refused = requests.post(url, json={"question": "x"}, headers={"Origin": denied.origin}, timeout=30)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_widget_frame_ancestors_lists_only_allowed_origins(live_app, portals):
    allowed, denied = portals
    widget = requests.get(live_app["url"] + "/widget/", timeout=30)
    policy = widget.headers["Content-Security-Policy"]
    assert policy == f"frame-ancestors 'self' {allowed.origin}"
    main = requests.get(live_app["url"] + "/", timeout=30)
    assert main.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert main.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_gradio_client_api(live_app):
    from gradio_client import Client

    client = Client(live_app["url"] + "/", verbose=False)
    result = client.predict("专利费用减缴备案审核要多久", api_name="/ask")
    assert result["found"] and "5个工作日" in result["answer"]
    follow_up = client.predict("它从哪天开始施行", FIRST_TURN, api_name="/ask")
    assert follow_up["context_used"] and "2016年9月1日" in follow_up["answer"]


def test_gradio_api_has_the_same_per_client_rate_limit(live_app, tmp_path):
    """gradio_client's /ask may not bypass the limit; behind the proxy each real client
    (X-Forwarded-For, trusted from 127.0.0.1 only) has its own quota."""
    from gradio_client import Client

    process, url = start_app(tmp_path, {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "2",
                                        "ASSISTANT_INDEX_DIR": str(live_app["index_dir"])})
    try:
        wait_ready(url + "/api/health")
        first = Client(url + "/", verbose=False, headers={"X-Forwarded-For": "10.0.0.1"})
        modes = [first.predict("专利费用减缴备案审核要多久", api_name="/ask")["mode"] for _ in range(3)]
        assert modes == ["answer", "answer", "rate_limited"]
        second = Client(url + "/", verbose=False, headers={"X-Forwarded-For": "10.0.0.2"})
        reply = second.predict("专利费用减缴备案审核要多久", api_name="/ask")
        assert reply["found"] and "5个工作日" in reply["answer"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_lookup_and_health(live_app):
    health = requests.get(live_app["url"] + "/api/health", timeout=30).json()
    assert health["ready"] is True
    found = requests.get(live_app["url"] + "/api/lookup", params={"q": "巡回评审庭"}, timeout=30).json()
    assert any(m["exact"] for m in found["matches"])


def test_progress_is_reported_while_the_index_builds(tmp_path):
    import time

    process, url = start_app(tmp_path, {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "100000"})
    try:
        seen = []
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                health = requests.get(url + "/api/health", timeout=2).json()
            except requests.RequestException:
                time.sleep(0.2)
                continue
            seen.append(health)
            if health["ready"]:
                break
            early = requests.post(url + "/api/ask", json={"question": "专利费用减缴备案审核要多久"}, timeout=30)
            if early.status_code != 200:  # 200 only if the index became ready in between
                assert early.status_code == 503 and "索引" in early.json()["error"]
            time.sleep(0.2)
        assert seen[-1]["ready"]
        assert any("正在准备索引" in h["status"] for h in seen)  # the page was up before the index
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_feedback_export_command(live_app, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    requests.post(live_app["url"] + "/api/ask", json={"question": "质押融资"}, timeout=60)
    out = tmp_path / "feedback.csv"
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(live_app["data_dir"]))
    result = subprocess.run([sys.executable, "-m", "assistant", "feedback-export", "--output", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "已导出" in result.stdout
    assert out.read_text(encoding="utf-8-sig").startswith("id,created,rating,question")
