"""Check the fix against openai-agents releases: the logic behind the nox sessions.

For each release: fetch its wheel and sdist, install it in a fresh environment with the
dependencies upstream locked for it (the sdist's uv.lock), run our tests plus upstream's own tests
for this code unpatched, apply the patch with hotfix.py, run them again, and check that the patch
also applies to the sdist's tree with `git apply` and `git am`. Results go to build/.

Run it as `python -m matrix COMMAND`; `python -m matrix --help` lists the commands, and
`python -m matrix check` is the matrix itself.
"""
