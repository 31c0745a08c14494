"""Signing in to the console with WeCom (企业微信), issue 18 point 2; sources in docs/console-signin.md.

- **Inside WeCom** (its built-in browser, on a phone or the desktop client): web OAuth with
  ``scope=snsapi_base`` (silent: no prompt, the member's UserId only),
  ``https://open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&redirect_uri=…&response_type=code
  &scope=snsapi_base&state=…&agentid=AGENTID#wechat_redirect`` (doc 91022 构造网页授权链接).
- **In a desktop browser**: WeCom's Web登录 (the QR sign-in, or a one-click sign-in through the
  desktop client), ``https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=CORPID
  &agentid=AGENTID&redirect_uri=…&state=…`` (doc 98152 构造企业微信登录链接; it replaced the older
  ``open.work.weixin.qq.com/wwopen/sso/qrConnect``).
- Both come back to ``redirect_uri?code=CODE&state=STATE`` (no ``code`` when the member declined).
  The code is single-use and dies after 5 minutes; ``GET /cgi-bin/auth/getuserinfo?access_token=…
  &code=…`` (docs 96442 获取访问用户身份 and 98177 获取用户登录身份, both "适用于自建应用与代开发应用")
  turns it into ``{"userid": …}`` for a member of the organisation (whether or not in the app's
  visible range) or ``{"openid": …}`` for anyone else: refused here.
- The call goes through the channel's own ``WeComClient``: its cached access token, renewed once
  on 40014 / 41001 / 42001, and its HTTP session.

Errors (``bot.console_access.SignInError``): 40029 (invalid code: unknown, used or expired) →
refused; -1 busy, 45009 / 45033 limits, HTTP 5xx, a network error, a token refused twice →
unavailable; 50001 (the redirect domain is not the app's trusted domain) and a refused secret or
corpid → misconfigured; any other errcode → refused (the member may try again with a fresh code).
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.channels.base import ConfigurationError, DeliveryError
from bot.channels.wecom.client import BUSY, CONCURRENCY, FREQUENCY, WeComApiError, WeComClient
from bot.console_access import MISCONFIGURED, NOT_MEMBER, REFUSED, UNAVAILABLE, SignInError

OAUTH_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
WEB_LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
INVALID_CODE = 40029
UNTRUSTED_DOMAIN = 50001
UNAVAILABLE_CODES = frozenset({BUSY, CONCURRENCY, FREQUENCY})
MISCONFIGURED_CODES = frozenset({UNTRUSTED_DOMAIN, 40001, 40013, 40056, 41002, 41004, 48002, 60020})
CODE_MAX = 512  # "code长度最大为512字节" (91022)


class WeComSignIn:
    """``bot.console_access.PlatformSignIn`` for WeCom, over the channel's ``WeComClient``."""

    name = "wecom"
    label = "企业微信"
    code_param = "code"

    def __init__(self, client: WeComClient, agent_id: int) -> None:
        self.client = client
        self.agent_id = agent_id

    def authorize_url(self, redirect_uri: str, state: str, *, qr: bool) -> str:
        if qr:
            return WEB_LOGIN_URL + "?" + urlencode({
                "login_type": "CorpApp", "appid": self.client.corp_id, "agentid": str(self.agent_id),
                "redirect_uri": redirect_uri, "state": state})
        return OAUTH_URL + "?" + urlencode({
            "appid": self.client.corp_id, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": "snsapi_base", "state": state, "agentid": str(self.agent_id)}) + "#wechat_redirect"

    async def userid(self, code: str) -> str:
        if not code or len(code.encode()) > CODE_MAX:
            raise SignInError(REFUSED, "no code, or longer than WeCom's 512 bytes")
        try:
            result = await self.client.call("auth/getuserinfo", params={"code": code}, method="GET",
                                            check=False)
        except WeComApiError as exc:  # gettoken refused our corpid or secret
            raise SignInError(MISCONFIGURED if exc.errcode in MISCONFIGURED_CODES else UNAVAILABLE,
                              str(exc)) from None
        except ConfigurationError as exc:  # an HTTP 4xx: a wrong API base
            raise SignInError(MISCONFIGURED, str(exc)) from None
        except DeliveryError as exc:  # network, timeout, HTTP 5xx, a token refused after renewal
            raise SignInError(UNAVAILABLE, str(exc)) from None
        errcode = int(result.get("errcode", 0) or 0)
        if errcode:
            detail = f"WeCom auth/getuserinfo: errcode {errcode} {str(result.get('errmsg', ''))[:120]}"
            if errcode in UNAVAILABLE_CODES:
                raise SignInError(UNAVAILABLE, detail)
            if errcode in MISCONFIGURED_CODES:
                raise SignInError(MISCONFIGURED, detail)
            raise SignInError(REFUSED, detail)  # 40029 invalid code, and anything else
        userid = result.get("userid") or result.get("UserId")  # UserId: the older user/getuserinfo
        if isinstance(userid, str) and userid:
            return userid
        if result.get("openid") or result.get("OpenId"):
            raise SignInError(NOT_MEMBER, "WeCom: not a member of the organisation (openid)")
        raise SignInError(REFUSED, "WeCom auth/getuserinfo: neither userid nor openid")
