#!/usr/bin/env bash
# Installs the pinned local codegen plugins and client runtimes: protoc-gen-go
# and protoc-gen-go-grpc through the Go module proxy, and a Python virtualenv
# (.venv) with grpcio-tools and the Python client (gen/python) installed with
# its declared dependencies (clients/python/requirements.txt), and the official
# E2B SDK (PyPI e2b, pinned) that the E2B-compatibility tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[codegen]\033[0m %s\n' "$*" >&2; }

gobin="$(go env GOPATH)/bin"
want_go="protoc-gen-go v1.36.10"
if [ ! -x "$gobin/protoc-gen-go" ] || ! "$gobin/protoc-gen-go" --version 2>/dev/null | grep -q "v1.36.10"; then
  log "installing $want_go"
  go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
fi
if [ ! -x "$gobin/protoc-gen-go-grpc" ] || ! "$gobin/protoc-gen-go-grpc" --version 2>/dev/null | grep -q "1.5.1"; then
  log "installing protoc-gen-go-grpc v1.5.1"
  go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
# The client package (gen/python, installed editable) comes with the dependencies its pyproject declares.
if ! .venv/bin/python -c 'import grpc_tools, grpc, pytest, google.api.annotations_pb2, wrenn_gen' 2>/dev/null \
  || [ clients/python/requirements.txt -nt .venv/.installed ]; then
  log "installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -r clients/python/requirements.txt
  touch .venv/.installed
fi

# The newest e2b that runs on this Python (3.11; e2b needs 3.11 or later); test/e2b-python drives it.
e2b_version=2.63.0
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('e2b') != '$e2b_version')" 2>/dev/null; then
  log "installing the e2b Python SDK $e2b_version"
  .venv/bin/pip install -q --disable-pip-version-check "e2b==$e2b_version"
fi
