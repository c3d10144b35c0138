"""Just enough C++ reading for hls4ml projects: defines, typedefs, config structs, top functions and their
calls.

hls4ml writes its projects from templates, so a handful of regular forms cover every version from 0.6 to 1.3:
``typedef T name;`` (possibly inside ``namespace``), ``#define N_INPUT_1_1 16``, ``struct configN : base {
static const unsigned n_in = 16; typedef x_t accum_t; ... };`` plus out-of-class definitions ``const T
configN::slope = 0.2;``, and a top function whose body declares buffers and calls ``nnet::layer<T...>(args);
// name``. This module turns that text into plain data; :mod:`._hls4ml` gives it meaning. It is not a C++
parser and does not pretend to be one: what it cannot read is reported by the importer, never guessed.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field

__all__ = [
    "strip_block_comments",
    "split_top_level",
    "parse_defines",
    "parse_typedefs",
    "parse_structs",
    "parse_functions",
    "parse_body",
    "Struct",
    "Function",
    "Call",
    "Decl",
    "Alias",
    "Other",
    "evaluate",
]

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")


def strip_block_comments(text: str) -> str:
    """Remove ``/* */`` comments, keeping line numbers; ``//`` ones stay (hls4ml puts layer names there)."""
    return _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def strip_all_comments(text: str) -> str:
    return _LINE_COMMENT.sub("", strip_block_comments(text))


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside ``<>``, ``()``, ``[]`` and ``{}`` (template arguments nest)."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    tail = "".join(cur).strip()
    if tail or parts:
        parts.append(tail)
    return parts


_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]+?)[ \t]*$", re.M)


def parse_defines(text: str) -> dict[str, str]:
    """Object-like ``#define NAME value`` macros (function-like macros and include guards are skipped)."""
    return {m.group(1): m.group(2) for m in _DEFINE.finditer(strip_all_comments(text))}


_TYPEDEF = re.compile(r"\btypedef\s+([^;{}]+?)\s+([A-Za-z_]\w*)\s*;")
_USING_TYPE = re.compile(r"\busing\s+([A-Za-z_]\w*)\s*=\s*([^;{}]+?)\s*;")


def _normalise_type(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"\s*([<>,])\s*", r"\1", text)
    return text.replace("typename ", "")


def parse_typedefs(text: str) -> dict[str, str]:
    """``typedef T name;`` and ``using name = T;`` at any scope outside config structs (struct-local ones are
    kept by :func:`parse_structs`). Values are whitespace-normalised type text."""
    clean = _STRUCT.sub("", strip_all_comments(text))
    out = {m.group(2): _normalise_type(m.group(1)) for m in _TYPEDEF.finditer(clean)}
    for m in _USING_TYPE.finditer(clean):
        if "template" not in clean[max(0, m.start() - 60) : m.start()]:
            out.setdefault(m.group(1), _normalise_type(m.group(2)))
    return out


@dataclass
class Struct:
    """A config struct: its base, scalar members (value text), member typedefs and template aliases."""

    name: str
    base: str
    values: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


_STRUCT = re.compile(
    r"\bstruct\s+([A-Za-z_]\w*)\s*(?::\s*(?:public\s+)?([\w:]+)\s*)?\{(.*?)\n\s*\}\s*;", re.S
)
_MEMBER_VALUE = re.compile(
    r"static\s+(?:const|constexpr)\s+(?:const\s+)?([\w:<>, ]+?)\s+([A-Za-z_]\w*)\s*"
    r"(?:\[[^\]]*\])?\s*(?:=\s*([^;]+))?;"
)
_TEMPLATE_ALIAS = re.compile(r"template\s*<[^;]*?>\s*using\s+([A-Za-z_]\w*)\s*=\s*([^;]+);", re.S)
_OUT_OF_CLASS = re.compile(
    r"(?:^|\n)\s*const\s+([\w:<>, ]+?)\s+([A-Za-z_]\w*)::([A-Za-z_]\w*)\s*(?:\[\s*\])?\s*=\s*([^;]+);"
)


