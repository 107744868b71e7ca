"""Sessions that check the oai_conversation.py fix; the logic lives in the matrix package."""

from __future__ import annotations

import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent))
from releases import newest_release, read_manifest  # noqa: E402

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "matrix"]
nox.options.error_on_missing_interpreters = True
# Every release in patches/manifest, tagged with its minor series: `nox -t 0.17` runs 0.17.x.
RELEASES = [nox.param(v, tags=[v.rsplit(".", 1)[0]]) for v in read_manifest()]
# `nox -t ci` is what CI runs. .ci/run runs it in two halves side by side, so that both cores stay
# busy: `-t ci-matrix`, the checks of releases in their cached environments, and `-t ci-checks`.


def helper(session: nox.Session, *args: str) -> None:
    # The matrix reads versions and Requires-Python with packaging (hotfix.py needs nothing).
    session.install("packaging>=24")
    session.run("python", "-m", "matrix", *args, *session.posargs)


@nox.session(tags=["ci", "ci-checks"])
def lint(session: nox.Session) -> None:
    """Ruff lint and format checks, configured like upstream."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


# hotfix.py's sessions: a release with a companion patch, and the newest, with runner patches, each
# with the openai its lock pins.
HOTFIX_INSTALLS = {
    "0.13.3": ("openai-agents==0.13.3", "openai==2.26.0"),
    "0.24.0": ("openai-agents==0.24.0", "openai==3.29.0"),
}


@nox.session(tags=["ci", "ci-checks"])
@nox.parametrize("sdk", list(HOTFIX_INSTALLS))
def hotfix(session: nox.Session, sdk: str) -> None:
    """hotfix.py's commands and refusals, and the live test's opt-in, on a fresh install."""
    session.install(*HOTFIX_INSTALLS[sdk], "pytest", "pytest-asyncio")
    session.run(
        "pytest", "selftests/test_hotfix.py", "selftests/test_live_opt_in.py", *session.posargs
    )


@nox.session
def wheel(session: nox.Session) -> None:
    """Build a release's patched wheel: -- --version RELEASE --out DIR."""
    session.install("wheel==0.48.0", "pip")
    session.run("python", "hotfix.py", "wheel", *session.posargs)


@nox.session
def wheel_check(session: nox.Session) -> None:
    """Patched wheels built twice and installed with their release's pins: -- [RELEASE...]."""
    session.install("wheel==0.48.0", "pip")
    helper(session, "wheel-check")


@nox.session(tags=["ci", "ci-matrix"])
def wheel_check_ci(session: nox.Session) -> None:
    """The newest release's patched wheel, built twice and installed as a pinned team would."""
    session.install("wheel==0.48.0", "pip")
    helper(session, "wheel-check", newest_release())


@nox.session
def reported_release(session: nox.Session) -> None:
    """The matrix on the reported release alone, 0.13.3, unpatched and patched."""
    helper(session, "0.13.3")


@nox.session
@nox.parametrize("sdk", RELEASES)
def release(session: nox.Session, sdk: str) -> None:
    """One release of patches/manifest (or main), checked as the matrix checks it."""
    helper(session, sdk)


@nox.session
def matrix(session: nox.Session) -> None:
    """Quick matrix (one release per file revision, the range's ends, main); posargs narrow it."""
    helper(session)


@nox.session(tags=["ci", "ci-checks"])
def applies_to_check(session: nox.Session) -> None:
    """Fail if a patch's DEP-3 Applies-To line disagrees with its releases in patches/manifest."""
    helper(session, "applies-to", "--check")


@nox.session
def matrix_full(session: nox.Session) -> None:
    """Every release from 0.13.0 to the newest, and upstream main where reachable."""
    helper(session, "--full")


@nox.session(tags=["ci", "ci-matrix"])
def matrix_transitions(session: nox.Session) -> None:
    """The range's ends and each release whose outcome differs from the one before, with it."""
    helper(session, "--transitions")


@nox.session(tags=["ci", "ci-checks"])
def evidence_check(session: nox.Session) -> None:
    """Fail if docs/evidence.md's release table disagrees with patches/manifest."""
    helper(session, "evidence-table", "--check")


@nox.session(tags=["ci", "ci-checks"])
def issue_check(session: nox.Session) -> None:
    """Fail if ISSUE.md's repro, its output or its releases disagree with a rerun."""
    helper(session, "issue")


@nox.session(tags=["ci", "ci-checks"])
def gates(session: nox.Session) -> None:
    """Upstream's ruff, mypy, pyright and truthiness check on patched 0.13.3 and newest trees."""
    helper(session, "gates")


@nox.session
def pythons(session: nox.Session) -> None:
    """The #2798 releases and one per file revision on every CPython 3.10+ here, a column each."""
    helper(session, "pythons")


@nox.session(tags=["ci", "ci-matrix"])
def pythons_ci(session: nox.Session) -> None:
    """The Python axis on the range's ends: #2798's 0.13.2 and the newest release."""
    helper(session, "pythons", "0.13.2", newest_release())


@nox.session
def property(session: nox.Session) -> None:
    """The resume property on a release: -- RELEASE [--unpatched] [--examples N] [--fresh]."""
    helper(session, "property")


@nox.session(tags=["ci", "ci-checks"])
def property_ci(session: nox.Session) -> None:
    """The resume property, patched, on the newest release of every file revision."""
    helper(session, "property", "--ci")


@nox.session(tags=["ci", "ci-matrix"])
def random_order(session: nox.Session) -> None:
    """Our tests, patched, in random order with seeds 1 to N: -- RELEASE... [--runs N]."""
    helper(
        session,
        "random-order",
        *([] if session.posargs else ["0.13.3", newest_release(), "--runs", "5"]),
    )


@nox.session(tags=["ci", "ci-checks"])
def upstream_series(session: nox.Session) -> None:
    """The upstream series on the newest sdist: git am, its tests fail without it, pass with it."""
    helper(session, "upstream-series")


@nox.session
def upstream_ci(session: nox.Session) -> None:
    """Upstream's Makefile steps and suite on a checkout, patched and not: -- --upstream PATH."""
    helper(session, "upstream-ci")


@nox.session(tags=["ci", "ci-checks"])
def selftests(session: nox.Session) -> None:
    """The matrix's own tests: a fake local index, locks, upstream-ci's environment; no network."""
    session.install("pytest", "pytest-asyncio", "packaging>=24")
    session.run(
        "pytest",
        "selftests",
        "--ignore=selftests/test_hotfix.py",
        "--ignore=selftests/test_live_opt_in.py",
        *session.posargs,
    )


@nox.session
def manifest(session: nox.Session) -> None:
    """Rows for releases not yet in patches/manifest, from the last report; --update writes them."""
    helper(session, "manifest")


@nox.session
def evidence_table(session: nox.Session) -> None:
    """Regenerate docs/evidence.md's release table from patches/manifest."""
    helper(session, "evidence-table")


@nox.session
def applies_to(session: nox.Session) -> None:
    """Rewrite each patch's DEP-3 Applies-To line from patches/manifest; no other byte changes."""
    helper(session, "applies-to")
