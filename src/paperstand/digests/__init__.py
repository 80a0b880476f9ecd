"""Email digests: who gets which papers and why (select), the message (render), delivery (send)."""
