"""Hidden tests stay hidden: not in what students get, not in their feedback.

The preprocessor that hides them in feedback, on built notebooks, is
``tests/course/feedback/test_hidden_tests.py``.
"""


from support import hidden


def test_release_and_helpers_hold_no_hidden_test_line():
    lines = hidden.hidden_lines()
    assert len(lines) > 20, "the source notebooks should have hidden tests to look for"
    for path in hidden.student_readable_files():
        text = path.read_text(errors="replace")
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{path} holds hidden-test lines: {leaked[:3]}"


def test_release_and_helpers_hold_no_hidden_expected_value():
    values = hidden.hidden_only_values()
    assert len(values) > 100, "the hidden tests should check values the example does not show"
    for path in hidden.student_readable_files():
        text = path.read_text(errors="replace")
        leaked = sorted(v for v in values if v in text)
        assert not leaked, f"{path} holds values only hidden tests expect: {leaked[:5]}"


def test_hidden_cases_cover_other_sizes_states_and_repeated_calls():
    from course.judge import spec

    for exercise in spec.exercises("initialization"):
        if exercise.notebook != "Initialization":
            continue
        for test in exercise.tests:
            main = test.calls[::2]    # each case, then the same case for other sizes
            dims = [call.args[0] for call in main]
            for wanted in ([1, 1], [4, 1], [5, 4, 3, 2], [3, 16, 16, 16, 16, 1], [3, 3, 3]):
                assert wanted in dims, f"{test.grade_id}'s hidden cases skip layers_dims {wanted}"
            # every case is called twice with the same list, the first result spoiled between
            assert all(call.repeat == 2 for call in main)
            if test.grade_id in ("check_random_values", "check_he_values"):
                # the global generator is moved elsewhere before each hidden call
                hidden = main[1:]
                assert all(call.reseed for call in hidden)
                assert len({call.reseed[0] for call in hidden}) == len(hidden)


def test_hidden_regions_hold_no_code_only_a_pointer_to_the_grader():
    for path in hidden.source_notebooks():
        for grade_id, source in hidden.test_cells(path).items():
            region = hidden.hidden_region(source)
            assert region and all(line.startswith("#") for line in region.splitlines()), grade_id
            assert "course/specs/initialization.py" in region


def test_feedback_config_registers_the_preprocessor(repo_root):
    text = (repo_root / "nbgrader_config.py").read_text()
    assert '"course.feedback.hidden_tests.HideHiddenTests"' in text
    assert text.index('"nbgrader.preprocessors.GetGrades"') < text.index('"course.feedback.hidden_tests.HideHiddenTests"')
