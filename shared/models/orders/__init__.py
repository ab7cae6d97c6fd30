"""Contracts of order fulfilment (the saga), by boundary: `http` takes the order, `order` is
the order itself and the details stored for it, `workflow` the saga's input, steps,
compensations, progress and result. The steps' activity contracts are the domains' own:
`shared.models.inventory`, `shared.models.payments`, `shared.models.shipments`.
"""
