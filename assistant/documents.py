"""Load policy documents and their editable metadata from a folder.

Each document is a file (.txt .md .html .docx .pdf) with an optional sidecar
`<file>.meta.toml` (title, issuer, doc_number, date, source_url, status, parts, facts).
The loaded `text` is what every quote and offset refers to: it is kept verbatim apart
from line endings, which are unified to "\n".
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DocumentError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}
META_SUFFIX = ".meta.toml"
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are skipped with a reason
# Whether a document is in force. "amended": answered with a note naming what amended it;
# "repealed": left out of answers unless a question names it.
VALIDITY_LABELS = {"effective": "现行有效", "amended": "已修改", "repealed": "已废止"}


@dataclass(frozen=True)
class DocumentMeta:
    """What a person edits in the sidecar; every field is optional there."""

    title: str
    issuer: str = ""
    doc_number: str = ""
    date: str = ""  # ISO yyyy-mm-dd or ""
    source_url: str = ""
    status: str = ""  # free-text note on validity shown with the document
    amended: bool = False
    short_title: str = ""
    provenance: str = ""
    parts: tuple[tuple[str, str], ...] = ()  # (heading line in the text, label in section paths)
    facts: tuple[tuple[str, str], ...] = ()
    validity: str = "effective"  # effective | amended | repealed (VALIDITY_LABELS)
    effective_date: str = ""  # ISO yyyy-mm-dd or ""
    amended_by: tuple[str, ...] = ()  # the documents (numbers or titles) that amended or repealed it

    @property
    def repealed(self) -> bool:
        return self.validity == "repealed"

    def to_dict(self) -> dict:
        return {
            "title": self.title, "issuer": self.issuer, "doc_number": self.doc_number,
            "date": self.date, "source_url": self.source_url, "status": self.status,
            "amended": self.amended, "short_title": self.short_title,
            "provenance": self.provenance, "parts": [list(p) for p in self.parts],
            "facts": [list(f) for f in self.facts],
            "validity": self.validity, "effective_date": self.effective_date,
            "amended_by": list(self.amended_by),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "DocumentMeta":
        data = dict(data)
        data["parts"] = tuple(tuple(p) for p in data.get("parts", ()))
        data["facts"] = tuple(tuple(f) for f in data.get("facts", ()))
        data["amended_by"] = tuple(data.get("amended_by", ()))
        return cls(**data)


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the documents folder, posix style
    path: Path
    text: str
    meta: DocumentMeta

    @property
    def content_hash(self) -> str:
        """Changes when the text or the metadata changes."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        digest.update(repr(sorted(self.meta.to_dict().items())).encode("utf-8"))
        return digest.hexdigest()[:32]


@dataclass
class LoadReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


# ---------------------------------------------------------------- text decoding

