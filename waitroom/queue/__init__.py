"""The admission engine's companions: the in-process view of each queue, heartbeats, history,
stock, state-loss guard.
"""
