"""Versions the index may publish, and Requires-Python values, read as PEP 440 reads them.

A fake index on 127.0.0.1 lists made-up releases next to the manifest's newest: a release
candidate, a final release, a post release and a dev release. Only their names matter here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_index import serve

import releases
from matrix import index, runner
from matrix.pythons import supports

NEWEST = releases.newest_release()
MADE_UP = ("0.99.0rc1", "0.99.0", "0.99.0.post1", "0.99.1.dev1")


@pytest.fixture
def fake_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    files = {
        f"openai_agents-{version}-py3-none-any.whl": b"not a wheel"
        for version in (NEWEST, *MADE_UP)
    }
    with serve(files) as url:
        for name in index.SETTINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("PIP_INDEX_URL", url)
        monkeypatch.setattr(index, "_index", {})
        index.index_url.cache_clear()
        try:
            yield url
        finally:
            index.index_url.cache_clear()


def test_pre_post_and_dev_releases_are_ordered_and_prereleases_left_out(fake_index: str) -> None:
    assert index.index_versions() == [NEWEST, "0.99.0", "0.99.0.post1"]
    assert index.index_versions(prereleases=True) == [NEWEST, *MADE_UP]


def test_the_range_takes_post_releases_and_prereleases_only_when_asked(fake_index: str) -> None:
    full = runner.select_releases([], full=True)
    with_pre = runner.select_releases([], full=True, prereleases=True)

    assert full[-3:] == ["0.99.0", "0.99.0.post1", "main"]
    assert "0.99.0rc1" not in full
    assert with_pre[-5:] == [*MADE_UP, "main"]
    assert runner.select_releases(["0.99.0rc1"], full=False) == ["0.99.0rc1"]


@pytest.mark.parametrize(
    ("specifier", "python", "expected"),
    [
        (">=3.9,!=3.10.*", "3.11", True),
        (">=3.9,!=3.10.*", "3.10", False),
        ("~=3.10", "3.11", True),
        ("~=3.10", "3.9", False),
        (">=3.10,<3.14", "3.14", False),
        ("", "3.12", True),
    ],
)
def test_any_valid_requires_python_is_evaluated(
    specifier: str, python: str, expected: bool
) -> None:
    assert supports(specifier, python) is expected
