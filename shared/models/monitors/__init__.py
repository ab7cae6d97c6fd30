"""Contracts of the export monitor (monitor pattern), by boundary: `http` starts one,
`workflow` is its input, progress, status and result. Its recipient's address is stored by
monitor id (`shared.monitor_store`); the monitor names it by reference.
"""
