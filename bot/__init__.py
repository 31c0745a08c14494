"""xmt-bot: the spine (app factory, router, outbox, audit, channels) of the new-media chat-ops bot."""
