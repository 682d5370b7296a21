"""Who is asking and what they may do: password hashing, sessions, login throttling, route access levels."""
