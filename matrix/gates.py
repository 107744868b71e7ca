"""Upstream's gates with the sdist's own configuration and pins, on the patched tree (the fix and
its companion, as `hotfix.py apply` leaves it): ruff, mypy,
pyright (its pyrightconfig.json), and the optional-truthiness check where the tree has it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from releases import MODULE, PATCHES, newest_release, release_for

from .envs import make_env, pins
from .paths import CACHE, ROOT, TESTS
from .shell import run, say
from .trees import release_source

GATE_TOOLS = ("ruff", "mypy", "pyright")
TRUTHINESS = ".github/scripts/check_optional_truthiness.py"


def gates(releases: list[str], python: str) -> int:
    """Upstream's gates, with the sdist's own configuration and pins, on the patched tree."""
    failures = 0
    for release in releases:
        work = Path(tempfile.mkdtemp(prefix=f"gates-{release}-", dir=CACHE))
        try:
            source = release_source(release, work, None, whole=True)
            assert not isinstance(source, str)
            tree = source.tree
            # The file as `hotfix.py apply` leaves it: the fix, then its companion where the
            # release has one.
            chosen = release_for(release)
            patches = [chosen.patch, *([chosen.companion] if chosen.companion else [])]
            run(["git", "apply", *(PATCHES / name for name in patches)], cwd=tree)
            # Our upstream tests use the newest release's API (agents.testing), so they are
            # checked on the newest tree only.
            ours_files = sorted(TESTS.rglob("*.py")) if release == newest_release() else []
            for ours in ours_files:
                target = tree / ours.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ours, target)
            requirements = pins(release, source, python)
            export = ["uv", "export", "--frozen", "--no-hashes", "--quiet", "--only-group", "dev"]
            dev = run([*export, "--no-emit-project"], cwd=tree).stdout.splitlines()
            tools = [line for line in dev if line.split("==")[0] in GATE_TOOLS]
            interpreter = make_env(work / "env", requirements, source.package, python)
            run(["uv", "pip", "install", "--quiet", "--python", interpreter, *tools])
            files = ["src/" + MODULE] + [str(p.relative_to(ROOT)) for p in ours_files]
            bin_dir = interpreter.parent
            checks = [
                [bin_dir / "ruff", "check", *files],
                [bin_dir / "ruff", "format", "--check", *files],
                [bin_dir / "mypy", "--follow-imports=silent", *files],
            ]
            if (tree / "pyrightconfig.json").is_file() and (bin_dir / "pyright").exists():
                checks.append(
                    [
                        bin_dir / "pyright",
                        "--pythonpath",
                        interpreter,
                        "--project",
                        "pyrightconfig.json",
                        *files,
                    ]
                )
            else:
                say(f"{release}: pyright: not run (no pyrightconfig.json or pin in this sdist)")
            if (tree / TRUTHINESS).is_file():
                checks.append([interpreter, TRUTHINESS, "src/agents"])
            else:
                say(f"{release}: {TRUTHINESS}: not run (the sdist does not carry .github/)")
            for gate in checks:
                result = run(gate, cwd=tree, check=False)
                name = " ".join(str(part) for part in gate[:2]).replace(str(bin_dir) + "/", "")
                verdict = "ok" if result.returncode == 0 else "FAILED"
                say(f"{release} ({', '.join(tools)}): {name}: {verdict}")
                if result.returncode:
                    failures += 1
                    say((result.stdout + result.stderr).strip())
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0
