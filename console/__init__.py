"""The Information Center's console (issue 18): server-rendered pages at ``/console/`` over the
same models and domain functions as the chat handlers. A layer like ``handlers/``: imports
``bot.*`` and ``models``, never ``handlers``, ``schedules`` or ``bot.channels``
(``tests/test_layers.py``). ``console.app.setup`` mounts it; ``bot/app.py`` calls that."""
