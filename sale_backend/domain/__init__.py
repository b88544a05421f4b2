"""The shop's domain: catalog, holds, checkout and fulfilment, orders, tickets, refunds, entry
scans (no HTTP).
"""
