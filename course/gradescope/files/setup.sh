#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04). Written by `course gradescope`, from the course that built the zip:
# Python @PYTHON@, the course's grading package and its dependencies pinned to the
# versions that built it, and bubblewrap (the grading sandbox; prlimit and setpriv
# come with util-linux).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SOURCE=/autograder/source
VENV=@VENV@

apt-get update
apt-get install -y --no-install-recommends @APT_PACKAGES@
for tool in bwrap prlimit setpriv python@PYTHON@; do
    command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing after apt-get" >&2; exit 1; }
done

python@PYTHON@ -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --no-deps -r "$SOURCE/@REQUIREMENTS@"
"$VENV/bin/python" -m pip install --no-cache-dir --no-deps "$SOURCE/@WHEEL@"
# Byte-compiled once here, not in every grading kernel.
"$VENV/bin/python" -m compileall -q "$VENV/lib/python@PYTHON@/site-packages" >/dev/null || true

# Whether the grading sandbox starts in the image being built (the container that
# grades may differ): one line in the build log either way.
"$VENV/bin/course" sandbox-check || echo "setup.sh: the grading sandbox does not start while the image is built; run_autograder says whether it does when it grades (README, 'Grading on Gradescope')"
