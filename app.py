"""The Chalice application: registers the blueprints. Nothing else happens at import time."""
from chalice import Chalice

from chalicelib.handlers import catalogue, feedback, pages, static

app = Chalice(app_name="city-eservices")
app.register_blueprint(pages.bp)
app.register_blueprint(catalogue.bp)
app.register_blueprint(feedback.bp)
app.register_blueprint(static.bp)
