"""WeChat: 微信客服 through WeCom (the main channel) and the Official Account (公众号).

crypto.py    WXBizMsgCrypt on `cryptography`
"""
