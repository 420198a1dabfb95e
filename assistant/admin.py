"""Staff actions and the token API.

`StaffActions` is what staff can do to the documents (add, replace, edit metadata, remove,
re-index, add a dictionary term): each is checked by `library`, written to the audit log and
followed by a background re-index. The staff console (/admin, console.py) and the token API
below call the same actions; the CLI calls `library` directly.

The token API exists only when ASSISTANT_ADMIN_TOKEN is set, and every call must carry
`Authorization: Bearer <token>`.
"""


import hmac
import logging
from pathlib import Path

from .audit import AuditLog
from .documents import MAX_FILE_BYTES
from .library import (EDITABLE_FIELDS, LibraryError, add_document, list_documents, remove_document,
                      safe_document_name, update_metadata)

log = logging.getLogger("assistant.admin")

__all__ = ["StaffActions", "register_admin_routes", "safe_document_name"]


class StaffActions:
    """Checked, audited changes to the documents folder, each followed by a re-index."""

    def __init__(self, state, audit: AuditLog):
        self.state = state
        self.audit = audit

    @property
    def docs_dir(self) -> Path:
        """The folder the serving index is kept in step with."""
        from .service import documents_folder
        from .store import read_manifest

        folder, _ = documents_folder(self.state.settings, read_manifest(self.state.settings.index_dir))
        return Path(folder or self.state.settings.docs_dir)

    def documents(self) -> list:
        if not self.state.ready:
            return list_documents(self.docs_dir, None)
        index = self.state.assistant.index
        return list_documents(self.docs_dir, index.manifest, index.documents)

    def add(self, name: str, data: bytes, metadata: dict, client: str, replace: bool = False) -> str:
        doc_id = add_document(self.docs_dir, name, data, metadata, replace=replace)
        self.audit.record("replace" if replace else "upload", doc_id, client, f"{len(data)} bytes")
        return self._reindex(doc_id, client)

    def update(self, doc_id: str, metadata: dict, client: str) -> str:
        update_metadata(self.docs_dir, doc_id, metadata)
        self.audit.record("edit_metadata", doc_id, client, ", ".join(sorted(metadata)))
        return self._reindex(doc_id, client)

    def remove(self, doc_id: str, client: str) -> str:
        remove_document(self.docs_dir, doc_id)
        self.audit.record("remove", doc_id, client)
        return self._reindex(doc_id, client)

    def add_term(self, policy: str, everyday: str, client: str) -> None:
        from .tokenize import add_staff_term

        try:
            add_staff_term(self.docs_dir, policy, everyday)
        except ValueError as exc:
            raise LibraryError(str(exc)) from None
        self.audit.record("add_term", "", client, f"{everyday} → {policy}" if everyday else policy)

    def reindex(self, client: str) -> str:
        return self._reindex("", client)

    def _reindex(self, doc_id: str, client: str) -> str:
        outcome = self.state.request_reindex()
        self.audit.record("reindex", doc_id, client, outcome)
        return outcome


def metadata_from_form(form) -> dict:
    """The editable metadata fields present in a submitted form."""
    return {name: form.get(name) for name in EDITABLE_FIELDS if form.get(name) is not None}


async def read_upload(form) -> tuple[str, bytes]:
    """(file name, bytes) of the form's `file` field; LibraryError for a missing or oversized one."""
    upload_file = form.get("file")
    if upload_file is None or not hasattr(upload_file, "filename"):
        raise LibraryError("缺少文件字段 file")
    name = upload_file.filename or ""
    if safe_document_name(name) is None:
        from .documents import SUPPORTED_SUFFIXES

        raise LibraryError(f"文件名或类型不允许（支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}）")
    data = await upload_file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise LibraryError(f"文件过大（上限 {MAX_FILE_BYTES // 1_000_000} MB）", status=413)
    return name, data


def register_admin_routes(app, state, settings, actions: StaffActions) -> None:
    from fastapi import Request
    from fastapi.responses import JSONResponse

    token = settings.admin_token
    if not token:
        return  # no token configured: the endpoints do not exist

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        supplied = header[7:] if header.lower().startswith("bearer ") else ""
        return hmac.compare_digest(supplied.encode(), token.encode())

    def refused() -> JSONResponse:
        # Never echo what was supplied: the log and the response stay free of tokens.
        return JSONResponse({"error": "需要有效的管理令牌"}, status_code=401)

    def client_of(request: Request) -> str:
        return f"api:{request.client.host if request.client else 'unknown'}"

    def problem(exc: LibraryError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.get("/api/admin/documents")
    async def documents(request: Request):
        if not authorised(request):
            return refused()
        return {"documents": [row.to_dict() for row in actions.documents()]}

    @app.post("/api/admin/documents")
    async def upload(request: Request):
        """multipart: file, optional metadata fields, replace=1 to replace an existing file."""
        if not authorised(request):
            return refused()
        form = await request.form(max_files=1, max_fields=20, max_part_size=MAX_FILE_BYTES)
        try:
            name, data = await read_upload(form)
            replace = form.get("replace") in ("1", "true") or (actions.docs_dir / name).exists()
            outcome = actions.add(name, data, metadata_from_form(form), client_of(request), replace=replace)
        except LibraryError as exc:
            return problem(exc)
        log.info("document uploaded: %s (%d bytes)", name, len(data))
        return JSONResponse({"saved": name, "bytes": len(data), "reindex": outcome}, status_code=202)

    @app.post("/api/admin/documents/metadata")
    async def edit(request: Request):
        """JSON {"doc_id": "...", "metadata": {...}}."""
        if not authorised(request):
            return refused()
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "请求体不是合法的 JSON"}, status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("doc_id"), str) \
                or not isinstance(payload.get("metadata"), dict):
            return JSONResponse({"error": '需要 {"doc_id": "文件名", "metadata": {...}}'}, status_code=400)
        try:
            outcome = actions.update(payload["doc_id"], payload["metadata"], client_of(request))
        except LibraryError as exc:
            return problem(exc)
        return JSONResponse({"updated": payload["doc_id"], "reindex": outcome}, status_code=202)

    @app.delete("/api/admin/documents")
    async def remove(request: Request, doc: str = ""):
        if not authorised(request):
            return refused()
        try:
            outcome = actions.remove(doc, client_of(request))
        except LibraryError as exc:
            return problem(exc)
        return JSONResponse({"removed": doc, "reindex": outcome}, status_code=202)

    @app.post("/api/admin/reindex")
    async def reindex(request: Request):
        if not authorised(request):
            return refused()
        return JSONResponse({"reindex": actions.reindex(client_of(request))}, status_code=202)

    @app.get("/api/admin/status")
    async def status(request: Request):
        if not authorised(request):
            return refused()
        return state.reindex_status()
