"""The operator console's own pages, composed from every app's selectors (the composition root may use them all)."""
