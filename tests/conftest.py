"""Test-wide settings: property tests must not fail on a slow or busy CI machine."""

from hypothesis import settings

# per-example deadlines measure the machine, not the rules; keep the example counts
settings.register_profile("xl-cseg", deadline=None)
settings.load_profile("xl-cseg")
