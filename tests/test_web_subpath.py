"""The app behind nginx under a sub-path, with the location block the README documents."""

import shutil
import subprocess

import pytest
import requests

from tests.conftest import ROOT, free_port, start_app, wait_ready

pytestmark = pytest.mark.slow
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    if not shutil.which("nginx") and not (ROOT / NGINX).exists():
        pytest.fail("nginx is not installed (scripts/test.sh installs nginx-light)")
    tmp = tmp_path_factory.mktemp("subpath")
    process, app_url = start_app(tmp, {"ASSISTANT_ROOT_PATH": "/assistant", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "8"})
    port = free_port()
    block = (ROOT / "deploy" / "nginx-assistant.conf").read_text(encoding="utf-8")
    block = block.replace("http://127.0.0.1:7860/", app_url + "/")
    (tmp / "logs").mkdir()
    (tmp / "nginx.conf").write_text(f"""
worker_processes 1;
error_log {tmp}/logs/error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        {block}
    }}
}}
""", encoding="utf-8")
    nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"])
    try:
        base = f"http://127.0.0.1:{port}/assistant"
        wait_ready(base + "/api/health")
        yield base
    finally:
        nginx.terminate()
        process.terminate()
        nginx.wait(timeout=30)
        process.wait(timeout=30)


def test_api_and_pages_under_the_sub_path(proxied):
    page = requests.get(proxied + "/", timeout=30)
    assert page.status_code == 200 and "知识产权政策问答" in page.text
    assert requests.get(proxied + "/widget/", timeout=30).status_code == 200
    answer = requests.post(proxied + "/api/ask", json={"question": "专利费用减缴备案审核要多久"}, timeout=60).json()
    assert answer["found"] and "5个工作日" in answer["answer"]


def test_chat_works_in_a_browser_under_the_sub_path(proxied, browser):
    context = browser.new_context()
    page = context.new_page()
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        page.goto(proxied + "/")
        page.wait_for_selector("#question textarea", timeout=60000)
        page.fill("#question textarea", "专利费用减缴备案审核要多久")
        page.click("#send")
        page.wait_for_selector("details.citation", timeout=60000)
        assert "5个工作日" in page.inner_text("#chat")
    finally:
        context.close()
    assert not failed, failed


def test_rate_limit_counts_the_real_client_and_ignores_forged_forwarding(proxied):
    """Runs last in this module: it spends the client's 8 questions a minute."""
    codes = []
    for _ in range(10):
        codes.append(requests.post(proxied + "/api/ask", json={"question": "质押融资"}, timeout=60).status_code)
        if codes[-1] == 429:
            break
    assert codes[-1] == 429
    forged = requests.post(proxied + "/api/ask", json={"question": "质押融资"},
                           headers={"X-Forwarded-For": "203.0.113.9"}, timeout=60)
    assert forged.status_code == 429
