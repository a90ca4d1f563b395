"""Tests that need a backend run once per backend (see weldish.testing.backend_fixture):
modules opt in with ``backend = backend_fixture`` imported from here."""
