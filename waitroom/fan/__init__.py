"""Everything a waiting fan sees and does: join and status, the queue page, profile, surveys,
upsells, code lanes, receipts.
"""
