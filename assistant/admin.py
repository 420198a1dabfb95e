"""Admin endpoints: upload a document, rebuild the index. They exist only when
ASSISTANT_ADMIN_TOKEN is set, and every call must carry `Authorization: Bearer <token>`."""

import hmac
import logging
import os
import re
import threading
import uuid
from pathlib import Path

from .documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

log = logging.getLogger("assistant.admin")
_SAFE_NAME = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .()（）《》\-]{0,120}$")


def safe_document_name(name: str) -> str | None:
    """The bare file name if it is safe to create in documents/, else None.

    Rejects path separators, '..', hidden files, control characters and unsupported types,
    so an upload can never land outside the documents folder."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or "\x00" in name:
        return None
    if name in (".", "..") or name.startswith(".") or not _SAFE_NAME.match(name):
        return None
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return name


def register_admin_routes(app, state, settings) -> None:
    from fastapi import Request
    from fastapi.responses import JSONResponse

    token = settings.admin_token
    if not token:
        return  # no token configured: the endpoints do not exist
    rebuild_lock = threading.Lock()

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        supplied = header[7:] if header.lower().startswith("bearer ") else ""
        return hmac.compare_digest(supplied.encode(), token.encode())

    def refused() -> JSONResponse:
        # Never echo what was supplied: the log and the response stay free of tokens.
        return JSONResponse({"error": "需要有效的管理令牌"}, status_code=401)

    def rebuild() -> None:
        if not rebuild_lock.acquire(blocking=False):
            return
        try:
            state.reindex()
        finally:
            rebuild_lock.release()

    @app.post("/api/admin/documents")
    async def upload(request: Request):
        if not authorised(request):
            return refused()
        form = await request.form(max_files=1, max_fields=2, max_part_size=MAX_FILE_BYTES)
        upload_file = form.get("file")
        if upload_file is None or not hasattr(upload_file, "filename"):
            return JSONResponse({"error": "缺少文件字段 file"}, status_code=400)
        name = safe_document_name(upload_file.filename or "")
        if name is None:
            return JSONResponse({"error": f"文件名或类型不允许（支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}）"},
                                status_code=400)
        data = await upload_file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return JSONResponse({"error": f"文件过大（上限 {MAX_FILE_BYTES // 1_000_000} MB）"}, status_code=413)
        docs_dir = Path(settings.docs_dir).resolve()
        target = (docs_dir / name).resolve()
        if target.parent != docs_dir:
            return JSONResponse({"error": "文件名不允许"}, status_code=400)
        tmp = docs_dir / f".upload-{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        os.replace(tmp, target)  # a half-written upload is never seen by the indexer
        log.info("document uploaded: %s (%d bytes)", name, len(data))
        threading.Thread(target=rebuild, daemon=True).start()
        return JSONResponse({"saved": name, "bytes": len(data), "reindex": "started"}, status_code=202)

    @app.post("/api/admin/reindex")
    async def reindex(request: Request):
        if not authorised(request):
            return refused()
        threading.Thread(target=rebuild, daemon=True).start()
        return JSONResponse({"reindex": "started"}, status_code=202)
