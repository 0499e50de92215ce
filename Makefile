# Commands every developer runs the same way. See README.md.
PY ?= .venv/bin/python
PROTO_OUT := protos

.PHONY: protos protos-check native lint typecheck test test-all

## Regenerate the gRPC/protobuf Python code from protos/*.proto (never hand-edit the output).
protos:
	$(PY) scripts/gen_protos.py

## Fail if the generated code is not what protos/*.proto produce (run by CI).
protos-check:
	$(PY) scripts/gen_protos.py --check

## Rebuild the cffi extension of the native engine in place.
native:
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck:
	PY=$(PY) scripts/typecheck.sh

test:
	$(PY) -m pytest -q

test-all:
	$(PY) -m pytest -q --run-slow
