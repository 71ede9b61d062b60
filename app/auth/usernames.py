"""What a username may be, so that no two users look alike in a list or a history.

Rules:
- A username is already in Unicode NFKC form: full-width letters and digits (`ａｄｍｉｎ`, `０`), ligatures,
  circled or compatibility characters are refused, not silently folded (the name shown is the name typed).
- It is written in one script: either ASCII letters, digits and `.`, `_`, `@`, `-` (`zhang.san`), or Chinese
  characters (CJK unified ideographs) with ASCII digits (`张三丰`, `李四2`). Any other letter (Cyrillic `а`,
  Greek `ο`, accented Latin …) or a mix of Chinese and Latin letters is refused.
- Two usernames that differ only in ASCII case are the same name: `Admin` is taken when `admin` exists
  (`username_key`; the database enforces it with a unique index on `lower(username)`). The name keeps the
  case it was created with, and logging in takes it exactly as stored.
- Users created before these rules keep their names; the rules apply to every new name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic_core import PydanticCustomError

_ASCII_NAME = re.compile(r"[A-Za-z0-9._@-]+")
_DIGITS = frozenset("0123456789")

NOT_NFKC = "用户名含全角或兼容字符（规范化后为“{normalized}”），请直接使用规范字符"
MIXED_SCRIPT = "用户名只能由英文字母、数字和 . _ @ - 组成，或由汉字和数字组成，不能混用其他文字"


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def is_single_script(value: str) -> bool:
    """ASCII letters/digits/`._@-` only, or Chinese characters with ASCII digits (at least one character)."""
    if _ASCII_NAME.fullmatch(value):
        return True
    return any(_is_han(c) for c in value) and all(_is_han(c) or c in _DIGITS for c in value)


def check_username(value: Any) -> Any:
    """`value` if it follows the rules above; a 422-bound validation error (in Chinese) otherwise. Anything
    but text is left to the type check (a pydantic before-validator: it runs ahead of the length rule)."""
    if not isinstance(value, str):
        return value
    normalized = unicodedata.normalize("NFKC", value)
    if normalized != value:
        raise PydanticCustomError("username_not_nfkc", NOT_NFKC, {"normalized": normalized})
    if not is_single_script(value):
        raise PydanticCustomError("username_mixed_script", MIXED_SCRIPT)
    return value


def username_key(value: str) -> str:
    """What two usernames must not share: the name with ASCII letters lowered (as SQL `lower()` does)."""
    return value.lower()
