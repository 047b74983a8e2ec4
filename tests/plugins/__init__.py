"""Pytest plugins of the suite, registered by tests/conftest.py (`pytest_plugins`).

Fixtures every folder may use live here, once: no test imports a conftest
(tests/test_suite_conventions.py).
"""
