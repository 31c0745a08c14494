"""The command words people type, and 帮助, which is built from them.

Each ``CMD_*`` tuple is what one ``@router.command`` registers: the first word is the Chinese
command help shows, the rest are aliases. ``HELP_LINES`` gives each registered command its line in
帮助, in the order help shows them; the words in a line come from the tuples, never typed again.
``tests/bot/test_texts.py`` checks that the routers' commands and the help lines are the same set,
so a new command without a help line, or a line for a removed command, fails there.
"""

from __future__ import annotations

from typing import NamedTuple

CMD_DRAFT = ("投稿", "draft", "submit")
CMD_REVISE = ("修改", "revise", "edit")
CMD_WITHDRAW = ("撤回", "withdraw")
CMD_PUBLISHED = ("已发布", "published")
CMD_PUBLISH = ("发布", "publish")
CMD_MINE = ("我的", "mine", "my")
CMD_VIEW = ("查看", "view", "show")
CMD_PENDING = ("待审", "pending", "todo")
CMD_HELP = ("帮助", "help", "?", "？")
CMD_APPLY = ("申请开通", "apply")
CMD_FILE = ("备案", "file")
CMD_VERIFIED = ("已认证", "verified")
CMD_CHANGE = ("变更", "change")
CMD_REGISTRY = ("台账", "registry")
CMD_ACCOUNT = ("账号", "account")
CMD_REVIEW = ("年审", "review")
CMD_CLOSED = ("注销", "已注销", "closed")
CMD_EXPORT_REGISTRY = ("导出台账", "export-registry")
CMD_EXPORT_FORM1 = ("导出申请表", "export-form1")
CMD_EXPORT_FORM2 = ("导出备案表", "export-form2")
CMD_INQUIRY = ("咨询", "inquiry")
CMD_REPLY = ("回复", "reply")
CMD_INQUIRY_STATS = ("咨询统计", "inquiry-stats")
CMD_WORDS = ("词库", "words")
CMD_EXPORT_REVIEW = ("导出年审", "export-review")
CMD_REVIEW_HISTORY = ("年审记录", "review-history")
CMD_ACTING = ("代审", "acting-approver")
CMD_CONSOLE = ("登录后台", "console", "后台")


def english_word(command: tuple[str, ...]) -> str:
    """The English alias help shows in brackets: the first alias written in Latin letters
    (注销's is closed, not its other Chinese alias 已注销; 帮助's is help, not ?)."""
    return next(w for w in command[1:] if w.isascii() and w[:1].isalpha())


class HelpLine(NamedTuple):
    """One line of 帮助 for one command or a few related ones. In ``text``, ``{w0}`` is the first
    command's word and ``{e0}`` its English alias; ``{w1}``, ``{e1}`` the second's, and so on."""

    commands: tuple[tuple[str, ...], ...]
    text: str

    def render(self) -> str:
        words = {f"w{i}": c[0] for i, c in enumerate(self.commands)}
        english = {f"e{i}": english_word(c) for i, c in enumerate(self.commands)}
        return self.text.format(**words, **english)


HELP_TITLE = "可用命令（中英文均可）："
HELP_LINES = (
    HelpLine((CMD_DRAFT,),
             "{w0} @账号 [类别] 正文 — 新建稿件，之后几分钟内发送的图片、文件、链接自动附上（{e0}）"),
    HelpLine((CMD_REVISE,), "{w0} D12 正文 — 修改稿件，生成新版本，需重新审核（{e0}）"),
    HelpLine((CMD_WITHDRAW,), "{w0} D12 — 撤回待审核的稿件（{e0}）"),
    HelpLine((CMD_PUBLISHED,), "{w0} D12 链接 — 登记已发布的稿件（{e0}）"),
    HelpLine((CMD_PUBLISH,), "{w0} D12 — 把审核通过的版本发布到公众号，自动登记（{e0}）"),
    HelpLine((CMD_VIEW,), "{w0} D12 — 查看稿件全文和附件（{e0}）"),
    HelpLine((CMD_MINE,), "{w0} — 查看我的稿件（{e0}）"),
    HelpLine((CMD_PENDING,), "{w0} — 查看等待我审核的稿件（{e0}）"),
    HelpLine((CMD_APPLY,), "{w0} — 填写《新媒体平台申请表》，经部门负责人签署、信息中心批准后开通（{e0}）"),
    HelpLine((CMD_FILE,),
             "{w0} @账号 — 开通后填写《备案登记表》（账号ID、创建时间、关注人数、二维码）（{e0}）"),
    HelpLine((CMD_VERIFIED,), "{w0} @账号 链接 — 登记平台认证，附认证页链接，或先发命令再发截图（{e0}）"),
    HelpLine((CMD_CHANGE,), "{w0} @账号 管理员|负责人 姓名 — 报信息中心备案（{e0}）"),
    HelpLine((CMD_REVIEW,),
             "{w0} @账号 [报告] — 11月提交年度年审报告，先附上本助手记录的全年数据；"
             "不合格后可随时重交（{e0}）"),
    HelpLine((CMD_REVIEW_HISTORY,), "{w0} @账号 — 历次年审报告、结果、审核人和数据（{e0}）"),
    HelpLine((CMD_CLOSED,), "{w0} @账号 原因 [链接] — 部门负责人或信息中心申请，须停运的账号管理员亦可；"
                            "附注销证明，信息中心确认（{e0}）"),
    HelpLine((CMD_ACTING,), "{w0} 部门 姓名 — 部门主要负责人离职后，指定代审人（信息中心）（{e0}）"),
    HelpLine((CMD_ACCOUNT, CMD_REGISTRY), "{w0} @账号 — 查看账号档案；{w1} — 全部账号（信息中心）"),
    HelpLine((CMD_EXPORT_REGISTRY, CMD_EXPORT_REVIEW), "{w0} / {w1} [年份] — 以文件发送（信息中心）"),
    HelpLine((CMD_EXPORT_FORM1, CMD_EXPORT_FORM2),
             "{w0} @账号或S编号（提交即可导出）/ {w1} @账号 — 以文件发送"),
    HelpLine((CMD_INQUIRY, CMD_REPLY, CMD_INQUIRY_STATS),
             "{w0} @账号 内容 来自 渠道 — 登记群众咨询；{w1} Q7 内容 — 答复；{w2}（{e0} / {e1}）"),
    HelpLine((CMD_WORDS,),
             "{w0} 添加|删除|列出 拦截|复核|提示 词；{w0} 例外 添加 短语 — 维护敏感词库（信息中心）"),
    HelpLine((CMD_CONSOLE,),
             "{w0} — 获取管理后台的登录链接：台账、年审、统计、审计（信息中心、部门负责人）（{e0}）"),
    HelpLine((CMD_HELP,), "{w0} — 显示本说明（{e0}）"),
)
HELP_CATEGORIES = "类别：1 动态服务　2 形象文化　3 领导批准　4 工作需要（《管理办法》第八条）"
HELP = "\n".join([HELP_TITLE, *(line.render() for line in HELP_LINES), HELP_CATEGORIES])
UNKNOWN_COMMAND = "没有看懂这条消息。\n" + HELP
