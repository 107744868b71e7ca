"""Run the resume property on one release's environment, patched by default, and always revert.

    python3 property/run.py --python build/cache/envs/0.18.3/bin/python
    python3 property/run.py --python PY --unpatched          # must find and shrink a failure
    python3 property/run.py --python PY --examples 2000 --fresh   # a long, fresh exploration
    python3 property/run.py --python PY --patch /tmp/weak.patch    # a variant of a patch
    python3 property/run.py --python PY --without missing     # leave a producer out
    python3 property/run.py --python PY --known-defects       # no upstream-defect workarounds

Hypothesis is installed once into an overlay directory (pip --target) and put on PYTHONPATH, so the
release's environment is not changed. The patches go on with hotfix.py's `apply()` (or, for
--patch, with releases.py's hunks after checking the base blob) and come off in a finally clause;
`python -m matrix property` calls main() here, in its own process. Then pytest runs
property/test_resume_property.py in the release's environment, with the settings profile `ci` (or
`fresh` with --fresh) of property/conftest.py and the options it adds; the flags map to them:

    --examples N        --property-examples N (default: the profile's, 60)
    --fresh             --hypothesis-profile=fresh --property-db <cache>/property-db
    --seed N            --hypothesis-seed=N
    --without P,Q       --property-without P,Q
    --known-defects     --property-known-defects
    (always)            --hypothesis-show-statistics --property-report build/property-<release>.md

A fresh run draws a random seed: failures go into the example database and are replayed first
next time, and Hypothesis prints the @reproduce_failure blob of each. --seed N repeats a run;
with a seed Hypothesis leaves the database alone. The exit code is pytest's. Standard library
only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hotfix  # noqa: E402 - the repository root is put on sys.path just above
import releases  # noqa: E402
from matrix.paths import CACHE, PROPERTY_DB, property_report  # noqa: E402

HYPOTHESIS = "hypothesis==6.155.2"
PROBE = """
import importlib.metadata, importlib.util, json, pathlib, sys
spec = importlib.util.find_spec("agents")
package = pathlib.Path(next(iter(spec.submodule_search_locations)))
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "release": importlib.metadata.version("openai-agents"),
    "module": str(package / "run_internal" / "oai_conversation.py"),
}))
"""


class DriverError(Exception):
    """A refusal: the message says why, and nothing was changed."""


def probe(python: str) -> dict[str, str]:
    if not (shutil.which(python) or Path(python).is_file()):
        raise DriverError(f"--python {python}: no such interpreter")
    done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise DriverError(f"{python} cannot import openai-agents: {last}")
    return json.loads(done.stdout)


def overlay(python_version: str) -> Path:
    """A directory holding the pinned Hypothesis for this Python, made once."""
    pin = HYPOTHESIS.replace("==", "-")
    target = CACHE / "overlay" / f"{pin}-py{python_version}"
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
    try:
        target_args = ["--target", str(staging), "--python-version", python_version]
        if importlib.util.find_spec("pip") is not None:
            command = [sys.executable, "-m", "pip", "install", "--quiet"]
            command += ["--disable-pip-version-check", "--only-binary=:all:"]
        elif shutil.which("uv"):
            command = ["uv", "pip", "install", "--quiet"]
        else:
            raise DriverError(f"neither pip nor uv is available to install {HYPOTHESIS}")
        command += [*target_args, HYPOTHESIS]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise DriverError(f"could not install {HYPOTHESIS}: {done.stderr.strip()}")
        (staging / ".complete").write_text(HYPOTHESIS + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def install_state(fix: hotfix.Fix, site: Path) -> str:
    """The install's state as hotfix.py reads it: unpatched, patched, ..."""
    return str(hotfix.state_report(fix, site)["state"])


