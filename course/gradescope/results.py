"""Gradescope's ``results.json`` from what the grader decided (Gradescope's autograder spec).

One test per graded cell, named by its exercise as the feedback names it
(``Exercise 1: initialize_parameters_zeros: keys, shapes and dtypes``), carrying the
cell's points and the grader's message, shown ``after_published``: the hidden cases'
results, and so the score, wait until the instructor publishes the grades. Beside
each, an unscored test with the verdict on the notebook's visible example alone
(what the check under the exercise told the student), shown at once; the written
answer as a test that waits for manual grading; a first test that says what of the
upload was graded. ``stdout`` (the grader's log, for instructors) stays hidden.

An upload that cannot be graded, and a grader that cannot grade, give the same
shape: a failed test saying why, and every graded cell at zero saying "not graded".

Pure functions of the manifest (:mod:`.build`) and the grading report
(:mod:`.child`), standard library only: the supervisor writes results with them
whatever else failed.
"""

import re

__all__ = ["graded", "not_graded", "refused", "fault", "VISIBLE", "AFTER_PUBLISHED",
           "HIDDEN"]

VISIBLE, AFTER_PUBLISHED, HIDDEN = "visible", "after_published", "hidden"
#: Characters of a written answer shown back in its test (for the grader reading it).
ANSWER_CHARS = 5000
#: Characters of one test's output.
OUTPUT_CHARS = 20000

SUMMARY = ("Graded by the course's own grader. The check of each exercise's example is "
           "shown now; the hidden cases, the points and the total appear when your "
           "instructor publishes the grades.")


def _name(cell):
    """The cell as the feedback names it: ``title: what it checks``."""
    return f"{cell['title']}: {cell['checks']}"


def _round(points):
    return round(float(points), 4)


def _test(name, number, score, max_score, output, visibility, *, status=None, tags=()):
    test = {"name": name, "number": number, "score": _round(score),
            "max_score": _round(max_score), "output": output[:OUTPUT_CHARS],
            "visibility": visibility}
    if status is not None:
        test["status"] = status
    if tags:
        test["tags"] = list(tags)
    return test


def _results(tests, seconds, output, extra):
    scored = [t for t in tests if t["max_score"] > 0]
    return {"score": _round(sum(t["score"] for t in scored)),
            "execution_time": max(0, int(round(seconds))),
            "output": output, "stdout_visibility": HIDDEN, "extra_data": extra,
            "tests": tests}


def _notebook_of(line, notebooks):
    """The notebook a problem line is about, or None (the upload as a whole).

    The first notebook it names (``alice (Layers): ...``, ``Layers.ipynb was not handed
    in (found Initialization.ipynb)``), else the one holding a graded cell it names
    (``test cell check_he_values was edited``).
    """
    found = []
    for name in notebooks:
        at = [line.find(mark) for mark in (f" ({name}): ", f"{name}.ipynb") if mark in line]
        if at:
            found.append((min(at), name))
    if found:
        return min(found)[1]
    for name, grade_ids in notebooks.items():
        if _named(line, grade_ids):
            return name
    return None


def _plain(line, student):
    """A problem line without the ``student: `` or ``student (Notebook): `` that names the student."""
    match = re.match(rf"{re.escape(student)}(?: \([^)]*\))?: ", line)
    return line[match.end():] if match else line


def split_problems(problems, manifest, student="student"):
    """``(lines about the upload as a whole, {notebook: its lines})``, each without the student's id."""
    notebooks = {nb["name"]: [c["grade_id"] for c in nb["cells"]] for nb in manifest["notebooks"]}
    general, per = [], {name: [] for name in notebooks}
    for line in problems:
        name = _notebook_of(line, notebooks)
        (per[name] if name else general).append(_plain(line, student))
    return general, per


def _named(line, grade_ids):
    """The graded cells of ``grade_ids`` that ``line`` names."""
    return {g for g in grade_ids if re.search(rf"\b{re.escape(g)}\b", line)}


def _notes(lines, grade_id, grade_ids):
    """The lines of a notebook that concern the cell ``grade_id``: those naming it, and those
    naming no graded cell (the notebook as a whole)."""
    return [line for line in lines if grade_id in _named(line, grade_ids)
            or not _named(line, grade_ids)]


def _cell_message(cell, got, state, reason):
    """What the student reads for a graded cell."""
    if state == "missing":
        return "not handed in: it scores zero"
    if state != "graded":
        return f"not graded: {reason}"
    verdict = got.get("verdict")
    if verdict:
        return verdict["text"]
    return got.get("said") or "no result (see the notes above)"


def _answer_test(cell, got, state, reason, number, notes, tags):
    """The written answer: an unscored test saying that the instructor grades it by hand."""
    points = f"{cell['points']:g} points"
    if state == "graded" and got.get("needs_manual"):
        text = (f"Waits for manual grading ({points}): your instructor grades this answer by "
                f"hand.")
    elif state == "graded":
        text = (f"Left as released ({points}): an answer left blank scores zero; your "
                f"instructor grades this answer by hand.")
    else:
        text = _cell_message(cell, got, state, reason) + f" ({points}, graded by hand)"
    answer = (got.get("answer") or "").strip()
    if state == "graded" and answer:
        shown = answer[:ANSWER_CHARS] + ("\n[...]" if len(answer) > ANSWER_CHARS else "")
        text += f"\n\nThe answer handed in:\n\n{shown}"
    return _test(_name(cell), number, 0, 0, "\n".join([*notes, text]), VISIBLE, tags=tags)


