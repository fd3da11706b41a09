"""What the student has written so far, read from the notebook's namespace.

A check looks its functions up by name in the namespace of the cell that
called it (as otter-grader's ``grader.check("q1")`` does), or takes them as
arguments.  Before anything runs we look for TODOs left in the code the step
will exercise: the student notebooks replace each solution with
``raise NotImplementedError("TODO: ...")``, and a function that still holds
one (or calls one that does) is "not yet" at once, naming the TODO, instead
of being driven for seconds by scripted users to fail obscurely.

Pure: code objects and ``inspect`` only.
"""
from __future__ import annotations

import inspect
import types
from typing import Dict, Iterator, List, Optional, Set, Tuple

TODO_PREFIX = "TODO"


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _functions_of(value) -> List[types.FunctionType]:
    if isinstance(value, types.FunctionType):
        return [value]
    if isinstance(value, types.MethodType):
        return [value.__func__]
    if isinstance(value, type):
        found = []
        for member in vars(value).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                found.append(member)
        return found
    return []


def reachable(roots, namespace: Dict[str, object]) -> List[types.FunctionType]:
    """The student's functions (and methods of their classes) that ``roots`` may call.

    Followed through global names only: a function defined in the same
    namespace, a class defined there, an instance of such a class.
    """
    seen: Set[int] = set()
    order: List[types.FunctionType] = []
    # Depth first, in the order given: the first TODO reported is the first one the student meets.
    stack = [f for root in reversed(list(roots)) for f in reversed(_functions_of(root))]
    while stack:
        function = stack.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        order.append(function)
        globals_ = function.__globals__
        called = []
        for code in _code_objects(function.__code__):
            for name in code.co_names:
                value = globals_.get(name)
                if value is None or not _defined_here(value, globals_, namespace):
                    continue
                owner = type(value) if _is_instance_of_local_class(value, namespace) else value
                called += _functions_of(owner)
        stack.extend(reversed(called))
    return order


def _defined_here(value, globals_, namespace) -> bool:
    if isinstance(value, types.FunctionType):
        return value.__globals__ is globals_ or value.__globals__ is namespace
    if isinstance(value, type):
        module = getattr(value, "__module__", None)
        return module == namespace.get("__name__", "__main__") and module != "builtins"
    return _is_instance_of_local_class(value, namespace)


def _is_instance_of_local_class(value, namespace) -> bool:
    cls = type(value)
    return (not isinstance(value, (type, types.ModuleType, types.FunctionType))
            and getattr(cls, "__module__", None) == namespace.get("__name__", "__main__")
            and cls.__module__ not in ("builtins",))


def todos_in(function: types.FunctionType) -> List[str]:
    """The ``"TODO: ..."`` texts a function raises ``NotImplementedError`` with."""
    found = []
    for code in _code_objects(function.__code__):
        if "NotImplementedError" not in code.co_names:
            continue
        found += [c for c in code.co_consts if isinstance(c, str) and c.startswith(TODO_PREFIX)]
    return found


def first_todo(roots, namespace) -> Optional[Tuple[str, str]]:
    """(function name, TODO text) of the first TODO the roots can reach, or None."""
    for function in reachable(roots, namespace):
        texts = todos_in(function)
        if texts:
            return function.__qualname__, texts[0]
    return None


def source_of(roots, namespace) -> str:
    """The student's server as a module: the imports its code uses, then its code.

    The grader's static facts (does it import ``threading``?) are read from
    this text, so the notebook judges the way ``autograde`` does on a file.
    """
    functions = reachable(roots, namespace)
    imports, seen_classes, blocks = [], set(), []
    for function in functions:
        for code in _code_objects(function.__code__):
            for name in code.co_names:
                value = function.__globals__.get(name)
                line = _import_line(name, value)
                if line and line not in imports:
                    imports.append(line)
    for function in functions:
        owner = _owning_class(function, namespace)
        target = owner if owner is not None else function
        if id(target) in seen_classes:
            continue
        seen_classes.add(id(target))
        try:
            blocks.append(inspect.getsource(target))
        except (OSError, TypeError):
            blocks.append(f"# source of {function.__qualname__} not available\n")
    return "\n".join(imports) + "\n\n" + "\n\n".join(blocks)


def _import_line(name: str, value) -> Optional[str]:
    if isinstance(value, types.ModuleType):
        module = value.__name__
        return f"import {module}" if module == name else f"import {module} as {name}"
    module = getattr(value, "__module__", None)
    if module and module not in ("__main__", "builtins") and getattr(value, "__name__", None) == name \
            and not isinstance(value, (int, str, float, bytes, dict, list, tuple, set)):
        return f"from {module} import {name}"
    return None


def _owning_class(function, namespace):
    qualname = function.__qualname__
    if "." not in qualname:
        return None
    owner = namespace.get(qualname.split(".")[0])
    return owner if isinstance(owner, type) else None


def lookup(names, namespace: Dict[str, object], given: Dict[str, object]) -> Tuple[Dict[str, object], List[str]]:
    """Values for ``names`` (given ones first, then the namespace); and those missing."""
    found, missing = {}, []
    for name in names:
        if name in given:
            found[name] = given[name]
        elif name in namespace:
            found[name] = namespace[name]
        else:
            missing.append(name)
    return found, missing
