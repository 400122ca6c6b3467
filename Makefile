# The two commands a newcomer needs: `make demo` and `make test`.
.PHONY: setup demo test lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/selfcast demo

test: setup
	@url=$$(bash scripts/pg.sh); \
	SELFCAST_TEST_PG_URL=$$url .venv/bin/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests selected"; exit 0; fi; exit $$rc

lint: setup
	.venv/bin/ruff check src tests bench skills

bench: setup
	for b in bench/*.py; do .venv/bin/python $$b || exit 1; done
