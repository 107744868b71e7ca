"""The checkout's root on sys.path, so the tests import hotfix.py, releases.py and the matrix."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
