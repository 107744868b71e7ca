"""A cached release file that no longer has its sha256 is fetched again, and the run is green.

A full disk or an interrupted copy can leave `build/cache/files/<wheel>` truncated; uv then fails
with "unable to locate the end of central directory record" on every run. The matrix records each
file's sha256 when it downloads it and fetches the file again when the cached copy differs. The
index here is a fake one on 127.0.0.1 serving the newest release's real files; uv runs offline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_index import run_matrix, serve

import releases
from matrix import index
from matrix.paths import CACHE
from matrix.shell import MatrixError

NEWEST = releases.newest_release()
WHEEL = f"openai_agents-{NEWEST}-py3-none-any.whl"
SDIST = f"openai_agents-{NEWEST}.tar.gz"
PINS = f"{NEWEST}-py{sys.version_info[0]}.{sys.version_info[1]}.txt"
HEALED = f"{WHEEL}: the cached copy does not match its recorded sha256; fetching it again"


@pytest.fixture(scope="module")
def fake_index() -> Iterator[str]:
    files = {name: CACHE / "files" / name for name in (WHEEL, SDIST)}
    if not all(path.exists() for path in files.values()):
        pytest.fail(f"{NEWEST} is not in {CACHE}: run `nox -s release(sdk='{NEWEST}')` first")
    with serve({name: path.read_bytes() for name, path in files.items()}) as url:
        yield url


def test_a_truncated_cached_file_is_fetched_again(
    fake_index: str, tmp_path: Path, read_index: Callable[..., None], capsys: pytest.CaptureFixture
) -> None:
    read_index(fake_index, tmp_path)
    original = index.download(WHEEL).read_bytes()
    cached = tmp_path / "files" / WHEEL
    cached.write_bytes(original[: len(original) // 2])

    again = index.download(WHEEL)

    assert again == cached
    assert again.read_bytes() == original
    assert HEALED in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "digests", "message"),
    [
        (WHEEL, {"sha256": "0" * 64}, f"{WHEEL}: sha256 digest of .* instead of expected '0+'"),
        (WHEEL, {"md5": "0" * 32}, f"{WHEEL}: the index gives no sha256 to check it against"),
        ("openai_agents-0.0.1.tar.gz", None, "openai_agents-0.0.1.tar.gz is not on the package"),
    ],
    ids=["sha256-mismatch", "no-sha256", "not-on-the-index"],
)
def test_a_file_the_index_does_not_vouch_for_is_refused_and_not_cached(
    fake_index: str,
    tmp_path: Path,
    read_index: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    digests: dict[str, str] | None,
    message: str,
) -> None:
    read_index(fake_index, tmp_path)
    if digests is not None:
        monkeypatch.setattr(index.index_files()[name], "digests", digests)

    with pytest.raises(MatrixError, match=message):
        index.download(name)

    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_the_run_after_a_truncated_wheel_is_green(fake_index: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "files").mkdir(parents=True)
    (cache / "pins").mkdir()
    for name in (WHEEL, SDIST):
        shutil.copy2(CACHE / "files" / name, cache / "files" / name)
        recorded = hashlib.sha256((CACHE / "files" / name).read_bytes()).hexdigest()
        (cache / "files" / f"{name}.sha256").write_text(recorded + "\n")
    shutil.copy2(CACHE / "pins" / PINS, cache / "pins" / PINS)
    wheel = cache / "files" / WHEEL
    wheel.write_bytes(wheel.read_bytes()[:1000])

    report = tmp_path / "report"
    result = run_matrix(fake_index, cache, "check", NEWEST, "--report-dir", str(report))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(HEALED) == 1
    [row] = json.loads((report / "matrix-report.json").read_text())["rows"]
    assert (row["release"], row["ok"]) == (NEWEST, True)
