"""Members: accounts, sessions, roles, API tokens, verification and reset tokens, throttling."""
