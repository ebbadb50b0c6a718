"""Telegram connector: `rongchuang telegram` (long polling) or `POST /telegram/webhook` in the web app.

app.py       the python-telegram-bot Application and its handlers
render.py    Reply -> Telegram HTML messages, citations, keyboards, splitting under 4,096
delivery.py  staff replies from the console to the founder's chat
webhook.py   the FastAPI route and the lifespan hook for webhook mode
"""
