"""Releases on the index that patches/manifest does not list yet, from a fake local index.

The fake index holds the newest release and two made-up ones built from it: 0.99.0 with its
file unchanged (a revision a patch fits) and 0.99.1 with one line added to it (a new revision).
No network: the index is on 127.0.0.1 and uv runs offline, from the cache the matrix filled.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_index import rewrap_sdist, rewrap_wheel, run_matrix, serve

import releases
from matrix import check, index, manifest
from matrix.paths import CACHE
from matrix.shell import MatrixError

NEWEST = releases.newest_release()
PATCH = releases.read_manifest()[NEWEST].fix_file
FAILING = manifest.failing_without_patches()[NEWEST]
EXPECTED = sorted(FAILING)
ADDED = b"\n# A line added upstream after the newest patch was made.\n"


def unchanged(data: bytes) -> bytes:
    return data


def pins_file(release: str) -> str:
    """The pins file of a release for this interpreter, as matrix/envs.py names it."""
    return f"{release}-py{sys.version_info[0]}.{sys.version_info[1]}.txt"


def changed(data: bytes) -> bytes:
    return data + ADDED


@pytest.fixture(scope="module")
def fake_index() -> Iterator[str]:
    wheel = CACHE / "files" / f"openai_agents-{NEWEST}-py3-none-any.whl"
    sdist = CACHE / "files" / f"openai_agents-{NEWEST}.tar.gz"
    if not (wheel.exists() and sdist.exists() and (CACHE / "pins" / pins_file(NEWEST)).exists()):
        pytest.fail(f"{NEWEST} is not in {CACHE}: run `nox -s release(sdk='{NEWEST}')` first")
    # The newest release itself: the base that `git apply --3way` merges from.
    files = {wheel.name: wheel.read_bytes(), sdist.name: sdist.read_bytes()}
    for version, change in (("0.99.0", unchanged), ("0.99.1", changed)):
        files[f"openai_agents-{version}-py3-none-any.whl"] = rewrap_wheel(
            wheel, NEWEST, version, change
        )
        files[f"openai_agents-{version}.tar.gz"] = rewrap_sdist(sdist, NEWEST, version, change)
    with serve(files) as url:
        yield url


@pytest.fixture(scope="module")
def run(fake_index: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`python -m matrix check 0.99.0 0.99.1` against the fake index, with a cache of its own."""
    work = tmp_path_factory.mktemp("matrix")
    cache, report = work / "cache", work / "report"
    (cache / "pins").mkdir(parents=True)
    # Resolving pins needs the real index; the made-up release takes its original's.
    shutil.copy2(CACHE / "pins" / pins_file(NEWEST), cache / "pins" / pins_file("0.99.0"))
    result = run_matrix(fake_index, cache, "check", "0.99.0", "0.99.1", "--report-dir", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    return report, result.stdout


def rows(report: Path) -> dict[str, dict]:
    payload = json.loads((report / "matrix-report.json").read_text())
    return {row["release"]: row for row in payload["rows"]}


def test_new_releases_on_the_index_are_found_and_selected(
    fake_index: str, read_index: Callable[..., None]
) -> None:
    read_index(fake_index)

    assert manifest.new_releases() == ["0.99.0", "0.99.1"]
    full = check.select_releases([], full=True)

    assert full[-3:] == ["0.99.0", "0.99.1", "main"]
    assert set(releases.read_manifest()) <= set(full)


def test_a_known_revision_is_checked_with_its_patch_and_marked_not_in_the_manifest(
    run: tuple[Path, str],
) -> None:
    report, stdout = run
    row = rows(report)["0.99.0"]

    assert row["ok"], row["problems"]
    assert not row["in_manifest"]
    assert row["fix_file"] == PATCH
    assert sorted(row["unpatched"]) == EXPECTED
    assert row["patched"].endswith("passed")
    assert row["apply_check"] == "ok"
    assert "| 0.99.0 (not yet in the manifest) |" in (report / "matrix-report.md").read_text()
    assert "not yet in the manifest: `nox -s manifest -- --update` writes its row" in stdout


def test_an_unknown_revision_fails_naming_its_blob_and_the_three_way_result(
    run: tuple[Path, str],
) -> None:
    report, _ = run
    row = rows(report)["0.99.1"]
    with tarfile.open(CACHE / "files" / f"openai_agents-{NEWEST}.tar.gz") as sdist:
        member = sdist.extractfile(f"openai_agents-{NEWEST}/src/{releases.MODULE}")
        assert member is not None
        blob = releases.git_blob(member.read() + ADDED)

    assert not row["ok"]
    assert not row["in_manifest"]
    [problem] = row["problems"]
    assert f"is a new revision, blob {blob}, which no patch in patches/ fits" in problem
    assert f"`git apply --3way {PATCH}` merges cleanly: a rebased patch can be proposed" in problem
    proposal = report / f"proposed-oai_conversation-{blob[:8]}.patch"
    assert str(proposal) in problem
    assert f"index {blob}.." in proposal.read_text()


def test_manifest_update_writes_the_measured_row_of_the_release_that_passed(
    run: tuple[Path, str], tmp_path: Path
) -> None:
    report, _ = run
    copy = tmp_path / "manifest"
    shutil.copy2(releases.MANIFEST, copy)

    assert manifest.update(write=True, report_dir=report, manifest_path=copy) == 1

    updated = releases.read_manifest(copy)
    assert updated["0.99.0"].fix_file == PATCH
    assert updated["0.99.0"].next_turn_files == ()
    assert manifest.failing_without_patches(copy)["0.99.0"] == FAILING
    assert "0.99.1" not in updated
    assert list(updated)[-2:] == ["0.99.0", "main"]
    rows = json.loads((report / "matrix-report.json").read_text())["rows"]
    measured = next(row for row in rows if row["release"] == "0.99.0")["unpatched"]
    row = manifest.manifest_line("0.99.0", PATCH, measured)
    assert copy.read_text().replace(row + "\n", "") == releases.MANIFEST.read_text()


def test_an_html_index_is_read_like_a_json_one(
    tmp_path: Path, read_index: Callable[..., None]
) -> None:
    # A static mirror serves PEP 503 pages: relative links with the sha256 in their fragment.
    wheel, sdist, pulled = (
        "openai_agents-0.99.0-py3-none-any.whl",
        "openai_agents-0.99.0.tar.gz",
        "openai_agents-0.99.2-py3-none-any.whl",
    )
    files = {wheel: b"a wheel", sdist: b"an sdist", pulled: b"a yanked wheel"}
    with serve(files, html_only=True, yanked=frozenset({pulled})) as url:
        read_index(url, tmp_path)
        versions = index.index_versions()
        listed = index.index_files()[sdist]
        fetched = index.download(sdist)
        uploaded = index.upload_time(sdist)

    assert versions == ["0.99.0"]
    assert listed.url == url.replace("/simple/", f"/files/{sdist}")
    assert listed.digests == {"sha256": hashlib.sha256(b"an sdist").hexdigest()}
    assert fetched.read_bytes() == b"an sdist"
    assert uploaded is None


def test_an_index_in_a_directory_is_refused_with_a_clear_message(
    tmp_path: Path, read_index: Callable[..., None]
) -> None:
    read_index((tmp_path / "simple").as_uri())

    with pytest.raises(MatrixError, match="only HTTP.S. is read; `python3 -m http.server`"):
        index.index_versions()
