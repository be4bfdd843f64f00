"""What the gradebook tells an instructor: scores in states, and the files made from them."""
