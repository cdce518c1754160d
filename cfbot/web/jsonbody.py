"""Reading JSON request bodies defensively: bad JSON is a value error, never a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import request

# the deepest a request body may nest (visits are flat objects inside an array)
MAX_JSON_DEPTH = 16


class BadJson(ValueError):
    """The body is not JSON this app accepts (syntax, nesting, encoding)."""


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def read_json_body(max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The request body parsed as JSON; raises :class:`BadJson` with a reason."""
    data = request.get_data(cache=True)
    try:
        text = data.decode("utf-8-sig")
        value = json.loads(text)
    except UnicodeDecodeError as exc:
        raise BadJson("the body is not UTF-8") from exc
    except RecursionError as exc:
        raise BadJson(f"the body nests more than {max_depth} levels deep") from exc
    except ValueError as exc:
        raise BadJson("the body is not valid JSON") from exc
    if _too_deep(value, max_depth):
        raise BadJson(f"the body nests more than {max_depth} levels deep")
    return value
