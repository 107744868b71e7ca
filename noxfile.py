"""Sessions that check the oai_conversation.py fix; the logic lives in the matrix package.

Most sessions are one call of `python -m matrix`, listed in MATRIX_SESSIONS; their arguments after
`--` are passed on. `nox -t ci` is what CI runs. .ci/run runs it in two halves side by side, so that
both cores stay busy: `-t ci-matrix`, the checks of releases in their cached environments, the
matrix's own tests and one of hotfix.py's installs, and `-t ci-checks`, the rest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import nox

# nox loads this file by its path, without its folder on sys.path, where releases.py is.
sys.path.insert(0, str(Path(__file__).parent))
from releases import newest_release, read_manifest  # noqa: E402

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "matrix"]
nox.options.error_on_missing_interpreters = True
ROWS = read_manifest()
NEWEST = newest_release(ROWS)
# Every release in patches/manifest, tagged with its minor series: `nox -t 0.17` runs 0.17.x.
RELEASES = [nox.param(v, tags=[v.rsplit(".", 1)[0]]) for v in ROWS]
CHECKS = ["ci", "ci-checks"]
RELEASE_CHECKS = ["ci", "ci-matrix"]
# hotfix.py wheel builds with these; wheel-check runs it.
WHEEL_TOOLS = ("wheel==0.48.0", "pip")


@dataclass(frozen=True)
class MatrixSession:
    """A session that is one call of `python -m matrix`."""

    description: str
    arguments: tuple[str, ...]
    tags: list[str] | None = None
    # Arguments used only when the session is given none after `--`.
    defaults: tuple[str, ...] = ()
    installs: tuple[str, ...] = ()


MATRIX_SESSIONS = {
    "matrix": MatrixSession(
        "Quick matrix (one release per file revision, the range's ends, main); posargs narrow it.",
        ("check",),
    ),
    "reported_release": MatrixSession(
        "The matrix on the reported release alone, 0.13.3, unpatched and patched.",
        ("check", "0.13.3"),
    ),
    "matrix_full": MatrixSession(
        "Every release from 0.13.0 to the newest, and upstream main where reachable.",
        ("check", "--full"),
    ),
    "matrix_transitions": MatrixSession(
        "The range's ends and each release whose outcome differs from the one before, with it.",
        ("check", "--transitions"),
        RELEASE_CHECKS,
    ),
    "wheel_check": MatrixSession(
        "Patched wheels built twice and installed with their release's pins: -- [RELEASE...].",
        ("wheel-check",),
        installs=WHEEL_TOOLS,
    ),
    "wheel_check_ci": MatrixSession(
        "The newest release's patched wheel, built twice and installed as a pinned team would.",
        ("wheel-check", NEWEST),
        RELEASE_CHECKS,
        installs=WHEEL_TOOLS,
    ),
    "pythons": MatrixSession(
        "The #2798 releases and one per file revision on every CPython 3.10+ here, a column each.",
        ("pythons",),
    ),
    "pythons_ci": MatrixSession(
        "The Python axis on #2798's 0.13.2 and the newest release, on every CPython but the one "
        "matrix_transitions checks them on.",
        ("pythons", "0.13.2", NEWEST, "--others"),
        RELEASE_CHECKS,
    ),
    "random_order": MatrixSession(
        "Our tests, patched, in random order with seeds 1 to N: -- RELEASE... [--runs N].",
        ("random-order",),
        RELEASE_CHECKS,
        defaults=("0.13.3", NEWEST, "--runs", "5"),
    ),
    "property": MatrixSession(
        "The resume property on a release: -- RELEASE [--unpatched | --patch FILE] [-- PYTEST...].",
        ("property",),
    ),
    "property_ci": MatrixSession(
        "The resume property, patched, under its ci profile, on the newest of each file revision.",
        ("property", "--ci", "--", "--hypothesis-profile=ci", "--hypothesis-show-statistics"),
        CHECKS,
    ),
    "upstream": MatrixSession(
        "The upstream series on the newest sdist, its tests, and upstream's Makefile checks on the "
        "files it and the 0.13.3 and newest patches change; -- --series PATCH... for another.",
        ("upstream",),
        CHECKS,
    ),
    "upstream_full": MatrixSession(
        "As upstream, with the Makefile's targets whole (suite, mypy, pyright) on the series.",
        ("upstream", "--full"),
    ),
    "issue_check": MatrixSession(
        "Fail if ISSUE.md's repro, its output or its releases disagree with a rerun.",
        ("issue",),
        RELEASE_CHECKS,
    ),
    "evidence_check": MatrixSession(
        "Fail if docs/evidence.md's release table disagrees with patches/manifest.",
        ("evidence-table", "--check"),
        CHECKS,
    ),
    "applies_to_check": MatrixSession(
        "Fail if a patch's DEP-3 Applies-To line disagrees with its releases in patches/manifest.",
        ("applies-to", "--check"),
        CHECKS,
    ),
    "evidence_table": MatrixSession(
        "Regenerate docs/evidence.md's release table from patches/manifest.",
        ("evidence-table",),
    ),
    "applies_to": MatrixSession(
        "Rewrite each patch's DEP-3 Applies-To line from patches/manifest; no other byte changes.",
        ("applies-to",),
    ),
    "manifest": MatrixSession(
        "Rows for releases new to patches/manifest, from the last report; --update writes them.",
        ("manifest",),
    ),
}


def call_matrix(session: nox.Session, *arguments: str, installs: tuple[str, ...] = ()) -> None:
    """`python -m matrix` in the session, with the `matrix` group and the tools its command runs."""
    session.install("--group", "matrix", *installs)
    session.run("python", "-m", "matrix", *arguments, *session.posargs)


def register(name: str, spec: MatrixSession) -> None:
    def session_function(session: nox.Session) -> None:
        defaults = () if session.posargs else spec.defaults
        call_matrix(session, *spec.arguments, *defaults, installs=spec.installs)

    session_function.__doc__ = spec.description
    nox.session(name=name, tags=spec.tags)(session_function)


for name, spec in MATRIX_SESSIONS.items():
    register(name, spec)


@nox.session
@nox.parametrize("sdk", RELEASES)
def release(session: nox.Session, sdk: str) -> None:
    """One release of patches/manifest (or main), checked as the matrix checks it."""
    call_matrix(session, "check", sdk)


@nox.session(tags=CHECKS)
def lint(session: nox.Session) -> None:
    """Ruff lint and format checks, configured like upstream."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


