"""The web connector: founder chat page and API, staff console, knowledge admin (FastAPI)."""

from .app import create_app

__all__ = ["create_app"]
