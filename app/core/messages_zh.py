"""Chinese wording of validation errors, for people: the console's forms and the import preview (批量导入).

The API's problem documents keep their English `msg` (clients depend on them); a page or an import preview
shows the Chinese sentence made here from the same error, beside the field or column it names.

Rules:
- A pydantic error is worded by its `type` and `ctx` (limits, pattern) with the field's Chinese label
  (`请填写机构名称`, `机构名称最多200个字`, `检查日期请填写日期,如 2023-05-04`).
- A business rule refused by a service (`ValidationFailed`, English `msg`) is worded by the first pattern of
  `BUSINESS` that matches its `msg`; a rule without a pattern reads `<label>填写有误:<msg>` so nothing is hidden.
- Add a pattern here when a service gains a rule a person can break through a page or a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DATE_EXAMPLE = "2023-05-04"

# (pattern over the service's English msg, Chinese sentence; {label} is the field's label, named groups fill in).
BUSINESS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^already taken$"), "该{label}已被登记,不能重复使用"),
    (re.compile(r"credit code must be 18 characters"), "统一社会信用代码应为18位"),
    (re.compile(r"credit code may only use"), "统一社会信用代码只能由数字和除 I、O、S、V、Z 以外的大写字母组成"),
    (re.compile(r"^characters 3-8 of a unified social credit code"), "统一社会信用代码第3至8位应为行政区划代码(数字)"),
    (re.compile(r"credit code check character does not match"), "统一社会信用代码校验位不符,请核对后重新填写"),
    (re.compile(r"^no institution \S+ in your region"), "所选机构不存在或不在您的管辖范围内"),
    (re.compile(r"^no officer \S+ in your region"), "所选执法人员不存在或不在您的管辖范围内"),
    (re.compile(r"not certified on (?P<on>\d{4}-\d{2}-\d{2})"), "所选执法人员在{on}没有有效的执法证"),
    (re.compile(r"is listed twice; two distinct officers are needed"), "同一执法人员只能选择一次"),
    (re.compile(r"is closed and cannot be inspected"), "该机构已关闭,不能登记检查"),
    (re.compile(r"^due_on \S+ is before the inspection date (?P<on>\S+)"), "整改期限不能早于检查日期({on})"),
    (re.compile(r"^this inspector account is not linked to an officer"), "您的账号未关联执法人员,不能登记检查"),
    (re.compile(r"^an inspector may only record inspections it takes"), "检查员只能登记本人参加的检查,请勾选您本人"),
    (re.compile(r"^must not be before certificate_issued_on \((?P<on>[^)]+)\)"), "有效期至不能早于发证日期({on})"),
    (re.compile(r"^certificate_expires_on must not be before certificate_issued_on"), "有效期至不能早于发证日期"),
    (re.compile(r"^must not be before period_from \((?P<on>[^)]+)\)"), "结束日期不能早于开始日期({on})"),
    (re.compile(r"^from \((?P<a>[^)]+)\) is after to \((?P<b>[^)]+)\)"), "开始日期({a})晚于结束日期({b})"),
    (re.compile(r"^a training cannot be recorded before it is held"), "培训尚未举行,不能登记"),
    (re.compile(r"^the plan action needs a rectification_plan"), "请填写整改方案"),
    (re.compile(r"is in the future \(today is (?P<today>[^)]+)\)"), "{label}不能晚于今天({today})"),
    (re.compile(r"is before the hazard was found \((?P<on>[^)]+)\)"), "{label}不能早于发现日期({on})"),
    (re.compile(r"^cannot verify on \S+, before it was rectified \((?P<on>[^)]+)\)"), "验收日期不能早于整改日期({on})"),
    (re.compile(r"^voiding needs a note"), "作废须填写说明:写明为何作废(如登记有误、重复登记)"),
    (re.compile(r"^this plan already has a draw: a redraw needs a reason"), "该计划已抽取过,重新抽取须填写理由"),
    (re.compile(r"^only (?P<n>\d+) institutions are in the plan's scope"), "计划范围内只有{n}家机构"),
    # users (app.auth.service) and webhook URLs (app.events.webhooks.urls): the administration pages
    (re.compile(r"^already linked$"), "该执法人员已关联其他用户"),
    (re.compile(r"^not a valid URL"), "网址格式不正确"),
    (re.compile(r"^only http and https URLs"), "网址须以 https:// 开头"),
    (re.compile(r"must not contain a user name or password"), "网址中不能包含用户名或密码"),
    (re.compile(r"^the URL has no host"), "网址缺少主机名"),
    (re.compile(r"^the host (?P<host>\S+) does not resolve"), "无法解析主机 {host},请检查网址"),
    (
        re.compile(r"^(?P<host>\S+) resolves to a non-public address"),
        "{host} 指向内网地址,须由运维人员加入 WEBHOOK_ALLOWED_HOSTS 后才能使用",
    ),
    (re.compile(r"must be reached over https"), "该地址须使用 https://"),
    (re.compile(r"^period_to must not be before period_from"), "计划结束日期不能早于开始日期"),
    (re.compile(r"^the period must overlap the plan's year"), "计划期间须与计划年度有重叠"),
    (re.compile(r"^kinds lists a kind twice"), "机构类型不能重复选择"),
    (re.compile(r"^give exactly one of count and ratio"), "抽取数量和抽取比例请只填写其中一项"),
    (
        re.compile(r"^only (?P<n>\d+) eligible officers remain for (?P<name>.+), (?P<k>\d+) needed"),
        "可派的执法人员不足:{name}只剩{n}人可派,每组需要{k}人(须在计划检查日期持证、无回避关系、未超过每人最多组数)",
    ),
    (re.compile(r"^(?P<field>\w+) '(?P<code>\d*)' lies outside your region"), "该行政区划({code})不在您的管辖范围内"),
    # 批量导入 (app.imports): the file, its headings (row 1), and the rules of a row
    (re.compile(r"^\w+ '.*' is already taken"), "{label}已被管辖范围以外的记录使用"),
    (re.compile(r"^the same as row (?P<n>\d+)"), "{label}与第{n}行重复"),
    (
        re.compile(r"^matches (?P<n>\d+) stored records by name"),
        "与已登记的{n}条记录同名,无法确定对应哪一条;请填写证照号码",
    ),
    (re.compile(r"^expected one of (?P<choices>.+)"), "{label}请填写{choices}之一"),
    (re.compile(r"^unknown column"), "无法识别的列“{label}”,请使用模板中的表头"),
    (re.compile(r"^column given twice"), "“{label}”列重复"),
    (re.compile(r"^a required column is missing"), "缺少必填列“{label}”"),
    (re.compile(r"^a value under no heading"), "{label}没有表头,请删除该列的内容或补上表头"),
    (re.compile(r"^an old \.xls workbook"), "这是旧版 .xls 文件,请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后再上传"),
    (re.compile(r"^not a readable XLSX workbook"), "无法读取该 XLSX 文件,请确认文件未损坏"),
    (
        re.compile(r"^the file is neither UTF-8 nor GB18030"),
        "无法识别文件的编码,请另存为 UTF-8 或 GB18030(GBK)编码的 CSV",
    ),
    (re.compile(r"^the file holds a NUL character"), "文件含有无法保存的空字符"),
    (re.compile(r"^not CSV"), "无法按 CSV 读取该文件"),
    (re.compile(r"^row 1 holds no headings"), "第1行应为表头,请使用模板"),
    (re.compile(r"^more than (?P<n>\d+) rows"), "文件超过{n}行,请分成几个文件导入"),
    (re.compile(r"^the file holds no rows below the headings"), "表头下面没有数据行"),
    (re.compile(r"^the file is larger than (?P<mb>[\d.]+) MB"), "文件超过{mb} MB,请分成几个文件导入"),
    (re.compile(r"^send the file as the form field 'file'"), "请选择要上传的文件"),
]


def _limit(ctx: Mapping[str, Any], key: str) -> str:
    value = ctx.get(key, "")
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)  # 0, not 0.0


def pydantic_message(error: Mapping[str, Any], label: str) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a Chinese sentence about `label`."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in {"missing", "string_type"} or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"请填写{label}"
    match kind:
        case "string_too_short":
            return f"{label}至少{_limit(ctx, 'min_length')}个字"
        case "string_too_long":
            return f"{label}最多{_limit(ctx, 'max_length')}个字"
        case "string_pattern_mismatch":
            return f"{label}格式不正确"
        case "enum" | "literal_error":
            return f"{label}请从列表中选择"
        case (
            "date_parsing"
            | "date_from_datetime_parsing"
            | "date_type"
            | "date_from_datetime_inexact"
            | "date_format"  # app.core.schemas.iso_date_only
        ):
            return f"{label}请填写日期,如 {DATE_EXAMPLE}"
        case "int_parsing" | "int_type" | "int_from_float":
            return f"{label}请填写整数"
        case "greater_than_equal":
            return f"{label}不能小于{_limit(ctx, 'ge')}"
        case "greater_than":
            return f"{label}须大于{_limit(ctx, 'gt')}"
        case "less_than_equal":
            return f"{label}不能大于{_limit(ctx, 'le')}"
        case "less_than":
            return f"{label}须小于{_limit(ctx, 'lt')}"
        case "too_short":
            return f"{label}至少选择{_limit(ctx, 'min_length')}项"
        case "too_long":
            return f"{label}最多{_limit(ctx, 'max_length')}项"
        case "uuid_parsing" | "uuid_type":
            return f"{label}无效,请从列表中选择"
        case "bool_parsing" | "bool_type":
            return f"{label}请选择是或否"
        case "extra_forbidden":
            return f"{label}不是可填写的项目"
    return business_message(str(error.get("msg", "")).removeprefix("Value error, "), label)


def business_message(msg: str, label: str) -> str:
    """A service's English rule message as a Chinese sentence (`BUSINESS`), else `<label>填写有误:<msg>`."""
    for pattern, sentence in BUSINESS:
        found = pattern.search(msg)
        if found:
            return sentence.format(label=label, **found.groupdict())
    return f"{label}填写有误:{msg}"
