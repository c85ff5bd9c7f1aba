"""Helpers for testing code that uses favorledger (needs the ``testing`` extra)."""