# hotfix.py's sessions: a release with a companion patch, and the newest, with next-turn patches,
# each with the openai its lock pins; and their tests, which the selftests session leaves out.
HOTFIX_INSTALLS = {
    "0.13.3": ("openai-agents==0.13.3", "openai==2.26.0"),
    "0.24.0": ("openai-agents==0.24.0", "openai==3.29.0"),
}
HOTFIX_TESTS = ("test_hotfix.py", "test_live_opt_in.py", "test_live_api_check.py")
# The newest release's install runs in .ci/run's ci-matrix half, the other in ci-checks, so that
# the halves end close together (README, Speed).
HOTFIX_SDKS = [
    nox.param(v, tags=RELEASE_CHECKS if v == NEWEST else CHECKS) for v in HOTFIX_INSTALLS
]


@nox.session
@nox.parametrize("sdk", HOTFIX_SDKS)
def hotfix(session: nox.Session, sdk: str) -> None:
    """hotfix.py's commands and refusals, and the live test's opt-in, on a fresh install."""
    session.install(*HOTFIX_INSTALLS[sdk], "pytest", "pytest-asyncio")
    session.run("pytest", *(f"selftests/{name}" for name in HOTFIX_TESTS), *session.posargs)


@nox.session(tags=CHECKS)
def live_api_check(session: nox.Session) -> None:
    """Ask the real API what the fix rests on (repro/live_api_check.py); skipped without a key."""
    session.install("openai")
    session.run("python", "repro/live_api_check.py", *session.posargs)


@nox.session
def wheel(session: nox.Session) -> None:
    """Build a release's patched wheel: -- --version RELEASE --out DIR."""
    session.install(*WHEEL_TOOLS)
    session.run("python", "hotfix.py", "wheel", *session.posargs)


@nox.session(tags=RELEASE_CHECKS)
def selftests(session: nox.Session) -> None:
    """The matrix's own tests: a fake local index, locks, upstream's environment; no network."""
    session.install("--group", "matrix", "pytest", "pytest-asyncio")
    ignored = (f"--ignore=selftests/{name}" for name in HOTFIX_TESTS)
    session.run("pytest", "selftests", *ignored, *session.posargs)
