"""Sync: delivering the outbox to the hosts through the hooks (the worker, leases, retries, status).

The stages write their facts into :mod:`rm_plugin.outbox`; this package is the other end. "Sync"
means this delivery only: importing people from HR sources is :mod:`rm_plugin.people.roster_import`.
"""
