"""Chalice blueprints: HTTP in, HTTP out. Parse, validate, call one domain function, answer."""
