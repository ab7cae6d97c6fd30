"""Timer-triggered upkeep of the app's own tables: each job calls one store, nothing more."""
