"""Email subscriptions: double opt-in, preferences, suppression."""
