"""What a student types into the release in the browser tests: the right answers, and how."""

# What a student types between ### START CODE HERE ### and ### END CODE HERE ###,
# one line at a time, keyed by the answer cell's grade_id.
RIGHT = {
    "initialize_parameters_zeros": [
        'parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))',
        'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))',
    ],
    "initialize_parameters_random": [
        'parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10',
        'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))',
    ],
    "initialize_parameters_he": [
        'parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2 / layers_dims[l - 1])',
        'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))',
    ],
}


def type_answers(session, nb, answers):
    """Type each answer into its START CODE HERE block, as a student would."""
    index = {cell.metadata["nbgrader"]["grade_id"]: i for i, cell in enumerate(nb.cells)
             if cell.metadata.get("nbgrader", {}).get("solution")}
    for grade_id, lines in answers.items():
        session.replace_lines(index[grade_id], "# YOUR CODE HERE", "raise NotImplementedError()",
                              lines)
        typed = session.cell_text(index[grade_id])
        for line in lines:
            assert line in typed, (f"after typing into {grade_id}, its editor does not hold "
                                   f"the line {line!r}; it shows:\n{typed}")
        assert "NotImplementedError" not in typed, f"the stub of {grade_id} is still there:\n{typed}"
