"""The DingTalk (钉钉) channel: an enterprise-internal app with the robot capability. Robot
messages and card taps arrive over HTTP (``/dingtalk/robot``, ``/dingtalk/card``) or Stream;
cards go out with ``/v1.0/card/instances/createAndDeliver`` and are closed with
``PUT /v1.0/card/instances``; texts through the message's sessionWebhook, the robot's 1:1 batch
send, or a custom group robot with 加签.

Protocol reference: open.dingtalk.com (pages named in each module) and docs/security.md.
dingtalk-sdk covers none of the ``api.dingtalk.com`` calls and is blocking, so every call goes
through our aiohttp client.
"""
