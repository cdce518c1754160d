"""A small, safe condition language for ``when:`` in flows.

Admins write conditions such as ``overall <= 2 and not answered(comments)``. Flows are
untrusted input, so this module has its own tokenizer and recursive-descent parser and
never hands user text to ``eval`` or ``ast``.

Grammar::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (CMP operand)?
    operand    := NUMBER | "-" NUMBER | STRING | ID | ID "(" ID ")" | "(" expr ")"

Semantics worth knowing:

* A comparison with a missing answer, or with ``sentiment(x)`` when no score exists,
  is **False**. ``not`` of such a comparison is therefore **True**: ``not overall <= 2``
  holds when ``overall`` was never answered. Use ``answered(overall) and not overall <= 2``
  when that matters.
* Comparing a number with a string is False, never an error.
* String comparisons ignore case, so ``would_recommend == "No"`` matches ``no``.
* A bare answer id is not a condition; write ``answered(id)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MAX_LENGTH = 500
MAX_DEPTH = 20
FUNCTIONS = ("answered", "sentiment")
KEYWORDS = ("and", "or", "not")
COMPARATORS = ("<", "<=", "==", "!=", ">=", ">")


class ExprError(ValueError):
    """A condition that cannot be parsed; ``col`` is 1-based within the expression."""

    def __init__(self, message: str, col: int = 1) -> None:
        super().__init__(f"{message} (column {col})")
        self.message = message
        self.col = col


# --- tokens -----------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One lexical token; ``col`` is 1-based."""

    kind: str  # NUM STR ID KW CMP LP RP MINUS COMMA END
    value: str | float | int
    col: int


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch in " \t\r\n":
            i += 1
            continue
        if ch.isascii() and ch.isdigit():
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            is_decimal = False
            if j < n and text[j] == ".":
                k = j + 1
                while k < n and text[k].isascii() and text[k].isdigit():
                    k += 1
                if k == j + 1:
                    raise ExprError("a decimal point must be followed by digits", j + 1)
                j = k
                is_decimal = True
            raw = text[i:j]
            if j < n and (text[j].isalpha() or text[j] == "_"):
                raise ExprError(f"unexpected character {text[j]!r} after number {raw}", j + 1)
            tokens.append(Token("NUM", float(raw) if is_decimal else int(raw), col))
            i = j
            continue
        if ch in "\"'":
            j = i + 1
            buf: list[str] = []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n and text[j + 1] in (ch, "\\"):
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise ExprError("unterminated string", col)
            tokens.append(Token("STR", "".join(buf), col))
            i = j + 1
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(Token("KW" if word in KEYWORDS else "ID", word, col))
            i = j
            continue
        two = text[i : i + 2]
        if two in ("<=", ">=", "==", "!="):
            tokens.append(Token("CMP", two, col))
            i += 2
            continue
        if ch in "<>":
            tokens.append(Token("CMP", ch, col))
            i += 1
            continue
        if two in ("=<", "=>"):
            raise ExprError(f"write '{two[::-1]}', not '{two}'", col)
        if ch == "=":
            raise ExprError("use '==' to compare, not '='", col)
        if ch == "(":
            tokens.append(Token("LP", ch, col))
        elif ch == ")":
            tokens.append(Token("RP", ch, col))
        elif ch == "-":
            tokens.append(Token("MINUS", ch, col))
        elif ch == ",":
            tokens.append(Token("COMMA", ch, col))
        elif ch == "!":
            raise ExprError("use 'not' instead of '!'", col)
        elif ch == "&":
            raise ExprError("use 'and' instead of '&'", col)
        elif ch == "|":
            raise ExprError("use 'or' instead of '|'", col)
        elif ch == ".":
            raise ExprError("'.' is not allowed (no attribute access)", col)
        else:
            raise ExprError(f"unexpected character {ch!r}", col)
        i += 1
    tokens.append(Token("END", "", n + 1))
    return tokens


# --- syntax tree ------------------------------------------------------------


class Node:
    """Base class of syntax tree nodes."""

    col: int
    is_condition: bool = False

    def evaluate(self, answers: Mapping[str, object], sentiments: Mapping[str, float | None]):
        raise NotImplementedError  # pragma: no cover

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class Literal(Node):
    """A number or string literal."""

    value: int | float | str
    col: int

    def evaluate(self, answers, sentiments):
        return self.value


