"""The shop's HTTP layer: app factory, pages, buyer and staff APIs, CSRF, security headers,
OpenAPI.
"""
