#!/usr/bin/env bash
# Benchmark meshgate on synthetic 1k and 10k product meshes; see bench/run.py.
set -euo pipefail
exec python3 "$(dirname "$0")/run.py" "$@"
