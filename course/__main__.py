"""``course``: the instructor's tool (:mod:`course.cli`), started so that grading starts soon."""

import sys

#: Commands that grade: they start the grading workers' server before anything else.
GRADING_COMMANDS = ("grade", "demo")


def command(argv):
    """The command ``argv`` names (``course [--root ROOT] COMMAND ...``), or None."""
    words = iter(argv)
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    on_cluster = any(a.startswith(("--scheduler", "--scheduler-file")) for a in argv)
    if command(argv) in GRADING_COMMANDS and not on_cluster:   # a cluster's workers grade
        from course.grading.forkserver import start_server

        start_server()  # its imports run while this process imports the CLI's
    from course.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
