"""The checkout's root on sys.path, so the tests import hotfix.py, releases.py and the matrix, and
`read_index`, which points the matrix at a fake index for one test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# pytest puts this folder on sys.path for the test files in it, not the checkout's root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@pytest.fixture
def read_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Call it with an index URL (and a cache directory) to have matrix/index.py read that index
    from scratch, as if the user's pip were set to it; undone after the test."""
    # Imported here: the hotfix sessions load this file without the matrix's dependencies.
    from matrix import index

    def read(url: str, cache: Path | None = None) -> None:
        for name in index.SETTINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("PIP_INDEX_URL", url)
        monkeypatch.setattr(index, "_index", {})
        if cache is not None:
            monkeypatch.setattr(index, "CACHE", cache)
        index.index_url.cache_clear()

    yield read
    index.index_url.cache_clear()
