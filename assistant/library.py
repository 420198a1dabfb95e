"""Managing the documents folder: add, replace, edit metadata, remove, list.

One set of checked operations shared by the staff console (/admin), the token API and the
CLI (`python -m assistant docs add|remove|list`). A file is validated (name, type, size,
readable text) before it replaces anything, and every write is atomic (a temporary file
renamed into place), so the indexer never sees half a file. Metadata goes to the sidecar
`<file>.meta.toml`, edited with tomlkit so comments and fields staff did not touch stay.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from .documents import (MAX_FILE_BYTES, META_SUFFIX, SUPPORTED_SUFFIXES, VALIDITY_LABELS, load_document,
                        read_meta)
from .errors import DocumentError

_SAFE_NAME = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .()（）《》\-]{0,120}$")
# The metadata a staff member edits in the console or passes on the command line.
EDITABLE_FIELDS = ("title", "issuer", "doc_number", "date", "source_url", "validity", "effective_date",
                   "amended_by", "status")
DATE_FIELDS = ("date", "effective_date")
MAX_FIELD_CHARS = 2000
_write_lock = threading.Lock()  # one change to the folder at a time


class LibraryError(ValueError):
    """A request staff can correct: the message says what to change (Chinese)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def safe_document_name(name: str) -> str | None:
    """The bare file name if it is safe to create in documents/, else None.

    Rejects path separators, '..', hidden files, control characters and unsupported types,
    so an upload can never land outside the documents folder."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or "\x00" in name:
        return None
    if name in (".", "..") or name.startswith(".") or ".." in name or not _SAFE_NAME.match(name):
        return None
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return name


def clean_metadata(fields: dict) -> dict:
    """The editable fields of `fields`, checked: dates are YYYY-MM-DD, validity is one of
    effective / amended / repealed, amended_by a list. Raises LibraryError naming the field."""
    out: dict = {}
    for name in EDITABLE_FIELDS:
        if name not in fields or fields[name] is None:
            continue
        value = fields[name]
        if name == "amended_by":
            items = value if isinstance(value, (list, tuple)) else re.split(r"[,，;；\n]", str(value))
            out[name] = [str(v).strip()[:200] for v in items if str(v).strip()]
            continue
        value = str(value).strip()
        if len(value) > MAX_FIELD_CHARS:
            raise LibraryError(f"{name} 过长（上限 {MAX_FIELD_CHARS} 字）")
        if name in DATE_FIELDS and value:
            try:
                _dt.date.fromisoformat(value)
            except ValueError:
                raise LibraryError(f"{name} 应为 YYYY-MM-DD 格式的日期，收到 {value!r}") from None
        if name == "validity" and value and value not in VALIDITY_LABELS:
            raise LibraryError(f"validity 应为 {' / '.join(VALIDITY_LABELS)} 之一，收到 {value!r}")
        if name == "source_url" and value and not re.match(r"^https?://", value):
            raise LibraryError("source_url 应以 http:// 或 https:// 开头")
        out[name] = value
    if "title" in out and not out["title"]:
        raise LibraryError("标题不能为空")
    return out


@dataclass(frozen=True)
class DocumentRow:
    """One line of the documents list."""

    doc_id: str
    title: str
    issuer: str
    doc_number: str
    date: str
    validity: str
    effective_date: str
    amended_by: tuple[str, ...]
    chunks: int
    indexed_at: str
    problem: str = ""  # why the file could not be read, if it could not

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "issuer": self.issuer, "doc_number": self.doc_number,
                "date": self.date, "validity": self.validity, "validity_label": VALIDITY_LABELS.get(self.validity, ""),
                "effective_date": self.effective_date, "amended_by": list(self.amended_by),
                "chunks": self.chunks, "indexed_at": self.indexed_at, "problem": self.problem}


def list_documents(docs_dir: Path, manifest: dict | None, indexed: dict | None = None) -> list[DocumentRow]:
    """Every file in the folder with its metadata and, from the index manifest, its chunk
    count, when it was indexed and why it was skipped, if it was. Files are not parsed (a
    page of hundreds of PDFs must stay quick): metadata comes from the sidecars, and a title
    without a sidecar from the index (`indexed`: doc_id → IndexedDocument)."""
    from .documents import document_files

    recorded = (manifest or {}).get("documents", {})
    built = (manifest or {}).get("created", "")
    skipped = {name: reason for name, reason in (manifest or {}).get("skipped", [])}
    rows = []
    for path in document_files(Path(docs_dir)):
        doc_id = path.relative_to(docs_dir).as_posix()
        entry = recorded.get(doc_id) or {}
        meta = read_meta_quietly(path)
        if not path.with_name(path.name + META_SUFFIX).exists() and indexed and doc_id in indexed:
            meta = indexed[doc_id].meta
        rows.append(DocumentRow(doc_id, meta.title, meta.issuer, meta.doc_number, meta.date, meta.validity,
                                meta.effective_date, meta.amended_by, int(entry.get("chunks", 0)),
                                built if entry else "", skipped.get(doc_id, "")))
    return rows


def read_meta_quietly(path: Path):
    """The sidecar's metadata (title falls back to the file name); never raises."""
    try:
        return read_meta(path, "")
    except DocumentError:
        from .documents import DocumentMeta

        return DocumentMeta(title=path.stem)


