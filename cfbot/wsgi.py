"""The one module holding a global app, for gunicorn: ``gunicorn cfbot.wsgi:app``."""

from cfbot import create_app

app = create_app()
