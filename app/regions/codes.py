"""Division codes (行政区划代码) in the form this service uses, and the official forms they are read from.

Rules:
- A code is a digit string whose length is a level: 2 province, 4 prefecture, 6 county (GB/T 2260), 9 township,
  12 village (the statistical division codes, 统计用区划代码). Codes nest by prefix (50 → 500240 → 500240001),
  which is what region scoping relies on.
- Official lists pad every code to a fixed width: GB/T 2260 writes Chongqing 500000 and its county-level
  group 500200; the statistical codes write Shizhu 500240000000 and a township 500240001000. Reading them,
  trailing all-zero level groups are dropped (500000 → 50, 500240001000 → 500240001). The API takes the
  short form only: a padded code there is a 422 that names the short form.
- A code's parent is the code one level up (500240001 → 500240 → 5002 → 50; a province has none).
"""

from __future__ import annotations

LEVELS = (2, 4, 6, 9, 12)


def is_level_code(code: str) -> bool:
    return code.isdigit() and len(code) in LEVELS


def short_form(code: str) -> str:
    """Drop trailing all-zero level groups ('500000' → '50'); any other code is returned as is."""
    if not is_level_code(code):
        return code
    while len(code) > LEVELS[0]:
        previous = LEVELS[LEVELS.index(len(code)) - 1]
        if code[previous:].strip("0"):
            break
        code = code[:previous]
    return code


def parent_of(code: str) -> str | None:
    """The code one level up, or None for a province (or a code that is not a level code)."""
    if not is_level_code(code) or len(code) == LEVELS[0]:
        return None
    return code[: LEVELS[LEVELS.index(len(code)) - 1]]


def code_problem(code: str) -> str | None:
    """Why `code` is not a short-form level code, or None when it is one."""
    if not is_level_code(code):
        return "a division code has 2, 4, 6, 9 or 12 digits"
    if (short := short_form(code)) != code:
        return f"write the code without its trailing zero groups: {short}"
    return None


def parent_problem(code: str, parent_code: str) -> str | None:
    """Why `parent_code` cannot be the parent of `code`, or None when it can."""
    if (problem := code_problem(parent_code)) is not None:
        return problem
    if not (len(parent_code) < len(code) and code.startswith(parent_code)):
        return f"the parent of {code} must be a shorter code it starts with (codes nest by prefix)"
    return None
