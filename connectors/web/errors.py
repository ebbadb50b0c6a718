"""Every error becomes a JSON answer with a Chinese `detail`: never a bare 500 for a bad request."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.engine import MessageError
from assistant.store import ClaimConflict, Duplicate, Forbidden, NotFound, StoreError
from assistant.store.records import TooMany
from knowledge.errors import RongchuangError

log = logging.getLogger("rongchuang.web")

DEFAULT_DETAIL = {
    400: "请求不正确。",
    401: "请先登录。",
    403: "没有权限。",
    404: "找不到这个地址。",
    405: "不支持这个请求方法。",
    413: "请求内容太大。",
    415: "不支持这种内容类型。",
}
STORE_STATUS: list[tuple[type[StoreError], int]] = [
    (NotFound, 404),
    (ClaimConflict, 409),
    (Forbidden, 403),
    (Duplicate, 409),
    (TooMany, 429),
    (StoreError, 400),
]


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return "“" + ".".join(parts) + "”" if parts else "请求体"


def _message(err: dict) -> str:
    kind, where, ctx = err.get("type", ""), _where(tuple(err.get("loc", ()))), err.get("ctx") or {}
    if kind == "json_invalid":
        return "请求体不是合法的 JSON"
    if kind == "missing":
        return f"缺少必填字段 {where}"
    if kind == "string_type":
        return f"{where} 应该是文本"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{where} 应该是整数"
    if kind in ("bool_parsing", "bool_type"):
        return f"{where} 应该是 true 或 false"
    if kind == "string_too_short":
        return f"{where} 不能为空"
    if kind == "string_too_long":
        return f"{where} 太长（最多 {ctx.get('max_length')} 字）"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{where} 超出了允许的范围"
    if kind == "literal_error":
        return f"{where} 只能是：{ctx.get('expected', '')}"
    if kind in ("text_unstorable", "string_unicode"):
        return f"{where} 含有无法识别的字符（不成对的代理字符或 NUL），请删掉后重新输入"
    if kind == "text_control":
        return f"{where} 含有控制字符，请只用普通文字"
    if kind == "string_pattern_mismatch":
        return f"{where} 格式不正确"
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return "请求体应该是一个 JSON 对象"
    return f"{where} 不正确"


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": _message(e), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    detail = "请求格式不正确：" + "；".join(dict.fromkeys(e["msg"] for e in errors)) + "。"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's 400 for a body that is not UTF-8


async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    detail = exc.detail
    if exc.status_code == 400 and detail == BODY_PARSE_ERROR:
        msg = "请求体不是合法的 UTF-8 JSON"
        errors = [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]
        return JSONResponse({"detail": f"请求格式不正确：{msg}。", "errors": errors}, status_code=422)
    if not isinstance(detail, str) or detail.isascii():  # Starlette's English defaults
        detail = DEFAULT_DETAIL.get(exc.status_code, "请求没有成功。")
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def message_error(_request: Request, exc: MessageError) -> JSONResponse:
    """The assistant's own refusals (empty, too long) are validation errors of `message`: 422 with
    the documented body, whatever status the assistant suggests."""
    kind = "string_too_long" if exc.status == 413 else "string_too_short"
    errors = [{"loc": ["body", "message"], "msg": str(exc), "type": kind}]
    return JSONResponse({"detail": str(exc), "errors": errors}, status_code=422)


async def store_error(_request: Request, exc: StoreError) -> JSONResponse:
    status = next(code for cls, code in STORE_STATUS if isinstance(exc, cls))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def domain_error(_request: Request, exc: RongchuangError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "服务器出了点问题，请稍后再试。"}, status_code=500)


def document(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth about error bodies: every 422 is `ValidationErrorOut`
    (not FastAPI's HTTPValidationError), every operation may answer 400 (a request the domain refuses),
    and every operation with a body may answer 413 (the body limit runs before any route)."""
    from fastapi.openapi.utils import get_openapi

    from .schemas import ErrorOut, ValidationErrorOut

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorOut, ValidationErrorOut):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[model.__name__] = schema
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for item in spec.get("paths", {}).values():
            for method, op in item.items():
                _document_errors(op, method)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _ref(name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def _document_errors(op: dict, method: str) -> None:
    responses = op.setdefault("responses", {})
    responses["422"] = _ref(
        "ValidationErrorOut", responses.get("422", {}).get("description") or "请求格式不正确"
    )
    if responses["422"]["description"] == "Validation Error":
        responses["422"]["description"] = "请求格式不正确（字段缺失、类型不对、含有无法识别的字符）"
    responses.setdefault("400", _ref("ErrorOut", "请求不被接受（原因见 detail）"))
    if method in ("post", "put", "patch"):
        responses.setdefault("413", _ref("ErrorOut", "请求内容太大"))


def install(app: FastAPI) -> None:
    # Starlette types a handler as taking any Exception; each of ours takes the class it is for.
    handlers: list[tuple[type[Exception], Any]] = [
        (RequestValidationError, validation_error),
        (HTTPException, http_error),
        (MessageError, message_error),
        (StoreError, store_error),
        (RongchuangError, domain_error),
        (Exception, unexpected),
    ]
    for cls, handler in handlers:
        app.add_exception_handler(cls, handler)
