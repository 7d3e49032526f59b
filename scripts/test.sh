#!/usr/bin/env bash
# Runs the whole moatscore test suite. It first installs what the tests
# need (idempotent and quiet, so it is safe on a fresh machine and on a
# warm one), then vets and tests every package.
#
#   ./scripts/test.sh            # everything
#   ./scripts/test.sh -short     # extra go test flags go before the packages
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v go >/dev/null 2>&1; then
	echo "test: the Go toolchain is needed (go $(sed -n 's/^go //p' go.mod) or later)" >&2
	exit 1
fi

# Go modules.
go mod download

# Python packages of the interoperability tests, when some are listed.
if [[ -s scripts/requirements-test.txt ]]; then
	pip=(python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt)
	"${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
fi

go vet ./...
go test -timeout 30m "$@" ./...