def _atomic_write(target: Path, data: bytes) -> None:
    tmp = target.parent / f".tmp-{uuid.uuid4().hex}"
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _resolve(docs_dir: Path, name: str) -> Path:
    safe = safe_document_name(name)
    if safe is None:
        raise LibraryError(f"文件名或类型不允许：{name!r}（支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}，"
                           "不能含路径或以点开头）")
    docs = Path(docs_dir).resolve()
    target = (docs / safe).resolve()
    if target.parent != docs:
        raise LibraryError("文件名不允许")
    return target


def _check_content(target: Path, data: bytes) -> None:
    """The file must be readable as a document before it goes in."""
    if not data:
        raise LibraryError("文件为空")
    if len(data) > MAX_FILE_BYTES:
        raise LibraryError(f"文件过大（上限 {MAX_FILE_BYTES // 1_000_000} MB）", status=413)
    probe_dir = target.parent / f".probe-{uuid.uuid4().hex}"
    probe_dir.mkdir()
    try:
        probe = probe_dir / target.name
        probe.write_bytes(data)
        load_document(probe, probe_dir)
    except DocumentError as exc:
        raise LibraryError(f"无法读取该文件：{exc}") from None
    finally:
        for leftover in probe_dir.iterdir():
            leftover.unlink()
        probe_dir.rmdir()


def write_metadata(document: Path, fields: dict) -> None:
    """Merge checked `fields` into the document's sidecar, keeping everything else."""
    import tomlkit

    sidecar = document.with_name(document.name + META_SUFFIX)
    doc = tomlkit.parse(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else tomlkit.document()
    if not sidecar.exists():
        doc.add(tomlkit.comment("文档元数据：可在管理后台或直接编辑。"))
    for name, value in fields.items():
        if name in DATE_FIELDS and value:
            doc[name] = _dt.date.fromisoformat(value)
        elif value in ("", []) and name in doc:
            del doc[name]
        elif value not in ("", []):
            doc[name] = value
    if "validity" in fields:
        # `amended` is what older code and sidecars read; keep it in step with validity.
        doc["amended"] = fields["validity"] == "amended"
    _atomic_write(sidecar, tomlkit.dumps(doc).encode("utf-8"))


def add_document(docs_dir: Path, name: str, data: bytes, metadata: dict | None = None,
                 replace: bool = False) -> str:
    """Save a new file (or, with `replace`, a new version of an existing one) with its
    metadata. Returns the document id. Raises LibraryError with what to fix."""
    target = _resolve(docs_dir, name)
    fields = clean_metadata(metadata or {})
    with _write_lock:
        if target.exists() and not replace:
            raise LibraryError(f"已有同名文件 {target.name}；如需更新请使用“替换文件”", status=409)
        if replace and not target.exists():
            raise LibraryError(f"没有名为 {target.name} 的文件", status=404)
        _check_content(target, data)
        if fields:
            write_metadata(target, fields)
        _atomic_write(target, data)
    return target.name


def update_metadata(docs_dir: Path, doc_id: str, metadata: dict) -> None:
    target = _existing(docs_dir, doc_id)
    fields = clean_metadata(metadata)
    with _write_lock:
        write_metadata(target, fields)


def remove_document(docs_dir: Path, doc_id: str) -> None:
    """Delete the file and its sidecar."""
    target = _existing(docs_dir, doc_id)
    with _write_lock:
        sidecar = target.with_name(target.name + META_SUFFIX)
        target.unlink()
        if sidecar.exists():
            sidecar.unlink()


def _existing(docs_dir: Path, doc_id: str) -> Path:
    target = _resolve(docs_dir, doc_id)
    if not target.is_file():
        raise LibraryError(f"没有名为 {doc_id} 的文件", status=404)
    return target
