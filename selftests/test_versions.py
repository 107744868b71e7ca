"""Versions the index may publish, and Requires-Python values, read as PEP 440 reads them.

A fake index on 127.0.0.1 lists made-up releases next to the manifest's newest: a release
candidate, a final release, a post release and a dev release. Only their names matter here.
releases.py orders versions without packaging; packaging is the reference it must agree with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fake_index import UPLOADED, serve
from packaging.version import InvalidVersion, Version

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


def test_releases_orders_dev_pre_final_and_post_releases() -> None:
    ordered = ["0.99.0.dev1", "0.99.0rc1", "0.99.0", "0.99.0.post1"]

    assert releases.numbered(["main", *reversed(ordered)]) == ordered


# Every spelling of each part PEP 440 normalises, next to the manifest's releases.
SPELLINGS = [
    *("1", "1.0", "1.0.0", "1.0.1", "1.1", "1.10", "2!0.1", "v1.0", " 1.0\n", "0", "0.0.1"),
    *("1.0a", "1.0a1", "1.0.alpha.2", "1.0-b1", "1.0beta2", "1.0c1", "1.0rc1", "1.0-RC.1"),
    *("1.0pre2", "1.0preview3", "1.0_rc_4", "1.0.dev0", "1.0.dev1", "1.0dev", "1.0-dev2"),
    *("1.0a1.dev1", "1.0a1.post1", "1.0a1.post1.dev1", "1.0.post", "1.0.post1", "1.0-1"),
    *("1.0post2", "1.0.rev3", "1.0-r4", "1.0.post1.dev1", "1.0.0.post1", "1!1.0.dev1"),
]


@pytest.mark.parametrize(
    "versions",
    [[v for v in releases.read_manifest() if v != "main"], SPELLINGS],
    ids=["manifest", "spellings"],
)
def test_releases_orders_versions_as_packaging_does(versions: list[str]) -> None:
    keys = {version: releases.version_key(version) for version in versions}

    for a in versions:
        for b in versions:
            ours = (keys[a] < keys[b], keys[a] == keys[b])
            assert ours == (Version(a) < Version(b), Version(a) == Version(b)), (a, b)


@pytest.mark.parametrize(
    "version", ["main", "1.0+local", "1.0.x", "", "1..0", "1.0-", "1.0rc1rc2", "one"]
)
def test_releases_refuses_what_is_not_a_public_pep_440_version(version: str) -> None:
    refusal = re.escape(f"{version!r} is not a PEP 440 public version")
    with pytest.raises(releases.PatchError, match=refusal):
        releases.version_key(version)
    if "+" not in version:
        with pytest.raises(InvalidVersion):
            Version(version)
