"""Every user-facing Chinese text of xmt-bot, in one package, one module per domain.

Handlers, sweeps, channels and the outbox import their wording from here (``from bot import texts``,
then ``texts.NAME``); nothing else writes Chinese for people. Keep texts short enough for a phone
screen; a refusal always says why and what to do instead.

The modules: ``common`` (shared names and formats, what any conversation may hear), ``commands``
(command words and 帮助), ``directory`` (通讯录 changes, 代审), ``drafts``, ``approvals``,
``screening``, ``governance`` (application, filing, verification, changes, closing), ``ledger``
(台账, 账号 @x), ``reviews``, ``inquiries``, ``reminders``, ``forms`` (the guided form),
``exports``, ``cli``, ``calendar`` (the working calendar: the holidays file, its check, the
December notice), ``simulator``, ``publishing`` (发布到公众号, the watch), ``console``
(登录后台; the console's pages keep their wording in their templates). Every public name is defined in
exactly one of them and re-exported here (``tests/bot/test_texts.py`` checks it).
"""

from bot.texts.approvals import *  # noqa: F403
from bot.texts.calendar import *  # noqa: F403
from bot.texts.cli import *  # noqa: F403
from bot.texts.commands import *  # noqa: F403
from bot.texts.common import *  # noqa: F403
from bot.texts.console import *  # noqa: F403
from bot.texts.directory import *  # noqa: F403
from bot.texts.drafts import *  # noqa: F403
from bot.texts.exports import *  # noqa: F403
from bot.texts.forms import *  # noqa: F403
from bot.texts.governance import *  # noqa: F403
from bot.texts.inquiries import *  # noqa: F403
from bot.texts.ledger import *  # noqa: F403
from bot.texts.publishing import *  # noqa: F403
from bot.texts.reminders import *  # noqa: F403
from bot.texts.reviews import *  # noqa: F403
from bot.texts.screening import *  # noqa: F403
from bot.texts.simulator import *  # noqa: F403
from bot.texts.wechat_publish import *  # noqa: F403
