"""Chat channels: one folder per platform (``local``, later ``wecom``, ``dingtalk``).

Each implements ``bot.channels.base.Channel``. Channels never import handlers or schedules;
platform quirks stay inside their folder.
"""
