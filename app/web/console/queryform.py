"""Query input of the read-only register pages (inspections, institutions, officers, plans, the annual report):
the filters a page takes as query parameters with the API's names, checked here so a bad value is a message
beside its control (422) instead of the API's problem document, and the `下一页` cursor.

Rules:
- Each filter is read as text and checked as the API's list checks it (its pattern, enum, date form, length);
  an empty value is no filter. A bad value leaves an error under the control's name; the page then answers
  422 and shows the message beside the control, listing nothing.
- Enums are chosen from their Chinese labels (`<select>`); the values sent are the API's enum values.
- The `cursor` is the API's signed page position (app.core.pagination), signed for the page's own path: a cursor
  the page did not issue is a 422 message beside `下一页`.
- A region filter outside the caller's region is refused by the service's own scope check (`Forbidden`); the page
  answers 403 with the message beside `行政区划代码`.
- An id in the path that is not a UUID, does not exist or lies outside the caller's region is the Chinese 404 page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.auth.principals import Principal
from app.core.config import Settings
from app.core.errors import Forbidden, ValidationFailed
from app.core.pagination import PageCursor, cursor_key, open_cursor
from app.web.console.pages import page

E = TypeVar("E", bound=StrEnum)

REGION = re.compile(r"\d{1,12}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PAGE_SIZE = 50
CURSOR_FIELD = "cursor"
OUTSIDE_REGION = "该行政区划不在您的管辖范围内,请填写您所辖区划代码或留空"
BAD_CURSOR = "翻页链接已失效,请从第一页重新查询"


class QueryForm:
    """The page's query parameters, read one filter at a time; `errors` maps a control's name to its message."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return self.params.get(name, "").strip()

    def text(self, name: str, max_length: int, label: str) -> str | None:
        value = self.raw(name)
        if len(value) > max_length:
            self.errors[name] = f"{label}最多{max_length}个字"
            return None
        return value or None

    def region(self, name: str = "region_code") -> str | None:
        value = self.raw(name)
        if value and not (value.isascii() and REGION.fullmatch(value)):
            self.errors[name] = "行政区划代码应为1—12位数字,例如 500240"
            return None
        return value or None

    def choice(self, name: str, enum: type[E], labels: Mapping[str, str]) -> E | None:
        value = self.raw(name)
        if not value:
            return None
        try:
            return enum(value)
        except ValueError:
            self.errors[name] = "请从列表中选择:" + "、".join(labels[m] for m in enum)
            return None

    def day(self, name: str, label: str) -> date | None:
        value = self.raw(name)
        if not value:
            return None
        try:
            if not (value.isascii() and ISO_DATE.fullmatch(value)):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = f"{label}应为日期,格式如 2023-05-04"
            return None

    def ident(self, name: str, label: str) -> uuid.UUID | None:
        value = self.raw(name)
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.errors[name] = f"{label}无效,请从列表页进入或清除该条件"
            return None

    def year(self, name: str, default: int | None, lowest: int = 2000, highest: int = 2100) -> int | None:
        """A four-digit year (the API's `ge=2000, le=2100`); empty → `default` (None: no year)."""
        value = self.raw(name)
        if not value:
            return default
        if len(value) == 4 and value.isascii() and value.isdigit() and lowest <= int(value) <= highest:
            return int(value)
        self.errors[name] = f"年度应为 {lowest}—{highest} 之间的四位数字,例如 2023"
        return None

    def cursor(self, request: Request, settings: Settings) -> PageCursor:
        """The page's `cursor` (signed for this path), opened; a bad one leaves an error on `cursor`."""
        key = cursor_key(settings.secret_key)
        list_id = request.url.path
        value = self.params.get(CURSOR_FIELD)
        if not value:
            return PageCursor(None, key, list_id)
        try:
            return PageCursor(open_cursor(key, list_id, value), key, list_id)
        except ValidationFailed:
            self.errors[CURSOR_FIELD] = BAD_CURSOR
            return PageCursor(None, key, list_id)

    def values(self) -> dict[str, str]:
        """The filters as sent (for the controls and for the next page's link), without the cursor."""
        return {k: v for k, v in self.params.items() if k != CURSOR_FIELD}

    def next_url(self, request: Request, next_cursor: str | None) -> str | None:
        if next_cursor is None:
            return None
        query = {k: v for k, v in self.values().items() if v} | {CURSOR_FIELD: next_cursor}
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return f"{root}{request.url.path}?{urlencode(query)}"


def parse_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def not_found(
    request: Request, settings: Settings, principal: Principal, what: str, back: str, label: str
) -> HTMLResponse:
    """The Chinese 404 page: the record is unknown or outside the caller's region (existence is not revealed)."""
    return page(request, settings, principal, "registers/not_found.html", 404, what=what, back=back, back_label=label)


Lister = Callable[[str | None], Awaitable[tuple[Sequence[Any], str | None]]]


async def list_page(
    request: Request,
    settings: Settings,
    principal: Principal,
    form: QueryForm,
    template: str,
    fetch: Lister,
    **extra: Any,
) -> Response:
    """Run one list read with the checked filters: 422 beside a bad control, 403 beside a region outside."""
    cursor = form.cursor(request, settings)
    context: dict[str, Any] = {"form": form.values(), "errors": form.errors, "items": None, **extra}
    if form.errors:
        return page(request, settings, principal, template, 422, next_url=None, **context)
    try:
        items, next_cursor = await fetch(cursor.position)
    except Forbidden:
        form.errors["region_code"] = OUTSIDE_REGION
        return page(request, settings, principal, template, 403, next_url=None, **context)
    except ValidationFailed:
        form.errors[CURSOR_FIELD] = BAD_CURSOR
        return page(request, settings, principal, template, 422, next_url=None, **context)
    context["items"] = items
    return page(
        request, settings, principal, template, next_url=form.next_url(request, cursor.issue(next_cursor)), **context
    )
