"""Start the policy Q&A web app: python app.py (settings from ASSISTANT_* variables, see README)."""

import assistant  # noqa: F401  (sets OMP_WAIT_POLICY before any numeric library loads)
from assistant.web import serve

if __name__ == "__main__":
    serve()
