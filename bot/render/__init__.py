"""Every post, attachment, button and dialog the bot shows, built from domain objects (no I/O)."""
