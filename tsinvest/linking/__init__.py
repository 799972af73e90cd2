"""Signals that link accounts: co-action (coordination), shared attributes, copy-paste text."""

__all__: list[str] = []
