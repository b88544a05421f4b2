"""What organizers use: the admin API, dashboard pages, codes, audit log, live figures, metrics,
the queue CLI.
"""
