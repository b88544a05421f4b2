"""Abuse protection: the client's address, join limits, proof of work."""
