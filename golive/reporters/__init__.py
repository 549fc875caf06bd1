"""Reporters: each reads the same run model and writes one artifact (terminal, JSONL, JUnit, HTML).

The run model is `{"run": {...}, "results": [{...}, ...], "summary": {...} or None}`, the records of
the JSONL stream (docs/results-schema.md); `summary` is None for a run killed before its end.
"""
