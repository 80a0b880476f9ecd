"""State of this instance that every process shares: what ``serve`` recorded (its public address)."""
