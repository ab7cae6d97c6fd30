"""Contracts of customer onboarding (function chaining), by boundary: `http` takes the request,
`workflow` is the chain's input, status and output, `activities` each step's input and output.
`customer` holds what all share; the stored customer is `shared.customer_store.Customer`.
"""
