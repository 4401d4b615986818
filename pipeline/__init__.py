"""Edu Roll-up: quarterly reports of a province's education agencies, checked and consolidated."""

__version__ = "0.1.0"
