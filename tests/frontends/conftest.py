"""Every test here runs once per backend (see weldish.testing.backend_fixture)."""
from weldish.testing import backend_fixture

backend = backend_fixture()
