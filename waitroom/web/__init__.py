"""The HTTP layer: the app factory, route tables, the status fast path, cookies, runtime, metrics,
OpenAPI.
"""
