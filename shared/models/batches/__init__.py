"""Contracts of the batch pattern (fan-out/fan-in): a price-list import, by boundary.

A caller posts up to 10,000 price updates (`http`). The starter stages them in a table and
starts one parent orchestration whose input is only a reference and a plan (`workflow`); the
parent runs chunk sub-orchestrations, each pricing its slice of items with a bounded window of
activities (`activities`). Every item ends as one row in the results table (`shared.batch_store`):
`processed` (with its final price) or `failed` (with the reason). `items` holds what all share.
"""
