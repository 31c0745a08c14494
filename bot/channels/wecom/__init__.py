"""The WeCom (企业微信) channel: a self-built app's callback, app messages with button cards,
in-place card updates, and group delivery through a robot webhook or an app group chat.

Protocol reference: ../shared/docs/protocols/wecom.md. wechatpy provides the AES scheme and the
XML parsing; every outbound call goes through our own aiohttp client (wechatpy's is blocking).
"""
