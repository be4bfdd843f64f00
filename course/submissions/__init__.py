"""Submissions: built from the release (demo class, catalogue), and read from an LMS download."""
