"""The one module holding a global app, for gunicorn: ``gunicorn cfbot.wsgi:app``.

Each worker imports it, so each worker also loads the lexicons, models and language
detector here, before it takes its first request (``services/warmup.py``)."""

from cfbot import create_app
from cfbot.services.warmup import warm_up

app = create_app()
warm_up()
