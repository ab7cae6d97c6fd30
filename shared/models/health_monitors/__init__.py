"""Contracts of the health monitor (eternal orchestration), by boundary: `http` starts, stops
and shows a monitor, `workflow` is the state each generation carries and what it reports,
`activities` the one check it calls per interval.
"""
