"""WeChat: 微信客服 through WeCom (the main channel) and the Official Account (公众号), mounted in the web
app by its lifespan when their settings are present.

crypto.py        WXBizMsgCrypt on `cryptography` (signature, AES-256-CBC, 32-byte PKCS#7, receive id)
xmlmsg.py        the XML envelopes: read a push, write a passive reply
api.py           httpx clients: access_token cache and refresh, kf/*, the customer-message API
conversation.py  one founder message → what to send (the bot stays quiet while staff have the ticket)
render.py        Reply → WeChat text: answer, numbered sources, park and fund lines, 2,048-byte parts
kf.py            /wechat/kf/callback, the kf/sync_msg pull, the 48 h / 5-message window, the sender
oa.py            /wechat/oa/callback, plain and safe mode, passive reply or customer message when late
mount.py         routes and senders for the app's lifetime
Replies go out through the delivery outbox every pushed channel shares (connectors/outbox.py).
"""
