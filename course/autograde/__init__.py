"""One autograde run: nbgrader's autograde with our exporter, cell matching and execution."""
