"""Tracking push: the warehouse's shipments back to Ecwid, each exactly once.

carriers.py (names, URL templates) -> plan.py (shipments + ledger -> one update per order) ->
decide.py (read-before-write per order) -> push.py (concurrent apply) with ledger.py (state).
"""
