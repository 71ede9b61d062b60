"""The import's answer: what each row would do (or did), and every error by row and column heading."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import Problem


class ImportKind(StrEnum):
    institutions = "institutions"  # 机构名录
    officers = "officers"  # 执法人员名单


RowAction = Literal["create", "update", "unchanged", "invalid"]


class RowError(BaseModel):
    row: int = Field(description="spreadsheet row: the heading is row 1, the first data row 2", examples=[3])
    column: str = Field(description="the column heading ('' for the whole row or file)", examples=["统一社会信用代码"])
    field: str | None = Field(
        default=None,
        description="the API field of the column (absent for a column the API does not know)",
        examples=["credit_code"],
    )
    message: str = Field(description="中文提示", examples=["统一社会信用代码校验位不符,请核对后重新填写"])


class RowPreview(BaseModel):
    row: int = Field(examples=[2])
    name: str = Field(description="机构名称 / 姓名 as written in the file", examples=["南宾街道敬老院"])
    key: str | None = Field(
        default=None,
        description="统一社会信用代码 / 执法证号 as read (absent when blank)",
        examples=["91500240MA5U000018"],
    )
    action: RowAction = Field(description="what storing the file does to this row's record ('invalid': has errors)")


class ImportResult(BaseModel):
    kind: ImportKind
    dry_run: bool
    stored: bool = Field(description="true when the rows were written (all of them, in one transaction)")
    total: int = Field(description="data rows read (blank rows skipped)")
    created: int
    updated: int
    unchanged: int
    rows: list[RowPreview]
    errors: list[RowError]


class ImportProblem(Problem):
    """The 422 of an import (nothing stored): the problem, and when rows have errors the preview with each."""

    result: ImportResult | None = Field(default=None, description="present when rows (not the file) have errors")
