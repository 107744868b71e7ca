"""The resume property: random saved-and-resumed server-managed runs through ``Runner``, each
call answered exactly once (test_resume_property.py); `python -m matrix property` runs it in a
release's environment."""
