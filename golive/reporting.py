"""Reporting hooks (HTML, JUnit, JSON, verdict). Placeholder until the reporting layer lands."""
