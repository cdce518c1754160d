"""Printable documents made from the stored results (the PHAB evidence report)."""
