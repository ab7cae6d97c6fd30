"""Helpers of the end-to-end suite: target, HTTP client, clock, waiting, a controllable endpoint.

Nothing here imports the app: the suite sees the shop only through its HTTP routes.
"""
