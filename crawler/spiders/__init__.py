"""Spiders: one module per agency site (declarations only); base.py and cms.py hold the code."""
