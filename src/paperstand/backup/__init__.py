"""Backups that can be taken while the site serves, and restores that keep every unsubscribe in force."""
