"""The sandbox a student's code runs in: the bubblewrap kernel, its cgroup, what it may see."""
