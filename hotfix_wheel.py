"""`hotfix.py wheel`: the release's own wheel with every patch on, for a team's lockfile.

pip fetches the release's wheel and checks the index's sha256; `wheel` unpacks it, the patches go
on as `hotfix.py apply` puts them, `wheel` repacks it as `<release>+<wheel_label()>` and rewrites
RECORD; .dist-info/hotfix.json lists the patches, for `hotfix.py status`. The same release and
patches give the same bytes: SOURCE_DATE_EPOCH is the release wheel's newest file time.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hotfix import WHEEL_RECORD, Fix, HotfixError, apply
from releases import PATCHES, write_atomically


def wheel_label(fix: Fix) -> str:
    """The local version label of a built wheel: what it carries, then the start of a digest of
    its patches, so that a wheel built from changed patches has a version of its own."""
    parts = ["tracker"] + ["identity"] * bool(fix.companion) + ["nextturn"] * bool(fix.next_turn)
    patches = b"".join((PATCHES / name).read_bytes() for name in fix.names())
    return "hotfix." + ".".join([*parts, hashlib.sha256(patches).hexdigest()[:8]])


def build_wheel(fix: Fix, out: Path) -> str:
    """Write the release's wheel with every patch on, as `<release>+<label>`, to `out`; the line
    `hotfix.py wheel` prints: the wheel's path and sha256."""
    if out.exists() and not out.is_dir():
        raise HotfixError(f"--out {out} is not a directory; nothing built")
    if importlib.util.find_spec("wheel") is None:
        install = f"{sys.executable} -m pip install wheel"
        raise HotfixError(f"`hotfix.py wheel` needs the wheel package ({install}); nothing built")
    with tempfile.TemporaryDirectory() as scratch:
        fetched, unpacked, packed = (Path(scratch) / name for name in ("fetch", "unpack", "pack"))
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        download += ["--only-binary", ":all:", "--dest", fetched, f"openai-agents=={fix.version}"]
        run_checked(download)
        wheels = sorted(fetched.glob(f"openai_agents-{fix.version}-*.whl"))
        if len(wheels) != 1:
            raise HotfixError(f"pip fetched {len(wheels)} wheels of {fix.version}; nothing built")
        with zipfile.ZipFile(wheels[0]) as original:
            newest = max(info.date_time for info in original.infolist())
        epoch = int(datetime.datetime(*newest, tzinfo=datetime.timezone.utc).timestamp())
        wheel_cli = [sys.executable, "-m", "wheel"]
        run_checked([*wheel_cli, "unpack", "--dest", unpacked, wheels[0]])
        root = unpacked / f"openai_agents-{fix.version}"
        apply(fix, root)
        label = wheel_label(fix)
        record = {
            "release": fix.version,
            "version": f"{fix.version}+{label}",
            "patches": fix.names(),
            "next_turn_fix": bool(fix.next_turn),
        }
        info = root / f"openai_agents-{fix.version}.dist-info" / WHEEL_RECORD
        info.write_text(json.dumps(record, indent=2) + "\n")
        packed.mkdir()
        pack = [*wheel_cli, "pack", "--dest-dir", packed, "--local-version", label, root]
        run_checked(pack, env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)})
        (built,) = packed.glob("*.whl")
        data = built.read_bytes()
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / built.name, data)
    return f"{out / built.name} sha256={hashlib.sha256(data).hexdigest()}"


def run_checked(command: list[str | Path], env: dict[str, str] | None = None) -> None:
    args = list(map(str, command))
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise HotfixError(f"{' '.join(args[1:4])} failed: {' '.join(tail)}; nothing built")
