"""Milvus as the passage store (ASSISTANT_STORE=milvus, ASSISTANT_MILVUS_URI).

One collection per index build holds a record per passage row: the row number as primary
key, doc_id, issuer, date, text and section, the dense vector (FLAT, inner product, so the
cosines equal FAISS's) and the BM25 sparse vector. The sparse vectors are the index's own
bm25s term scores, so the inner product of a query's token counts with a passage's vector
is exactly `index.bm25.get_scores(tokens)`: our jieba tokenizer, user dictionary and
synonyms stay in charge, which Milvus's own analyzer would not keep.

The URI is a local `.db` path (milvus-lite, embedded) or `http://host:19530` (a server or
cluster). A server without sparse vectors (Milvus 2.3) searches the dense vectors and
BM25 is scored from the index's bm25s files in this process.

pymilvus is imported here only, so `python -m assistant` starts fast with the local store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter

import numpy as np

from .passage_store import NO_CANDIDATE, LocalStore, RowFilter, is_exact

log = logging.getLogger(__name__)

PREFIX = "passages_"
MAX_TOPK = 16384  # Milvus's largest search limit (a filter allowing more rows gets the nearest this many)
# BM25 rows asked for: the fused ranking divides BM25 by its maximum, so rows past the first
# thousand add at most a sliver; an index of up to this many rows gets every match.
BM25_CANDIDATES = 1000
TEXT_BYTES = 65535  # VARCHAR limit: the text is kept for reading, search never needs all of it
INSERT_BATCH = 512
# The collection property recording its build (milvus-lite does not keep a description).
BUILD_PROPERTY = "assistant.build"


class MilvusStore:
    """Dense and BM25 search in a Milvus collection built from one index build."""

    name = "milvus"

    def __init__(self, client, collection: str, index, sparse: bool):
        self.client = client
        self.collection = collection
        self.index = index
        self.rows = len(index.chunks)
        self.sparse = sparse  # False: the server has no sparse vectors, BM25 stays local
        self.local = LocalStore(index)
        self.documents = frozenset(c.doc_id for c in index.chunks)
        self.exact = is_exact(index.faiss_index)
        self.vocab = index.bm25.vocab_dict

    # ------------------------------------------------------------ opening

    @classmethod
    def for_index(cls, index, uri: str) -> "MilvusStore":
        """Connect to `uri` and make sure the collection of this build is there and loaded:
        reused when a previous run created it for the same build, created otherwise (and the
        collections of earlier builds of the same index directory dropped)."""
        from pymilvus import MilvusClient

        if not uri:
            raise ValueError("ASSISTANT_STORE=milvus needs ASSISTANT_MILVUS_URI (a .db path or http://host:19530)")
        client = MilvusClient(uri=uri)
        name, record = collection_name(index), build_record(index)
        sparse = None
        if client.has_collection(name):
            description = client.describe_collection(name)
            if _recorded(description) == record and _loaded_rows(client, name) == len(index.chunks):
                sparse = any(f["name"] == "sparse" for f in description["fields"])
                log.info("Milvus collection %s reused for build %s", name, record["build"])
            else:  # an interrupted load, or another build under the same name
                client.drop_collection(name)
        if sparse is None:
            sparse = _create(client, name, index, record)
            log.info("Milvus collection %s created for build %s (%d passages)", name, record["build"],
                     len(index.chunks))
        if not sparse:
            log.warning("Milvus at %s has no sparse vectors (Milvus < 2.4): dense search on the server, "
                        "BM25 from the index's bm25s files", uri)
        elif index.bm25.nonoccurrence_array is not None:
            log.warning("BM25 variant %s adds a score to non-matching passages: BM25 stays local",
                        index.bm25.method)
            sparse = False
        _drop_other_builds(client, name)
        return cls(client, name, index, sparse)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ search

    def dense_scores(self, query_vector: np.ndarray, candidates: int,
                     allowed: RowFilter | None = None) -> np.ndarray:
        scores = np.full(self.rows, NO_CANDIDATE, dtype=np.float32)
        expression = self._filter(allowed)
        if self.rows == 0 or expression is None:
            return scores
        limit = candidates
        if allowed is not None and self.exact:
            # As LocalStore does over an exact index: every allowed passage gets its cosine
            # (they may all lie beyond the nearest), so the fused scores come out the same.
            limit = int(allowed.mask.sum())
        ids, distances = self._search("dense", np.asarray(query_vector, np.float32).tolist(),
                                      min(self.rows, limit, MAX_TOPK), expression)
        scores[ids] = distances
        return scores

    def bm25_scores(self, tokens: list[str], allowed: RowFilter | None = None) -> np.ndarray:
        if not self.sparse:
            return self.local.bm25_scores(tokens, allowed)
        scores = np.zeros(self.rows, dtype=np.float32)
        # bm25s drops unknown tokens and adds a repeated token's scores once per occurrence:
        # the token counts are the query vector.
        counts = Counter(self.vocab[t] for t in tokens if t in self.vocab)
        expression = self._filter(allowed)
        if not counts or self.rows == 0 or expression is None:
            return scores
        query = {int(token): float(n) for token, n in counts.items()}
        ids, distances = self._search("sparse", query, min(self.rows, BM25_CANDIDATES, MAX_TOPK), expression)
        matched = distances > 0
        scores[ids[matched]] = distances[matched]
        return scores

    def _filter(self, allowed: RowFilter | None) -> str | None:
        """The server-side filter: "" for every passage, None when none is allowed. Names
        the shorter list (a question usually leaves out only a repealed document or two)."""
        if allowed is None:
            return ""
        kept = sorted(self.documents & allowed.docs)
        if not kept:
            return None
        left_out = sorted(self.documents - allowed.docs)
        if not left_out:
            return ""
        if len(left_out) < len(kept):
            return f"doc_id not in {_string_list(left_out)}"
        return f"doc_id in {_string_list(kept)}"

    def _search(self, field: str, query, limit: int, expression: str) -> tuple[np.ndarray, np.ndarray]:
        result = self.client.search(self.collection, [query], anns_field=field, limit=limit, filter=expression,
                                    output_fields=["id"],  # else the vectors come back too
                                    search_params={"metric_type": "IP"})
        hits = result[0]
        ids = np.fromiter((hit["id"] for hit in hits), dtype=np.int64, count=len(hits))
        distances = np.fromiter((hit["distance"] for hit in hits), dtype=np.float32, count=len(hits))
        return ids, distances


# ---------------------------------------------------------------- the collection

def collection_name(index) -> str:
    """passages_<index directory>_<build id>: one collection per build of one index."""
    index_dir = str(index.path.parent.parent.resolve())
    folder = hashlib.sha1(index_dir.encode("utf-8")).hexdigest()[:8]
    return PREFIX + folder + "_" + re.sub(r"[^0-9A-Za-z_]", "_", index.path.name)


def build_record(index) -> dict:
    """What the collection records: the build and a digest of its files."""
    files = json.dumps(index.manifest.get("files", {}), sort_keys=True)
    return {"build": index.path.name, "files": hashlib.sha256(files.encode("utf-8")).hexdigest()[:16],
            "rows": len(index.chunks)}


def _recorded(description: dict) -> dict | None:
    try:
        return json.loads((description.get("properties") or {}).get(BUILD_PROPERTY) or "")
    except ValueError:
        return None


def _loaded_rows(client, name: str) -> int:
    """Load the collection (a reopened one is not searchable until loaded) and count its
    rows; -1 when it cannot be loaded (left half-made)."""
    from pymilvus import MilvusException

    try:
        client.load_collection(name)
        return int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])
    except MilvusException as exc:
        log.info("Milvus collection %s cannot be loaded (%s): made again", name, exc)
        return -1


def _create(client, name: str, index, record: dict) -> bool:
    """Create, fill and load the collection; returns whether it holds sparse vectors."""
    from pymilvus import MilvusException

    dim = int(index.manifest["encoder"]["dim"])
    sparse = _may_have_sparse(client)
    if sparse:
        try:
            _create_empty(client, name, dim, record, sparse=True)
        except MilvusException as exc:  # e.g. "create index on 104 field is not supported"
            log.info("sparse vectors refused (%s)", exc)
            if client.has_collection(name):
                client.drop_collection(name)
            sparse = False
    if not sparse:
        _create_empty(client, name, dim, record, sparse=False)
    vectors = index.faiss_index.reconstruct_n(0, len(index.chunks)) if index.chunks else None
    term_scores = passage_term_scores(index.bm25) if sparse else None
    rows = []
    for i, chunk in enumerate(index.chunks):
        meta = index.documents[chunk.doc_id].meta
        row = {"id": i, "doc_id": chunk.doc_id, "issuer": meta.issuer or "", "date": meta.date or "",
               "section": " > ".join(chunk.section)[:1000], "text": _truncate(chunk.text),
               "dense": vectors[i].tolist()}
        if sparse:
            row["sparse"] = term_scores[i]
        rows.append(row)
        if len(rows) == INSERT_BATCH:
            client.insert(name, rows)
            rows = []
    if rows:
        client.insert(name, rows)
    client.flush(name)  # so a bounded-consistency search sees every row at once
    client.load_collection(name)
    return sparse


def _may_have_sparse(client) -> bool:
    """False for a server that names a version before 2.4 (no sparse vectors); others are
    tried (milvus-lite calls itself "milvus_lite-3.x")."""
    version = re.match(r"v?(\d+)\.(\d+)", client.get_server_version() or "")
    return not version or (int(version[1]), int(version[2])) >= (2, 4)


def _create_empty(client, name: str, dim: int, record: dict, sparse: bool) -> None:
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)  # the passage row
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("issuer", DataType.VARCHAR, max_length=1024)
    schema.add_field("date", DataType.VARCHAR, max_length=32)
    schema.add_field("section", DataType.VARCHAR, max_length=4096)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    indexes = MilvusClient.prepare_index_params()
    indexes.add_index("dense", index_type="FLAT", metric_type="IP")  # exact, as the FAISS index
    if sparse:
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    # milvus-lite's in-process gRPC server logs a traceback for AllocTimestamp, which it lacks
    # and pymilvus does without while waiting for the index: not an error of ours.
    grpc_log = logging.getLogger("grpc._server")
    level = grpc_log.level
    grpc_log.setLevel(logging.CRITICAL)
    try:
        client.create_collection(name, schema=schema, index_params=indexes,
                                 properties={BUILD_PROPERTY: json.dumps(record, sort_keys=True)})
    finally:
        grpc_log.setLevel(level)


def _drop_other_builds(client, name: str) -> None:
    """Drop the collections of earlier builds of the same index directory."""
    folder_prefix = name[:len(PREFIX) + 9]  # passages_<folder>_
    for other in client.list_collections():
        if other.startswith(folder_prefix) and other != name:
            log.info("Milvus collection %s of an earlier build dropped", other)
            client.drop_collection(other)


def passage_term_scores(bm25) -> list[dict[int, float]]:
    """Each passage's BM25 score per token id, from bm25s's precomputed matrix (column per
    token: `indptr` over token ids, `indices` the passages, `data` the scores)."""
    data = np.asarray(bm25.scores["data"], dtype=np.float32)
    indices = np.asarray(bm25.scores["indices"])
    indptr = np.asarray(bm25.scores["indptr"])
    rows = int(bm25.scores["num_docs"])
    vocabulary = len(indptr) - 1
    tokens = np.repeat(np.arange(vocabulary), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    bounds = np.searchsorted(indices[order], np.arange(rows + 1))
    out = []
    for r in range(rows):
        span = order[bounds[r]:bounds[r + 1]]
        vector = {int(t): float(s) for t, s in zip(tokens[span], data[span]) if s != 0}
        # Milvus refuses an empty sparse vector: a passage without terms gets a weight on a
        # token id no query can hold (one past the vocabulary), so it still matches nothing.
        out.append(vector or {vocabulary: 1.0})
    return out


def _string_list(values: list[str]) -> str:
    """A Milvus expression list of string literals: JSON's escaping (\\" and \\\\) is what
    Milvus's parser reads."""
    return json.dumps(values, ensure_ascii=False)


def _truncate(text: str) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= TEXT_BYTES else data[:TEXT_BYTES].decode("utf-8", errors="ignore")
