"""The WeCom (企业微信) channel: a self-built app's callback, app messages with button cards,
in-place card updates, and group delivery through a robot webhook or an app group chat.

Protocol reference: developer.work.weixin.qq.com (doc pages named in each module) and
docs/security.md. wechatpy provides the AES scheme; the XML is parsed by xmltodict behind our own
guard (``bot.channels.verify.xml_guard``); every outbound call goes through our own aiohttp
client (wechatpy's is blocking).
"""
