"""Test ids and outcomes from pytest's JUnit XML, for the matrix's runs and upstream's suite."""

from __future__ import annotations

from xml.etree.ElementTree import Element


def node_id(case: Element) -> str:
    """A testcase's pytest node id, `path.py::Class::name`.

    The xunit1 family gives the file, and the classname is then its module followed by the
    classes. Without the file (xunit2, pytest's default), the classname's trailing parts that
    start with a capital letter are taken for classes and the rest for the module's path.
    """
    classname = (case.get("classname") or "").split(".")
    path = case.get("file") or ""
    if path:
        module = path.removesuffix(".py").split("/")
        classes = classname[len(module) :] if classname[: len(module)] == module else classname
    else:
        classes = []
        while classname and classname[-1][:1].isupper():
            classes.insert(0, classname.pop())
        path = "/".join(classname) + ".py" if classname else ""
    return "::".join(part for part in (path, *classes, case.get("name") or "") if part)


def outcome(case: Element) -> str:
    """failed (a failure or an error), skipped, or passed."""
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    return "skipped" if case.find("skipped") is not None else "passed"
