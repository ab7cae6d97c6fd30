"""Contracts of order fulfilment (the saga), by boundary: `http` takes the order and an
operator's recovery decision and shows the order, `order` is the order itself and the details
stored for it, `workflow` the saga's input, steps, compensations, progress, result and recovery
event, `activities` the saga's own activity (reading a decision), and `recovery` the rounds and
decisions the store, the activities and the routes share. The steps' activity contracts are
the domains' own: `shared.models.inventory`, `shared.models.payments`, `shared.models.shipments`.
"""
