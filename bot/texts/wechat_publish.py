"""Why WeChat refused or failed a publication, for the officer (issue 17; ``bot.channels.wechat.publish``).

Each reason is one sentence the requester can act on: what WeChat said, and who changes what where
(the account's administrator in 公众平台, the Information Center in the organisation file, the
author in the draft). The error codes and statuses are docs/wechat-publishing.md's.
"""

from __future__ import annotations

WECHAT_NO_COVER = ("微信公众号的图文消息必须有封面图片：请给稿件附上一张图片（第一张作为封面），"
                   "重新审核通过后再发布。")
WECHAT_API_UNAUTHORISED = ("微信拒绝了发布接口（48001 api unauthorized：该公众号没有此接口的权限）。"
                           "请公众号管理员在公众平台「接口权限」中查看；"
                           "也可在公众号后台自行发布后回复：已发布 编号 链接")
WECHAT_API_FORBIDDEN = ("微信已封禁该公众号的此项接口（48004）。请公众号管理员在公众平台查看原因；"
                        "也可在公众号后台自行发布后回复：已发布 编号 链接")
WECHAT_BAD_CREDENTIALS = ("微信不认可该公众号的 AppID 或 AppSecret（{code}）。请信息中心核对组织文件中"
                          "的配置（公众平台 → 设置与开发 → 基本配置 中可重置 AppSecret）。")
WECHAT_INVALID_MEDIA = ("微信不认可刚上传的素材编号（40007 invalid media_id）。请稍后重新发送：发布 编号；"
                        "仍不成功请联系信息中心。")
WECHAT_BAD_IMAGE_TYPE = ("微信不接受其中一张图片的格式（{code}）：正文图片只能是 JPG 或 PNG。"
                         "请更换图片后重新提交审核。")
WECHAT_BAD_IMAGE_SIZE = ("其中一张图片超过微信的大小限制（{code}）：正文图片须小于 1MB。"
                         "请压缩图片后重新提交审核。")
WECHAT_CONTENT_TOO_LONG = "正文超过微信的长度上限（须少于 2 万字符、小于 1MB）。请分成几篇后重新提交审核。"
WECHAT_TITLE_TOO_LONG = "标题超过微信的长度上限（45003）。请缩短标题（第一行）后重新提交审核。"
WECHAT_DIGEST_TOO_LONG = "摘要超过微信的长度上限（45004）。请缩短正文开头后重新提交审核。"
WECHAT_EMPTY_CONTENT = "微信认为图文内容为空（44003）。请检查稿件正文后重新提交审核。"
WECHAT_INVALID_CONTENT = "微信不接受正文内容（45166 invalid content）。请联系信息中心检查稿件格式。"
WECHAT_DRAFT_CHECK_FAILED = ("草稿未通过微信的发布检查（53503）。"
                             "请公众号管理员在公众平台草稿箱中打开该草稿查看原因，修改后重新提交审核。")
WECHAT_DRAFT_NEEDS_WEB = ("微信要求到公众平台官网使用这篇草稿（53504）。"
                          "请公众号管理员在公众平台草稿箱中发表，发表后回复：已发布 编号 链接")
WECHAT_DRAFT_SAVE_BY_HAND = ("微信要求先在公众平台官网手动保存这篇草稿再发表（53505）。"
                             "请公众号管理员在草稿箱中保存并发表，发表后回复：已发布 编号 链接")
WECHAT_UNKNOWN_PLACEHOLDER = "稿件正文引用了不存在的图片，无法发布。请联系信息中心。"

# publish_status of freepublish/get and PUBLISHJOBFINISH (docs/wechat-publishing.md)
WECHAT_STATUS_ORIGINAL_FAILED = "原创声明未通过（微信发布状态 2），文章未发布。可取消原创声明后重新发布。"
WECHAT_STATUS_FAILED = "微信发布失败（发布状态 3，常规失败，微信未说明原因）。请稍后重新发送：发布 编号。"
WECHAT_STATUS_REVIEW_REFUSED = ("微信平台审核不通过（发布状态 4），文章未发布。"
                                "请公众号管理员在公众平台查看通知。")
WECHAT_STATUS_DELETED = "文章发布成功后已被删除（发布状态 5）。"
WECHAT_STATUS_BANNED = "文章发布成功后被微信封禁（发布状态 6）。请公众号管理员在公众平台查看通知。"


def wechat_ip_not_allowed(ip: str) -> str:
    """40164 / 61004: this server's IP is not on the account's allow-list."""
    where = f"本服务器的 IP（{ip}）" if ip else "本服务器的 IP"
    return (f"微信拒绝了{where}：不在该公众号的 IP 白名单中（40164）。请公众号管理员在 公众平台 → 设置与开发"
            f" → 基本配置 → IP白名单 中添加{where}，约几分钟后生效，再重新发送：发布 编号")


def wechat_image_refused(name: str, why: str) -> str:
    """An image refused before upload, by the limits WeChat documents."""
    return f"图片「{name}」{why}，微信不接受。请更换或压缩后重新提交审核。"


WECHAT_IMAGE_NOT_JPG_PNG = "不是 JPG 或 PNG 格式（正文图片只能是这两种）"
WECHAT_IMAGE_OVER_1MB = "超过 1MB（正文图片须小于 1MB）"
WECHAT_IMAGE_COVER_OVER_10MB = "超过 10MB（封面图片上限）"