def parse_structs(text: str) -> dict[str, Struct]:
    """Every ``struct Name : base { ... };`` with its members, plus out-of-class ``const T Name::m = v;``."""
    clean = strip_all_comments(text)
    structs: dict[str, Struct] = {}
    for m in _STRUCT.finditer(clean):
        name, base, body = m.group(1), (m.group(2) or ""), m.group(3)
        s = Struct(name, base)
        for a in _TEMPLATE_ALIAS.finditer(body):
            s.aliases[a.group(1)] = re.sub(r"\s+", " ", a.group(2).strip())
        body_wo_alias = _TEMPLATE_ALIAS.sub("", body)
        for v in _MEMBER_VALUE.finditer(body_wo_alias):
            s.values[v.group(2)] = (v.group(3) or "").strip()
            s.types.setdefault(f"__type_of__{v.group(2)}", _normalise_type(v.group(1)))
        for t in _TYPEDEF.finditer(body_wo_alias):
            s.types[t.group(2)] = _normalise_type(t.group(1))
        structs[name] = s
    for m in _OUT_OF_CLASS.finditer(clean):
        owner = structs.get(m.group(2))
        if owner is not None:
            owner.values[m.group(3)] = m.group(4).strip()
            owner.types.setdefault(f"__type_of__{m.group(3)}", _normalise_type(m.group(1)))
    return structs


@dataclass
class Function:
    """A function definition: its name, enclosing namespace (``a::b`` or ""), raw parameter list and body."""

    name: str
    namespace: str
    params: list[str]
    body: str
    file: str


_FUNC_HEAD = re.compile(
    r"(?:^|\n)[ \t]*(?:inline\s+|static\s+)*void\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{", re.S
)
_NAMESPACE_OPEN = re.compile(r"\bnamespace\s+([A-Za-z_]\w*)\s*\{")


