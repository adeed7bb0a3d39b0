"""The pure core: records, rules and accounting of mine action. No I/O here.

This package imports no database, web or solver library (a test checks that).
"""
