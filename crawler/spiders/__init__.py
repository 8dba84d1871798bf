"""Spiders: one module per agency site (declarations only); base.py, cms.py and recording.py hold the code."""
