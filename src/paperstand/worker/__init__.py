"""Recurring jobs: one schedule, run by ``paperstand worker`` on a huey queue."""
