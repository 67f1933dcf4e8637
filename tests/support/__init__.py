"""What the tests stand on: personas, pupils, recordings, media, servers and threads.

Tests import from here (``from support.personas import NOW, login``); tests/conftest.py only
turns these into fixtures. pytest puts tests/ on sys.path (``pythonpath`` in pyproject.toml).
"""
