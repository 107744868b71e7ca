"""A cached release file that no longer has its sha256 is fetched again, and the run is green.

A full disk or an interrupted copy can leave `build/cache/files/<wheel>` truncated; uv then fails
with "unable to locate the end of central directory record" on every run. The matrix records each
file's sha256 when it downloads it and fetches the file again when the cached copy differs. The
index here is a fake one on 127.0.0.1 serving the newest release's real files; uv runs offline.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_index import serve

import releases
from matrix import index
from matrix.paths import CACHE, ROOT

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
    fake_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name in index.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", fake_index)
    monkeypatch.setattr(index, "CACHE", tmp_path)
    monkeypatch.setattr(index, "_index", {})
    index.index_url.cache_clear()
    try:
        original = index.download(WHEEL).read_bytes()
        cached = tmp_path / "files" / WHEEL
        cached.write_bytes(original[: len(original) // 2])

        again = index.download(WHEEL)
    finally:
        index.index_url.cache_clear()

    assert again == cached
    assert again.read_bytes() == original
    assert HEALED in capsys.readouterr().out


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
    env = {k: v for k, v in os.environ.items() if k not in index.SETTINGS}
    env.update(HOTFIX_CACHE=str(cache), PIP_INDEX_URL=fake_index, UV_OFFLINE="1")
    command = [sys.executable, "-m", "matrix", NEWEST, "--report-dir", str(tmp_path / "report")]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(HEALED) == 1
    assert "1 ok, 0 failed" in result.stdout