def decode_text(data: bytes) -> str:
    """Decode a text file: BOMs first, then strict UTF-8, UTF-16 without BOM, GB18030.

    GB18030 is a superset of GBK and GB2312, the usual encodings of government files.
    Raises DocumentError for data that is not text in any of them.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None and data and data.count(b"\x00") > len(data) // 4:
        # UTF-16 without a BOM: every other byte of CJK/ASCII text is often zero.
        even_zeros = data[0::2].count(0)
        odd_zeros = data[1::2].count(0)
        for codec in (("utf-16-be",) if even_zeros > odd_zeros else ("utf-16-le",)):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                pass
    if text is None:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise DocumentError("无法识别文本编码（不是 UTF-8、UTF-16 或 GBK/GB18030 文本）")
        text = str(best)
    if _looks_binary(text):
        raise DocumentError("内容不像文本（含大量控制字符），可能是二进制文件")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or ch == "\ufffd")
    return controls > max(8, len(sample) // 100)


def unify_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- per-format readers

def read_text_file(path: Path) -> str:
    return decode_text(path.read_bytes())


def read_html(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = [line.strip() for line in soup.get_text("\n").split("\n")]
    return "\n".join(line for line in lines if line)


def read_docx(path: Path) -> str:
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"Word 文件损坏或不完整（{type(exc).__name__}）") from exc
    blocks = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(blocks)


def read_pdf(path: Path) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"PDF 文件损坏或不完整（{type(exc).__name__}）") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError("PDF 中没有可提取的文字（可能是扫描件，需要先做文字识别）")
    return text


def read_document_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text = read_text_file(path)
    elif suffix in HTML_SUFFIXES:
        text = read_html(path)
    elif suffix == ".docx":
        text = read_docx(path)
    elif suffix == ".pdf":
        text = read_pdf(path)
    else:
        raise DocumentError(f"不支持的文件类型 {suffix}")
    return unify_newlines(text)


# ---------------------------------------------------------------- metadata

def _as_iso_date(value) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    value = str(value or "").strip()
    if value:
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            raise DocumentError(f"元数据 date 应为 YYYY-MM-DD，得到 {value!r}") from None
    return value


def read_meta(path: Path, text: str) -> DocumentMeta:
    """Read `<file>.meta.toml` if present; fall back to the first line as the title."""
    sidecar = path.with_name(path.name + META_SUFFIX)
    raw: dict = {}
    if sidecar.exists():
        try:
            raw = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DocumentError(f"元数据文件 {sidecar.name} 格式错误：{exc}") from exc
    first_line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    title = str(raw.get("title") or (first_line if 0 < len(first_line) <= 60 else path.stem))
    parts = tuple((str(p["heading"]), str(p.get("label") or p["heading"])) for p in raw.get("parts", []))
    facts = tuple((str(k), str(v)) for k, v in (raw.get("facts") or {}).items())
    amended = bool(raw.get("amended", False))
    validity = str(raw.get("validity") or ("amended" if amended else "effective"))
    if validity not in VALIDITY_LABELS:
        raise DocumentError(f"元数据 validity 应为 {' / '.join(VALIDITY_LABELS)} 之一，得到 {validity!r}")
    amended_by = raw.get("amended_by", ())
    amended_by = (amended_by,) if isinstance(amended_by, str) else tuple(str(a) for a in amended_by)
    return DocumentMeta(
        title=title,
        issuer=str(raw.get("issuer", "")),
        doc_number=str(raw.get("doc_number", "")),
        date=_as_iso_date(raw.get("date", "")),
        source_url=str(raw.get("source_url", "")),
        status=str(raw.get("status", "")),
        amended=validity == "amended",
        short_title=str(raw.get("short_title", "")),
        provenance=str(raw.get("provenance", "")),
        parts=parts,
        facts=facts,
        validity=validity,
        effective_date=_as_iso_date(raw.get("effective_date", "")),
        amended_by=amended_by,
    )


# ---------------------------------------------------------------- folder loading

def document_files(docs_dir: Path) -> list[Path]:
    """Supported files under docs_dir (recursively), hidden files and sidecars excluded."""
    files = []
    for path in sorted(docs_dir.rglob("*")):
        rel_parts = path.relative_to(docs_dir).parts
        if any(part.startswith(".") for part in rel_parts) or not path.is_file():
            continue
        if path.name.endswith(META_SUFFIX):
            continue
        files.append(path)
    return files


def load_document(path: Path, docs_dir: Path) -> Document:
    """Load one file; raises DocumentError with a reason a person can act on."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError("文件为空")
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"文件过大（{size / 1e6:.1f} MB，上限 {MAX_FILE_BYTES / 1e6:.0f} MB）")
    try:
        text = read_document_text(path)
    except DocumentError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"读取失败（{type(exc).__name__}: {exc}）") from exc
    if not text.strip():
        raise DocumentError("没有可索引的文字")
    return Document(
        doc_id=path.relative_to(docs_dir).as_posix(),
        path=path,
        text=text,
        meta=read_meta(path, text),
    )


def load_folder(docs_dir: Path) -> LoadReport:
    """Load every supported document; unreadable ones are skipped with a reason."""
    if not docs_dir.is_dir():
        raise DocumentError(f"文档目录不存在：{docs_dir}")
    report = LoadReport()
    seen_text: dict[str, str] = {}
    for path in document_files(docs_dir):
        rel = path.relative_to(docs_dir).as_posix()
        try:
            document = load_document(path, docs_dir)
        except DocumentError as exc:
            report.skipped.append((rel, str(exc)))
            continue
        except Exception as exc:  # a parser bug must not stop the other documents
            report.skipped.append((rel, f"无法解析（{type(exc).__name__}）"))
            continue
        text_hash = hashlib.sha256(document.text.encode("utf-8")).hexdigest()
        if text_hash in seen_text:
            report.skipped.append((rel, f"与 {seen_text[text_hash]} 内容完全相同，已跳过重复文件"))
            continue
        seen_text[text_hash] = rel
        report.documents.append(document)
    return report