def _matching_brace(text: str, open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _namespace_at(text: str, pos: int) -> str:
    stack: list[str] = []
    for m in _NAMESPACE_OPEN.finditer(text, 0, pos):
        end = _matching_brace(text, m.end() - 1)
        if end > pos:
            stack.append(m.group(1))
    return "::".join(stack)


def parse_functions(text: str, file: str) -> list[Function]:
    """Every ``void name(params) { body }`` in ``text`` (block comments removed, line comments kept)."""
    clean = strip_block_comments(text)
    no_line = _LINE_COMMENT.sub(lambda m: " " * len(m.group(0)), clean)  # same offsets, no braces in comments
    out = []
    for m in _FUNC_HEAD.finditer(no_line):
        brace = m.end() - 1
        end = _matching_brace(no_line, brace)
        params = [p for p in split_top_level(" ".join(m.group(2).split())) if p]
        out.append(
            Function(m.group(1), _namespace_at(no_line, m.start()), params, clean[brace + 1 : end], file)
        )
    return out


@dataclass
class Decl:
    """``T name[d0*d1*...];`` inside a function body or as a parameter: dims are the raw factor texts."""

    type: str
    name: str
    dims: list[str]


@dataclass
class Alias:
    """``auto& name = other;``: hls4ml's no-copy Flatten/Reshape."""

    name: str
    target: str


@dataclass
class Call:
    """``ns::func<targs>(args); // comment``."""

    func: str
    targs: list[str]
    args: list[str]
    comment: str
    line: str


@dataclass
class Other:
    """Any other statement (``loaded_weights = true;``, ``if (...) {``, hand-written glue ...)."""

    text: str


_DECL = re.compile(
    r"^\s*(?:const\s+)?([A-Za-z_][\w:]*(?:<[^;]*?>)?)\s+&?\s*([A-Za-z_]\w*)\s*\[([^\]]*)\]\s*;"
)
_PARAM = re.compile(
    r"^\s*(?:const\s+)?([A-Za-z_][\w:]*(?:<.*>)?)\s*&?\s*([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$"
)
_ALIAS = re.compile(r"^\s*auto\s*&\s*([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*;")
_CALL = re.compile(r"^\s*([A-Za-z_][\w:]*)\s*(<.*?>)?\s*\((.*)\)\s*;\s*(?://\s*(.*))?$")


def parse_param(text: str) -> Decl | None:
    """A top-function parameter ``T name[dims]``; ``None`` for scalars and references (old size outputs)."""
    m = _PARAM.match(text)
    if not m or not m.group(3):
        return None
    dims = re.findall(r"\[([^\]]*)\]", m.group(3))
    factors = [f for d in dims for f in split_top_level(d, "*")]
    return Decl(_normalise_type(m.group(1)), m.group(2), factors)


def parse_body(body: str) -> list[Decl | Alias | Call | Other]:
    """Statements of a top function body: declarations, aliases, calls and the rest, in order.

    Preprocessor lines and pragmas are skipped; statements are joined across lines (hls4ml wraps long calls).
    """
    statements: list[str] = []
    buf = ""
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("//") and not buf:
            continue
        code, _, comment = line.partition("//")
        buf = f"{buf} {code.strip()}".strip() if buf else code.strip()
        if buf.endswith(";") or buf.endswith("{") or buf.endswith("}"):
            statements.append(buf + (f" // {comment.strip()}" if comment.strip() else ""))
            buf = ""
    if buf:
        statements.append(buf)
    out: list[Decl | Alias | Call | Other] = []
    for st in statements:
        if m := _ALIAS.match(st):
            out.append(Alias(m.group(1), m.group(2)))
        elif m := _DECL.match(st):
            out.append(Decl(_normalise_type(m.group(1)), m.group(2), split_top_level(m.group(3), "*")))
        elif m := _CALL.match(st):
            targs = split_top_level(m.group(2)[1:-1]) if m.group(2) else []
            args = split_top_level(m.group(3))
            out.append(
                Call(m.group(1), [_normalise_type(t) for t in targs], args, (m.group(4) or "").strip(), st)
            )
        else:
            out.append(Other(st))
    return out


# -- constant expressions
# ------------------------------------------------------------------------------------------
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.floordiv,  # C integer division of non-negative sizes
    ast.Mod: operator.mod,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}


def evaluate(text: str, names: dict[str, str], *, depth: int = 0) -> int | float | str:
    """Evaluate an integer/float constant expression; names resolve through ``names`` (defines, members).

    Returns the text unchanged when it is not arithmetic (``nnet::latency``, ``true``), so callers decide.
    """
    t = (
        text.strip().rstrip("fFuUlL")
        if re.fullmatch(r"[-+]?[\d.]+(?:[eE][-+]?\d+)?[fFuUlL]*", text.strip())
        else text
    )
    t = t.strip()
    if depth > 20:
        return t
    t = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", t)
    t = re.sub(r"\bstatic_cast<[^>]*>\s*", "", t)
    try:
        tree = ast.parse(t.replace("::", "__SCOPE__"), mode="eval")
    except SyntaxError:
        return t

    def ev(node: ast.AST) -> int | float:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return node.value
        if isinstance(node, ast.Name):
            key = node.id.replace("__SCOPE__", "::")
            if key in names:
                v = evaluate(names[key], names, depth=depth + 1)
                if isinstance(v, (int, float)):
                    return v
            raise ValueError(key)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and (isinstance(a, float) or isinstance(b, float)):
                return a / b
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "DIV_ROUNDUP":
            a, b = (ev(x) for x in node.args)
            return -(-int(a) // int(b))
        raise ValueError(ast.dump(node))

    try:
        return ev(tree.body)
    except (ValueError, ZeroDivisionError, TypeError):
        return text.strip()
