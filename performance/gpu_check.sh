#!/bin/bash
# performance/gpu_check.py on a borrowed GPU machine, from the repository root there. Made by hand,
# git-ignored (.git/info/exclude), named in the device run's carry:
#   .gpu_home/packaged/allen-<key>/  a copy of a MOUSESCORE_HOME's packaged allen scenes and RDMs
#   .whl/  netCDF4 and cftime wheels for cp312 manylinux x86_64 (pip download --only-binary=:all: ...)
set -u
cd "$(dirname "$0")/.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site
# entry points for the built-in plugins; where this fails, gpu_check.py imports them from the source tree
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . >/tmp/pip-e.log 2>&1 \
    || { tail -n 3 /tmp/pip-e.log; echo "pip install -e . failed: plugins come from the source tree"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
MOUSESCORE_HOME=$PWD/.gpu_home MOUSESCORE_DATA_PATH=$(mktemp -d) PYTHONUNBUFFERED=1 \
    python3 performance/gpu_check.py "$@"
