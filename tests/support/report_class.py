"""A class of known mistakes for ``course report``: catalogue entries, handed in and graded.

Each student answers some functions with entries of the mistake catalogue
(``tests/catalogue/*.toml``), by name; a function answered with :data:`STUB` is handed
in as released (not written); a notebook none of whose functions a student answers is
not handed in. Every other answer cell holds the instructor's solution, the written
answer included (a text a grader must read), unless the student is in
:data:`BLANK_ANSWER`. What the report must count follows from the entries: each wrong
entry loses exactly its ``loses`` cells with its ``mistake`` code
(``tests/integration/test_catalogue.py`` checks that for every entry).
"""

import nbformat

from course import pipeline
from course.submissions import build as submissions
from course.submissions import catalogue as mutants

from . import ASSIGNMENT, ROOT, copy_course, lean

#: An answer left as released: the stub that raises NotImplementedError.
STUB = "stub"

#: {student: {function: catalogue entry name, or STUB}}
CLASS = {
    "ana": {"initialize_parameters_zeros": "zeros-transposed-W",
            "initialize_parameters_random": "random-scale-0.01",
            "initialize_parameters_he": "he-xavier",
            "xavier_scale": "xs-variance", "he_scale": "hs-power-one-half",
            "propagate_activations": "pr-std-of-n", "backward_step": "bw-no-one-over-m"},
    "ben": {"initialize_parameters_zeros": "zeros-f-string-keys",
            "initialize_parameters_random": "random-scale-0.01",
            "initialize_parameters_he": "he-no-square-root",
            "xavier_scale": "xs-math-sqrt", "he_scale": "hs-xavier",
            "propagate_activations": "pr-normal-and-matmul", "backward_step": "bw-no-one-over-m"},
    # no answer in Layers.ipynb: that notebook is not handed in
    "cas": {"initialize_parameters_zeros": "zeros-transposed-W",
            "initialize_parameters_random": "random-normal-0-10",
            "initialize_parameters_he": "he-variance-as-std",
            "backward_step": STUB},
    "dia": {"initialize_parameters_zeros": "zeros-full-of-0.0",
            "initialize_parameters_random": "random-standard-normal",
            "initialize_parameters_he": "he-math-sqrt",
            "xavier_scale": "xs-math-sqrt", "he_scale": "hs-power-one-half",
            "propagate_activations": "pr-default-rng-of-rng", "backward_step": "bw-where-matmul"},
    "eli": {"initialize_parameters_zeros": "zeros-dict-kept-between-calls",
            "initialize_parameters_random": "random-transposed-W",
            "initialize_parameters_he": "he-xavier",
            "xavier_scale": "xs-inverted", "he_scale": "hs-xavier",
            "propagate_activations": "pr-std-of-n", "backward_step": "bw-dW-transposed"},
}
#: Students whose written answer is left blank (scored 0 at once, nothing to grade).
BLANK_ANSWER = {"dia"}
#: Written answers an instructor grades after autograding: {student: points}.
GRADED_ANSWER = {"ben": 1.5}
#: On the roster, nothing handed in.
ROSTER_ONLY = ["yan"]
#: A folder handed in without a notebook.
EMPTY = ["zed"]
#: The written answer's grade id.
WRITTEN = "relu_spread_answer"


def entries():
    """The catalogue by entry name."""
    return {e.name: e for e in mutants.load_catalogue(ROOT / "tests" / "catalogue")}


def handed_in(root):
    """Write ``submitted/`` of the released course at ``root`` for :data:`CLASS`, lean."""
    catalogue = entries()
    release = root / "release" / ASSIGNMENT
    stubs = {}
    for path in release.glob("*.ipynb"):
        stubs.update({k: c.source for k, c in
                      submissions.answer_cells(nbformat.read(path, as_version=4)).items()})
    for student, answers in CLASS.items():
        chosen = {f: None if name == STUB else catalogue[name] for f, name in answers.items()}
        built = mutants.build(release, root / "source" / ASSIGNMENT,
                              mutants.Submission(student, chosen))
        for name, nb in built.items():
            for grade_id, cell in submissions.answer_cells(nb).items():
                if answers.get(grade_id) == STUB or (
                        grade_id == WRITTEN and student in BLANK_ANSWER):
                    cell.source = stubs[grade_id]
            path = root / "submitted" / student / ASSIGNMENT / name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(lean(nb), path)
    for student in EMPTY:
        (root / "submitted" / student / ASSIGNMENT).mkdir(parents=True)


def build_graded_class(released, root):
    """The class at ``root``, a copy of the course ``released``: handed in, autograded, written
    answers graded."""
    from course.grading import local as grade

    copy_course(released, root)
    handed_in(root)
    for student in ROSTER_ONLY:
        pipeline.nbgrader(root, "db", "student", "add", student)
    grade.grade(root, ASSIGNMENT, jobs=2)
    for student, points in GRADED_ANSWER.items():
        pipeline.set_manual_grade(root, student, WRITTEN, points)
    return root
