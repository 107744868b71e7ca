"""What the release tests, the property and the repros run on: the strict Responses API double and
its client, the same double on 127.0.0.1, the producers and runner helpers, and the tracker tests'
items. Imported as ``hitl_testkit`` from this checkout's root and from a release tree's root, where
the matrix puts a copy."""
