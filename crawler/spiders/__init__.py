"""Spiders: one module per agency site (declarations only); base.py, cms.py and accounting.py hold the code."""
