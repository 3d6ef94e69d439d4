"""LibreOffice verification harness for tests: see harness.py (venv side) and probe.py (UNO side)."""
