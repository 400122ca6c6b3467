# The two commands a newcomer needs: `make demo` and `make test`. The inner loop: `make test-fast`.
.PHONY: setup demo test test-fast lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/selfcast demo

test: setup
	@bash scripts/test.sh $(PYTEST_ARGS)

# Everything but the browser, end-to-end and slow tests (no PostgreSQL either): under 2 minutes.
# Exit code 5 (nothing selected, e.g. a PYTEST_ARGS filter that matches nothing) is not a failure.
test-fast: setup
	@.venv/bin/python -m pytest -n 3 -m "not e2e and not slow and not postgres" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests selected"; exit 0; fi; exit $$rc

# ruff over everything, mypy over what [tool.mypy] names (the live core, meeting, media)
lint: setup
	.venv/bin/ruff check src tests bench skills
	.venv/bin/mypy

bench: setup
	for b in bench/*.py; do .venv/bin/python $$b || exit 1; done
