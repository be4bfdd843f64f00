"""What the notebooks of the Initialization course import.

- :mod:`helpers.network`: the layer contract, forward and backward passes, loss, update.
- :mod:`helpers.training`: gradient descent, prediction, accuracy.
- :mod:`helpers.datasets`: the two-moons data and HDF5 image sets.
- :mod:`helpers.plotting`: data, cost curves and decision boundaries.
- :mod:`helpers.checks`: the checks under each exercise.
- :mod:`helpers.activations`: inputs, statistics and initial weights of the activations notebook.
- :mod:`helpers.activation_checks`: the checks under that notebook's exercises.
- :mod:`helpers.kernel`: ``setup_notebook()``, called by each notebook's imports cell.
"""

__version__ = "1.0.0"
