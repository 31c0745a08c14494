"""Chat channels: one folder per platform (``local`` — the simulator —, ``wecom``, ``dingtalk``,
and ``wechat`` for the official accounts' followers).

Each implements ``bot.channels.base.Channel``. Channels never import handlers or schedules;
platform quirks stay inside their folder.
"""