@dataclass(frozen=True)
class AnswerRef(Node):
    """The answer to a question, by id (None when not answered)."""

    name: str
    col: int

    def evaluate(self, answers, sentiments):
        return answers.get(self.name)


@dataclass(frozen=True)
class Call(Node):
    """``answered(id)`` (a condition) or ``sentiment(id)`` (a number or None)."""

    func: str
    name: str
    col: int

    @property
    def is_condition(self) -> bool:  # type: ignore[override]  # a property in place of the base dataclass field
        return self.func == "answered"

    def evaluate(self, answers, sentiments):
        if self.func == "answered":
            value = answers.get(self.name)
            return value is not None and value != ""
        return sentiments.get(self.name)


def _is_number(value: object) -> bool:
    # bool is an int subclass; a True answer is not a number for comparison purposes
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Compare(Node):
    """``left OP right``; False whenever either side is missing or the types differ."""

    op: str
    left: Node
    right: Node
    col: int
    is_condition = True

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def evaluate(self, answers, sentiments):
        a = self.left.evaluate(answers, sentiments)
        b = self.right.evaluate(answers, sentiments)
        if a is None or b is None:
            return False
        if _is_number(a) and _is_number(b):
            pass
        elif isinstance(a, str) and isinstance(b, str):
            a, b = a.casefold(), b.casefold()
        else:
            return False
        if self.op == "<":
            return a < b
        if self.op == "<=":
            return a <= b
        if self.op == "==":
            return a == b
        if self.op == "!=":
            return a != b
        if self.op == ">=":
            return a >= b
        return a > b


@dataclass(frozen=True)
class Not(Node):
    """Logical negation."""

    operand: Node
    col: int
    is_condition = True

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def evaluate(self, answers, sentiments):
        return not self.operand.evaluate(answers, sentiments)


@dataclass(frozen=True)
class BoolOp(Node):
    """``and`` / ``or`` over two or more conditions (short-circuit)."""

    op: str
    operands: tuple[Node, ...]
    col: int
    is_condition = True

    def children(self) -> tuple[Node, ...]:
        return self.operands

    def evaluate(self, answers, sentiments):
        if self.op == "and":
            return all(o.evaluate(answers, sentiments) for o in self.operands)
        return any(o.evaluate(answers, sentiments) for o in self.operands)


