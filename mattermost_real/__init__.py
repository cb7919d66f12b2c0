"""A real Mattermost Team Edition, built from source and started for tests and trials.

``python -m mattermost_real build`` builds it, ``up`` starts it with a seeded world, ``down``
stops it; :class:`~mattermost_real.server.RealMattermost` does the same from Python.
"""
