"""Versions the index may publish, and Requires-Python values, read as PEP 440 reads them.

A fake index on 127.0.0.1 lists made-up releases next to the manifest's newest: a release
candidate, a final release, a post release and a dev release. Only their names matter here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fake_index import UPLOADED, serve

import releases
from matrix import check, index
from matrix.pythons import supports

NEWEST = releases.newest_release()
MADE_UP = ("0.99.0rc1", "0.99.0", "0.99.0.post1", "0.99.1.dev1")


@pytest.fixture
def fake_index(read_index: Callable[..., None]) -> Iterator[str]:
    files = {
        f"openai_agents-{version}-py3-none-any.whl": b"not a wheel"
        for version in (NEWEST, *MADE_UP)
    }
    with serve(files) as url:
        read_index(url)
        yield url


def test_pre_post_and_dev_releases_are_ordered_and_prereleases_left_out(fake_index: str) -> None:
    assert index.index_versions() == [NEWEST, "0.99.0", "0.99.0.post1"]
    assert index.index_versions(prereleases=True) == [NEWEST, *MADE_UP]


def test_a_json_index_gives_upload_times_as_uv_takes_them(fake_index: str) -> None:
    assert index.upload_time(f"openai_agents-{NEWEST}-py3-none-any.whl") == UPLOADED


def test_the_range_takes_post_releases_and_prereleases_only_when_asked(fake_index: str) -> None:
    full = check.select_releases([], full=True)
    with_pre = check.select_releases([], full=True, prereleases=True)

    assert full[-3:] == ["0.99.0", "0.99.0.post1", "main"]
    assert "0.99.0rc1" not in full
    assert with_pre[-5:] == [*MADE_UP, "main"]
    assert check.select_releases(["0.99.0rc1"], full=False) == ["0.99.0rc1"]


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