def apply_variant(module: Path, patch_file: Path) -> bytes:
    """Apply a patch that is not in patches/manifest; return the release's own bytes."""
    patch = releases.read_patch(patch_file)
    original = module.read_bytes()
    if releases.git_blob(original) != patch.base_blob:
        raise DriverError(
            f"{patch_file} does not fit {module} (base blob differs); nothing changed"
        )
    text = releases.apply_hunks(original.decode(), patch)
    releases.write_atomically(module, text, releases.git_blob(text.encode()))
    return original


def parse(argv: list[str] | None, prog: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", required=True, help="the release environment's interpreter")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--unpatched", action="store_true", help="run on the release's own file")
    which.add_argument("--patch", type=Path, help="apply this patch instead of the manifest's one")
    parser.add_argument("--examples", type=int, help="scenarios to try (default 60)")
    parser.add_argument("--fresh", action="store_true", help="random seed, saved failures")
    parser.add_argument(
        "--seed", type=int, help="with --fresh: repeat the run of this seed (no database)"
    )
    parser.add_argument(
        "--without", default="", metavar="P,Q", help="producers to leave out (comma-separated)"
    )
    parser.add_argument(
        "--known-defects", action="store_true", help="also draw what known_defects.py leaves out"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.examples is not None and args.examples < 1:
        parser.error("--examples must be at least 1")
    if args.seed is not None and not args.fresh:
        parser.error("--seed needs --fresh (the default run is derandomised)")
    if args.patch is not None and not args.patch.is_file():
        parser.error(f"--patch {args.patch}: no such file")
    return args


def pytest_command(args: argparse.Namespace, report: Path) -> list[str]:
    """pytest on the property, its options mapped from this script's flags (the seed aside)."""
    command = [args.python, "-m", "pytest", str(ROOT / "property" / "test_resume_property.py")]
    command += ["--rootdir", str(ROOT), "-p", "no:cacheprovider", "-q", "--tb=line"]
    command += ["--hypothesis-show-statistics", f"--property-report={report}"]
    command.append(f"--hypothesis-profile={'fresh' if args.fresh else 'ci'}")
    if args.fresh:
        command.append(f"--property-db={PROPERTY_DB}")
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    if args.examples is not None:
        command.append(f"--property-examples={args.examples}")
    if args.without:
        command.append(f"--property-without={args.without}")
    if args.known_defects:
        command.append("--property-known-defects")
    return [*command, *args.pytest_args]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        facts = probe(args.python)
        release, module = facts["release"], Path(facts["module"])
        # The directory that holds the `agents` package: the module is agents/run_internal/x.py.
        site = module.parents[2]
        fix = hotfix.read_fix(releases.release_for(release))
        state = install_state(fix, site)
        if state != "unpatched":
            raise DriverError(f"the install is {state}; revert it first (hotfix.py revert)")
        extra = overlay(facts["python"])
    except (DriverError, releases.PatchError) as error:
        print(f"property: {error}", file=sys.stderr)
        return 2
    report = property_report(release)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(extra), str(ROOT)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = pytest_command(args, report)
    if args.seed is not None:
        print(f"property: fresh exploration repeated with seed {args.seed}, no example database")
    elif args.fresh:
        print(f"property: fresh exploration; failures saved in {PROPERTY_DB}")
    original: bytes | None = None
    code = 2
    report.unlink(missing_ok=True)
    try:
        if args.patch is not None:
            original = apply_variant(module, args.patch)
            print(f"property: openai-agents {release}: applied {args.patch} (a variant)")
        elif not args.unpatched:
            print(f"property: {hotfix.apply(fix, site)}")
        else:
            print(f"property: openai-agents {release}: the release's own file, unpatched")
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
    except (DriverError, releases.PatchError) as error:
        print(f"property: {error}", file=sys.stderr)
    finally:
        if original is not None:
            releases.write_atomically(module, original.decode(), releases.git_blob(original))
        elif not args.unpatched and install_state(fix, site) != "unpatched":
            hotfix.revert(fix, site)
        print(f"property: {hotfix.status(fix, site)}")
    if code != 0 and report.is_file():
        print(f"\n{report.read_text()}")
    return code


if __name__ == "__main__":
    sys.exit(main())