def _cell_tests(manifest, report, reason):
    """Every graded cell's tests, in notebook order, and ``{grade_id: mistake code}``."""
    _, per = split_problems(report.get("problems", []), manifest,
                            report.get("student", "student"))
    tests, codes = [], {}
    for i, nb in enumerate(manifest["notebooks"], 1):
        info = report.get("notebooks", {}).get(nb["name"], {})
        state = info.get("status", "untouched") if report.get("success") else "untouched"
        tags, j = [f"{nb['name']}.ipynb"], 0
        ids = [c["grade_id"] for c in nb["cells"]]
        for cell in nb["cells"]:
            notes = _notes(per[nb["name"]], cell["grade_id"], ids)
            got = info.get("cells", {}).get(cell["grade_id"], {})
            j += 1
            number = f"{i}.{j}"
            if cell["kind"] == "answer":
                tests.append(_answer_test(cell, got, state, reason, number, notes, tags))
                continue
            message = _cell_message(cell, got, state, reason)
            score = got.get("score") if state == "graded" else 0
            score = score or 0
            verdict = got.get("verdict") if state == "graded" else None
            # the example's own verdict; a cell the judge did not decide failed as a whole
            example = got.get("example") or (None if verdict else {"passed": False,
                                                                   "text": message})
            if state == "graded" and example:
                j += 1
                tests.append(_test(f"{_name(cell)} (the notebook's example)", number, 0, 0,
                                   "\n".join([*notes, example["text"]]), VISIBLE,
                                   status="passed" if example["passed"] else "failed",
                                   tags=tags))
                number = f"{i}.{j}"
            if verdict:
                codes[cell["grade_id"]] = verdict["code"]
            tests.append(_test(_name(cell), number, score, cell["points"],
                               "\n".join([*notes, message]), AFTER_PUBLISHED,
                               status="passed" if score >= cell["points"] else "failed",
                               tags=tags))
    return tests, codes


def graded(manifest, report, seconds):
    """``results.json`` of an upload the grader graded (``report["status"] == "graded"``)."""
    names = [nb["name"] for nb in manifest["notebooks"]]
    general, _ = split_problems(report.get("problems", []), manifest,
                               report.get("student", "student"))
    reason = report.get("reason") or "grading failed"
    tests, codes = _cell_tests(manifest, report, reason)
    handed = [f"{n}.ipynb" for n in names
              if report.get("notebooks", {}).get(n, {}).get("status") == "graded"]
    if report.get("success"):
        said = f"Graded: {', '.join(handed) or 'no notebook'}."
        upload = _test("Your upload", "0", 0, 0, "\n".join([said, *general]), VISIBLE,
                       status="failed" if general else "passed")
    else:
        upload = _test("Your upload", "0", 0, 0, "\n".join([f"Not graded: {reason}", *general]),
                       VISIBLE, status="failed")
    tests.insert(0, upload)
    extra = {"assignment": manifest["assignment"], "sandboxed": bool(report.get("sandboxed")),
             "codes": codes}
    if not report.get("sandboxed", True):
        tests.append(_test("Grading sandbox (instructors only)", "0.1", 0, 0,
                           "Graded WITHOUT the grading sandbox: bubblewrap could not start "
                           f"here ({report.get('sandbox_problem', '?')}), and the autograder "
                           "was built with --if-no-sandbox grade-unsandboxed (see the README).",
                           HIDDEN))
    return _results(tests, seconds, SUMMARY, extra)


def not_graded(manifest, reason, seconds, *, heading="Your upload", hidden_detail=None,
               kind="upload"):
    """``results.json`` of an upload that was not graded: a failed test saying why, every cell zero."""
    tests, _ = _cell_tests(manifest, {"success": False}, reason)
    tests.insert(0, _test(heading, "0", 0, 0, reason, VISIBLE, status="failed"))
    if hidden_detail:
        tests.insert(1, _test(f"{heading} (instructors only)", "0.1", 0, 0, hidden_detail,
                              HIDDEN, status="failed"))
    return _results(tests, seconds, f"Not graded: {reason}",
                    {"assignment": manifest["assignment"], "not_graded": kind})


def refused(manifest, why, seconds):
    """The grading sandbox cannot start here, and the autograder was built to refuse then."""
    reason = ("your upload was received but not graded: the course's grading sandbox cannot "
              "start on this Gradescope machine. Your instructor can read why in the "
              "autograder's output and regrade every submission once it is fixed.")
    return not_graded(manifest, reason, seconds, heading="Grading sandbox",
                      hidden_detail=why, kind="sandbox")


def fault(manifest, why, seconds):
    """The grader itself could not grade (its environment, its own code): not the upload's fault."""
    reason = ("your upload was not graded: the autograder failed (a fault of the grader, not "
              "of your upload). Your instructor can read why in the autograder's output.")
    return not_graded(manifest, reason, seconds, heading="Autograder", hidden_detail=why,
                      kind="fault")
