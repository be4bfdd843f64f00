"""The commands of a README: the lines of its fenced ```bash blocks, by `## ` section.

Shared by the test of the course's README (tests/integration/test_readme.py) and
of the students' README that `course publish` writes (tests/support/published.py).
"""

import re


def sections(text):
    """``{heading: [command, ...]}`` for every ``## `` section with bash blocks.

    A line ending in a backslash continues on the next; comment lines are left out.
    """
    found = {}
    heading = None
    in_block = False
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not in_block and line.startswith("## "):
            heading = line[3:].strip()
        elif not in_block and stripped == "```bash":
            in_block = True
        elif in_block and stripped == "```":
            in_block = False
        elif in_block:
            pending += stripped
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip() + " "
                continue
            if pending and not pending.startswith("#"):
                found.setdefault(heading, []).append(pending)
            pending = ""
    return found


def without_comment(command):
    """A command without its trailing ``# ...`` comment."""
    return re.sub(r"\s+#.*$", "", command).strip()