# --- parser -----------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "END":
            self.pos += 1
        return tok

    def enter(self, col: int) -> None:
        # an explicit depth limit keeps hostile input far away from RecursionError
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)", col)

    def leave(self) -> None:
        self.depth -= 1

    def parse(self) -> Node:
        if self.tok.kind == "END":
            raise ExprError("empty condition", 1)
        node = self.expr()
        if self.tok.kind != "END":
            raise ExprError(f"unexpected {self._describe(self.tok)}", self.tok.col)
        if not node.is_condition:
            raise ExprError(
                "this is a value, not a condition; compare it (e.g. 'x <= 2') or use answered(x)",
                node.col,
            )
        return node

    @staticmethod
    def _describe(tok: Token) -> str:
        if tok.kind == "END":
            return "end of condition"
        if tok.kind == "STR":
            return f"string {tok.value!r}"
        return repr(str(tok.value))

    def _condition(self, node: Node) -> Node:
        if not node.is_condition:
            raise ExprError(
                "expected a condition here (a comparison, answered(x), or 'not ...')",
                node.col,
            )
        return node

    def expr(self) -> Node:
        first = self.and_expr()
        if not (self.tok.kind == "KW" and self.tok.value == "or"):
            return first
        operands = [self._condition(first)]
        while self.tok.kind == "KW" and self.tok.value == "or":
            self.advance()
            operands.append(self._condition(self.and_expr()))
        return BoolOp("or", tuple(operands), first.col)

    def and_expr(self) -> Node:
        first = self.not_expr()
        if not (self.tok.kind == "KW" and self.tok.value == "and"):
            return first
        operands = [self._condition(first)]
        while self.tok.kind == "KW" and self.tok.value == "and":
            self.advance()
            operands.append(self._condition(self.not_expr()))
        return BoolOp("and", tuple(operands), first.col)

    def not_expr(self) -> Node:
        if self.tok.kind == "KW" and self.tok.value == "not":
            tok = self.advance()
            self.enter(tok.col)
            operand = self._condition(self.not_expr())
            self.leave()
            return Not(operand, tok.col)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        if self.tok.kind != "CMP":
            return left
        op_tok = self.advance()
        right = self.operand()
        for side in (left, right):
            if side.is_condition:
                raise ExprError(
                    f"'{op_tok.value}' compares values, but this side is a condition", side.col
                )
        if self.tok.kind == "CMP":
            raise ExprError(
                "chained comparisons are not supported; join them with 'and'", self.tok.col
            )
        return Compare(str(op_tok.value), left, right, left.col)

    def operand(self) -> Node:
        tok = self.tok
        if tok.kind == "NUM":
            self.advance()
            return Literal(tok.value, tok.col)
        if tok.kind == "MINUS":
            self.advance()
            num = self.tok
            if num.kind != "NUM":
                raise ExprError("'-' must be followed by a number", tok.col)
            self.advance()
            return Literal(-num.value, tok.col)  # type: ignore[operator]  # a NUM token's value is a number
        if tok.kind == "STR":
            self.advance()
            return Literal(tok.value, tok.col)
        if tok.kind == "LP":
            self.advance()
            self.enter(tok.col)
            inner = self.expr()
            self.leave()
            if self.tok.kind != "RP":
                raise ExprError("missing ')'", self.tok.col)
            self.advance()
            return inner
        if tok.kind == "ID":
            self.advance()
            name = str(tok.value)
            if self.tok.kind == "LP":
                return self._call(name, tok)
            return AnswerRef(name, tok.col)
        if tok.kind == "END":
            raise ExprError("condition ends too early", tok.col)
        raise ExprError(f"unexpected {self._describe(tok)}", tok.col)

    def _call(self, name: str, tok: Token) -> Node:
        if name not in FUNCTIONS:
            raise ExprError(
                f"unknown function {name!r}; only answered(id) and sentiment(id) exist", tok.col
            )
        self.advance()  # (
        arg = self.tok
        if arg.kind != "ID":
            raise ExprError(f"{name}() takes one question id, e.g. {name}(overall)", arg.col)
        self.advance()
        if self.tok.kind != "RP":
            raise ExprError(f"{name}() takes exactly one question id", self.tok.col)
        self.advance()
        return Call(name, str(arg.value), tok.col)


# --- public API -------------------------------------------------------------


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children())


@dataclass(frozen=True)
class Expr:
    """A parsed condition. ``source`` is the text as written."""

    source: str
    root: Node

    def evaluate(
        self, answers: Mapping[str, object], sentiments: Mapping[str, float | None]
    ) -> bool:
        """True when the condition holds for these answers and sentiment scores."""
        return bool(self.root.evaluate(answers, sentiments))

    def references(self) -> set[str]:
        """Question ids the condition uses (answers, ``answered()`` and ``sentiment()``)."""
        refs: set[str] = set()
        for node in _walk(self.root):
            if isinstance(node, AnswerRef | Call):
                refs.add(node.name)
        return refs

    def sentiment_references(self) -> set[str]:
        """Question ids used through ``sentiment(id)``."""
        return {n.name for n in _walk(self.root) if isinstance(n, Call) and n.func == "sentiment"}

    def literal_comparisons(self) -> list[tuple[str, str, int | float | str, int]]:
        """``(question_id, op, literal, col)`` for each answer compared with a literal."""
        found = []
        for node in _walk(self.root):
            if not isinstance(node, Compare):
                continue
            if isinstance(node.left, AnswerRef) and isinstance(node.right, Literal):
                found.append((node.left.name, node.op, node.right.value, node.col))
            elif isinstance(node.right, AnswerRef) and isinstance(node.left, Literal):
                found.append((node.right.name, node.op, node.left.value, node.col))
        return found

    def __str__(self) -> str:
        return self.source


def parse(text: str) -> Expr:
    """Parse a condition, raising :class:`ExprError` with a 1-based column on failure."""
    if not isinstance(text, str):
        raise ExprError("a condition must be text", 1)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"condition is too long ({len(text)} characters, max {MAX_LENGTH})", 1)
    return Expr(text, _Parser(text).parse())
