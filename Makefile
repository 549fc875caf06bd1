# The two commands of the README, and their parts.
#   make smoke  - the main job: T-30 smoke phase against the sandbox, report in reports/smoke.html
#   make test   - golive's own tests (self-tests inject faults into one shared sandbox)
PY := .venv/bin/python
PYTEST := .venv/bin/pytest

.PHONY: smoke test bootstrap sandbox-up sandbox-down

bootstrap:
	@scripts/bootstrap.sh

smoke: bootstrap
	@scripts/run-smoke.sh

test: bootstrap
	$(PYTEST) tests -p no:cacheprovider

sandbox-up: bootstrap
	.venv/bin/golive-sandbox up

sandbox-down:
	.venv/bin/golive-sandbox down
