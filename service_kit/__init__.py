"""Plumbing both apps share (they import neither each other's internals): the error tree and its
RFC 9457 problems, request limits, typed text, Redis clients, browser sessions and throttles,
OpenAPI building blocks, process signals.
"""
