"""The web layer shared by the handlers: requests, URLs, preferences, rendering and error pages."""
