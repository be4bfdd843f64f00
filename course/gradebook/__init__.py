"""What the gradebook tells an instructor: scores in states, the files made from them,
and the class report."""
