"""The local channel: a chat simulator page served by the bot (the embedded default of ``xmt demo``).

It implements the same ``Channel`` interface as WeCom and DingTalk, so the whole flow can be
clicked through without any platform account.
"""
