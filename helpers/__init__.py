"""What the notebooks of the Initialization course import.

- :mod:`helpers.network`: the one layer contract (``layer_forward``, ``layer_backward``),
  forward and backward passes (and their fast path for training, ``Passes``), loss, update.
- :mod:`helpers.initializers`: the Xavier and He scale tables, weights drawn at a chosen scale.
- :mod:`helpers.training`: gradient descent, prediction, accuracy.
- :mod:`helpers.datasets`: the two-moons data and HDF5 image sets.
- :mod:`helpers.plotting`: data, cost curves and decision boundaries.
- :mod:`helpers.checks`: the checks under each exercise.
- :mod:`helpers.plain`: how every check calls the student's function, and what came
  back as plain data, the only thing a verdict judges.
- :mod:`helpers.activations`: inputs and statistics of the activations notebook.
- :mod:`helpers.activation_checks`: the checks under that notebook's exercises (every check
  module shares its roles' names, tolerances and message layout: ``helpers._checking``).
- :mod:`helpers.gradients`: the gradients notebook's backward pass through a deep network and
  its per-layer statistics (spread, dead and saturated units, gradient-to-weight ratio).
- :mod:`helpers.gradient_checks`: the checks under that notebook's exercise.
- :mod:`helpers.explorer`: that notebook's explorer (ipywidgets, imported only when shown).
- :mod:`helpers.moons_explorer`: the explorer at the end of the first notebook: part 1's
  network trained on the moons from a start and a learning rate of the student's choice
  (the widget plumbing both explorers share is ``helpers._widgets``).
- :mod:`helpers.kernel`: ``setup_notebook()``, called by each notebook's imports cell.
"""

__version__ = "1.0.0"
