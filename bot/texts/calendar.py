"""The working calendar: refusals of a holidays file (``XMT_HOLIDAYS_FILE``, or the organisation
file's ``holidays:``), what ``xmt calendar check`` prints, and the December notice to the
Information Center when next year has no holidays from either source (``schedules.calendar``).
"""

from __future__ import annotations

CALENDAR_SOURCE_NAMES = {"file": "文件", "package": "chinesecalendar", "weekdays": "仅周一至周五"}
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

# The file's shape, as the notice and the refusals show it.
HOLIDAYS_FILE_SHAPE = """holidays:
  2027:
    off:                       # 放假：节日名: 日期，或 开始 ~ 结束
      元旦: 2027-01-01
      春节: 2027-02-06 ~ 2027-02-13
    workdays:                  # 调休上班的周六、周日
      - 2027-02-14"""


def holidays_where(path: str, line: int | None) -> str:
    return f"{path} 第 {line} 行" if line else path


def holidays_refused(where: str, reason: str) -> str:
    return f"节假日文件有误（{where}）：{reason}"


def holidays_unreadable(path: str, reason: str) -> str:
    return f"读不到节假日文件 {path}（XMT_HOLIDAYS_FILE）：{reason}"


ORG_FILE_NAME = "组织文件"
HOLIDAYS_NOT_YAML = "不是有效的 YAML"
HOLIDAYS_NO_KEY = "顶层要有 holidays:，下面按年份写放假（off:）和调休上班（workdays:）的日子"
HOLIDAYS_NOT_MAPPING = "这里要按「键: 值」逐行书写"


def holidays_bad_year(value: str) -> str:
    return f"「{value}」不是年份（写成 2027:）"


def holidays_year_twice(year: int, first: int) -> str:
    return f"{year} 年在第 {first} 行已经写过一次"


def holidays_bad_year_key(year: int, key: str) -> str:
    return f"{year} 年下只能写 off:（放假）和 workdays:（调休上班），没有「{key}」"


def holidays_year_without_days_off(year: int) -> str:
    return f"{year} 年没有写放假的日子（off:），至少有元旦"


def holidays_bad_date(value: str) -> str:
    return f"「{value}」不是日期（写成 2027-02-06，或 2027-02-06 ~ 2027-02-13）"


def holidays_wrong_year(day: str, year: int) -> str:
    return f"{day} 不在 {year} 年：写到它所在的那一年下面"


def holidays_reversed(start: str, end: str) -> str:
    return f"{start} ~ {end}：结束早于开始"


def holidays_too_long(start: str, end: str, days: int, limit: int) -> str:
    return f"{start} ~ {end} 连放 {days} 天，超过 {limit} 天，请核对"


def holidays_day_twice(day: str, first: int, name: str) -> str:
    return f"{day} 在第 {first} 行已写为放假（{name}）"


def holidays_off_and_workday(day: str, first: int, name: str) -> str:
    return f"{day} 既在第 {first} 行写为放假（{name}），又写为调休上班"


def holidays_workday_twice(day: str, first: int) -> str:
    return f"{day} 在第 {first} 行已写为调休上班"


def holidays_workday_not_weekend(day: str, weekday: int) -> str:
    return (f"{day} 是{WEEKDAY_NAMES[weekday]}，本来就上班；调休上班日是放假前后的星期六或星期日")


def calendar_check_line(year: int, source: str, festivals: int, days_off: int, workdays: int) -> str:
    name = CALENDAR_SOURCE_NAMES[source]
    if source == "weekdays":
        return (f"{year} 年：{name}（节假日文件和 chinesecalendar 都没有这一年）；"
                f"节假日 0 个，不放假也不调休")
    return (f"{year} 年：{name}；节假日 {festivals} 个，共放假 {days_off} 天，"
            f"调休上班 {workdays} 天")


def calendar_check_file(path: str | None) -> str:
    return f"节假日文件：{path}（XMT_HOLIDAYS_FILE）" if path else "节假日文件：未设置（XMT_HOLIDAYS_FILE）"


def calendar_check_package(version: str, first: int, last: int) -> str:
    return f"chinesecalendar {version}：{first}–{last} 年"


def calendar_check_missing(year: int) -> str:
    return (f"{year} 年没有节假日数据：机器人将按周一至周五计算工作日。"
            f"国务院办公厅公布 {year} 年放假安排后，把它写进节假日文件，"
            f"或升级 chinesecalendar，再运行 xmt calendar check。")


def org_holidays_not_read(path: str) -> str:
    return (f"注意：{path} 写有 holidays:，但机器人只从 XMT_HOLIDAYS_FILE 读取节假日；"
            f"要让它生效，把 XMT_HOLIDAYS_FILE 设为这个文件的路径（或把 holidays: 抄到那个文件里）。")


def calendar_missing_notice(year: int, weeks: int) -> str:
    """To the Information Center in December, weekly until fixed: what is missing, what the bot
    will do, how to fix it (the file's shape, the variable, the check)."""
    again = f"（第 {weeks + 1} 次提醒）" if weeks else ""
    return (
        f"【工作日历】{year} 年的节假日和调休还没有数据{again}\n"
        f"机器人用的 chinesecalendar 还不认识 {year} 年，节假日文件里也没有。"
        f"从 {year} 年 1 月 1 日起，机器人只能按周一至周五算工作日：元旦、春节等假日里的周一至周五"
        f"会被当作工作日照常发提醒，调休上班的周六、周日却不算工作日。\n"
        f"《管理办法》第十条至第十二条的期限和年度审核都按工作日计算，日历不对，"
        f"就会在假期里发提醒，或漏掉调休上班日，期限也会算错。\n"
        f"怎么补：国务院办公厅公布 {year} 年放假安排后，请系统管理员把它写进节假日文件"
        f"（环境变量 XMT_HOLIDAYS_FILE 指向的 YAML 文件），格式如下（日期只是示例，以通知为准）：\n"
        f"{HOLIDAYS_FILE_SHAPE}\n"
        f"然后运行 xmt calendar check {year}，看到「文件」即可；运行中的机器人几分钟内自动读入，不必重启。"
        f"升级 chinesecalendar 到包含 {year} 年的版本（需重启）也可以。补好之前，每周提醒一次。"
    )
