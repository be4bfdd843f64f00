"""Reading an nbgrader autograde log: which lines are about which student."""

import re

__all__ = ["by_student", "alarming"]


def by_student(log):
    """The log's lines, each given to the student whose submission it is about.

    nbgrader names a submission by its path (``submitted/<student>/``); the course's
    own lines say ``student <id>``. A line that names nobody belongs to the
    student named last.
    """
    lines, current = {}, None
    for line in log.splitlines():
        named = re.search(r"(?:submitted|autograded)/([^/]+)/|student ([\w-]+)", line)
        if named:
            current = named.group(1) or named.group(2)
        lines.setdefault(current, []).append(line)
    return lines


def alarming(lines):
    """The lines logged as a warning, an error or worse."""
    return [line for line in lines if re.search(r"\| (WARNING|ERROR|CRITICAL)\]", line)]
