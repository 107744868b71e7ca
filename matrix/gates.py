"""Upstream's gates with the sdist's own configuration and pins, on the patched tree (every patch
of the release, as `hotfix.py apply` leaves it): ruff, mypy, pyright (its pyrightconfig.json), and
the optional-truthiness check where the tree has it. On the newest release, tests/ too."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from releases import PATCHES, newest_release, read_patch, release_for

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
            # The files as `hotfix.py apply` leaves them: the fix, its companion where the release
            # has one, and the next-turn patches.
            patches = [read_patch(PATCHES / name) for name in release_for(release).patch_files]
            modules = sorted({"src/" + patch.module for patch in patches})
            requirements = pins(release, source, python)
            export = ["uv", "export", "--frozen", "--no-hashes", "--quiet", "--only-group", "dev"]
            dev = run([*export, "--no-emit-project"], cwd=tree).stdout.splitlines()
            tools = [line for line in dev if line.split("==")[0] in GATE_TOOLS]
            interpreter = make_env(work / "env", requirements, source.package, python)
            run(["uv", "pip", "install", "--quiet", "--python", interpreter, *tools])
            bin_dir = interpreter.parent
            # As upstream's Makefile: mypy on the source. Errors the release's own files have in
            # this environment (optional extras it does not install) do not count.
            mypy = [bin_dir / "mypy", "--follow-imports=silent", *modules]
            before = mypy_errors(run(mypy, cwd=tree, check=False).stdout)
            run(["git", "apply", *(patch.path for patch in patches)], cwd=tree)
            # tests/ holds upstream's test files as the series changes them for the newest
            # release, so they are checked on the newest tree only.
            ours_files = sorted(TESTS.rglob("*.py")) if release == newest_release() else []
            for ours in ours_files:
                target = tree / ours.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ours, target)
            files = modules + [str(p.relative_to(ROOT)) for p in ours_files]
            checks = [
                [bin_dir / "ruff", "check", *files],
                [bin_dir / "ruff", "format", "--check", *files],
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
            new = mypy_errors(run(mypy, cwd=tree, check=False).stdout) - before
            shared = f"; {len(before)} the release's own files have here too" if before else ""
            say(f"{release}: mypy on {', '.join(modules)}: {'FAILED' if new else 'ok'}{shared}")
            if new:
                failures += 1
                say("\n".join(f"{path}: {message}" for path, message in sorted(new)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


def mypy_errors(output: str) -> set[tuple[str, str]]:
    """mypy's errors as (file, message), without line numbers, which a patch shifts."""
    found = re.findall(r"^(\S+?):\d+: error: (.*)$", output, re.MULTILINE)
    return {(path, message) for path, message in found}
