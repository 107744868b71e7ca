"""`python -m matrix wheel-check`: a patched wheel built and installed as a pinned team would.

For each release: `hotfix.py wheel` builds it twice, and both builds must have the same sha256.
Then, in a fresh environment with the release's own pins and the built wheel in place of the
release's, `hotfix.py status --json` must report it patched and name the wheel's patches,
`hotfix.py verify` must pass, and `pip check` must be clean. Last, the team's requirement,
`openai-agents==<release>`, resolved by pip and by uv with the wheel's folder as `--find-links`,
must install the built wheel.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from hotfix import EXIT_REFUSED, PATCHED
from releases import newest_of_each_revision, read_manifest

from .envs import pinned, pins
from .paths import CACHE, HOTFIX
from .shell import MatrixError, run, say
from .trees import release_source


def wheel_check(releases: list[str], python: str, builder: str) -> int:
    """Check each release's built wheel; `builder` is a Python with pip and the wheel package."""
    failures = 0
    for release in releases or newest_of_each_revision():
        if release not in read_manifest() or release == "main":
            raise MatrixError(f"{release}: not a release in patches/manifest")
        problems = check_one(release, python, builder)
        for problem in problems:
            say(f"{release}: {problem}")
        failures += bool(problems)
    return 1 if failures else 0


def check_one(release: str, python: str, builder: str) -> list[str]:
    problems: list[str] = []
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"wheel-{release}-", dir=CACHE) as scratch:
        work = Path(scratch)
        built = []
        for attempt in ("first", "second"):
            out = work / attempt
            done = run([builder, HOTFIX, "wheel", "--version", release, "--out", out])
            (wheel,) = out.glob("*.whl")
            built.append(wheel)
            say(done.stdout.strip().replace(str(out) + "/", ""))
        digests = {hashlib.sha256(wheel.read_bytes()).hexdigest() for wheel in built}
        if len(digests) != 1:
            problems.append(f"two builds differ: {sorted(digests)}")
        wheel = built[0]
        source = release_source(release, work, None)
        assert not isinstance(source, str)
        requirements = pins(release, source, python)
        env = work / "env"
        run(["uv", "venv", "--quiet", "--seed", "--python", python, env])
        interpreter = env / "bin" / "python"
        run(["uv", "pip", "sync", "--quiet", "--python", interpreter, requirements])
        run(["uv", "pip", "install", "--quiet", "--no-deps", "--python", interpreter, wheel])
        state = json.loads(run([interpreter, HOTFIX, "status", "--json"]).stdout)
        label = wheel.name.split("-")[1]
        if state["state"] != PATCHED or (state["wheel"] or {}).get("version") != label:
            problems.append(f"status --json after installing {wheel.name}: {state}")
        verified = run([interpreter, HOTFIX, "verify"], check=False)
        if verified.returncode:
            problems.append(f"verify exited {verified.returncode}: {verified.stderr.strip()}")
        reverted = run([interpreter, HOTFIX, "revert"], check=False)
        if reverted.returncode != EXIT_REFUSED:
            problems.append(f"revert of the wheel exited {reverted.returncode}, not {EXIT_REFUSED}")
        checked = run([interpreter, "-m", "pip", "check"], check=False)
        if checked.returncode:
            problems.append(f"pip check: {checked.stdout.strip()}")
        say(
            f"{release}: {wheel.name} sha256 {next(iter(digests))[:16]}...; installed with the "
            f"release's pins: status {state['state']}, verify exit {verified.returncode}, "
            f"pip check exit {checked.returncode}"
        )
        problems += find_links_pick(release, wheel, python, pinned(requirements, "openai"), work)
    return problems


def find_links_pick(release: str, wheel: Path, python: str, openai: str, work: Path) -> list[str]:
    """The team's unchanged requirement, with the wheel's folder as --find-links, installs it."""
    problems = []
    label = wheel.name.split("-")[1]
    requirement = [f"openai-agents=={release}", f"openai=={openai}"]
    for tool in ("pip", "uv pip"):
        env = work / f"find-links-{tool.replace(' ', '-')}"
        run(["uv", "venv", "--quiet", "--seed", "--python", python, env])
        interpreter = env / "bin" / "python"
        links = ["--find-links", str(wheel.parent)]
        if tool == "pip":
            run([interpreter, "-m", "pip", "install", "--quiet", *links, *requirement])
        else:
            run(["uv", "pip", "install", "--quiet", "--python", interpreter, *links, *requirement])
        show = "import importlib.metadata as m; print(m.version('openai-agents'))"
        installed = run([interpreter, "-c", show]).stdout.strip()
        command = f"{tool} install --find-links DIR openai-agents=={release}"
        say(f"{release}: `{command}` installed {installed}")
        if installed != label:
            problems.append(f"{tool} with --find-links installed {installed}, not {label}")
        shutil.rmtree(env, ignore_errors=True)
    return problems
