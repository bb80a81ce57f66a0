"""Django set up for a bench that touches no database or Redis, by importing this module first.

`videos.compare` reaches the models (the verifier reads video rows), so Django's apps must be loaded
before it is imported; settings also refuse to load without DEBUG or a SECRET_KEY. The addresses are
never connected to, so no embedded server is started for the bench.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1:9/unused")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:9/0")
django.setup()
