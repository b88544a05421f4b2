"""The waiting room's side of the connector contract: the connector API, pass records and site
sessions, stock reports, the reverse-proxy auth.
"""
