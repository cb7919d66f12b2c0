"""Services: one module per capability; each function does one user-level thing."""
