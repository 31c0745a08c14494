"""Signing in to the console with DingTalk (钉钉), issue 18 point 2; sources in docs/console-signin.md.

- **The page**: ``https://login.dingtalk.com/oauth2/auth?redirect_uri=…&response_type=code
  &client_id=APPKEY&scope=openid&state=…&prompt=consent`` (钉钉 "OAuth登录授权" / 登录第三方网站).
  The same URL serves both cases: in a desktop browser it shows the QR code (or the account
  sign-in); inside DingTalk the member is already signed in and passes through. ``qr`` changes
  nothing here.
- **The way back**: ``redirect_uri?authCode=…&state=…`` — the code's parameter is ``authCode``,
  not ``code`` (``code_param``); a refusal comes back without it.
- **Code → userid**, three calls:
  1. ``POST {api}/v1.0/oauth2/userAccessToken`` ``{clientId, clientSecret, code,
     grantType: "authorization_code"}`` → ``{accessToken, refreshToken, expireIn, corpId}``: a
     *user* token, used once here and then dropped;
  2. ``GET {api}/v1.0/contact/users/me`` with ``x-acs-dingtalk-access-token: <user token>`` →
     ``{nick, unionId, openId, …}`` (needs the app's 通讯录个人信息读权限);
  3. ``POST {oapi}/topapi/user/getbyunionid?access_token=<app token>`` ``{unionid}`` →
     ``{"errcode": 0, "result": {"contact_type": 0, "userid": …}}``: the app's token from the
     channel's ``DingTalkClient`` cache (renewed once when refused); ``contact_type`` 1 is an
     external contact, not a member.
  All three go through the channel client's HTTP session.

Errors (``bot.console_access.SignInError``): a network error, a timeout, HTTP 5xx / 429,
``system.busy``, flow control → unavailable; ``invalidClientIdOrSecret`` and ``Forbidden.*`` (a
permission the app lacks) → misconfigured; any other 4xx on the user token (the code unknown,
used or expired: DingTalk documents no single code for it) → refused; 60121 (找不到该用户) from
getbyunionid or ``contact_type`` 1 → not a member.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bot.channels.base import DeliveryError
from bot.channels.dingtalk.client import DingTalkClient
from bot.console_access import MISCONFIGURED, NOT_MEMBER, REFUSED, UNAVAILABLE, SignInError
from bot.directory import DirectoryError, DirectoryThrottled, NoPermission

AUTH_URL = "https://login.dingtalk.com/oauth2/auth"
USER_NOT_FOUND = "60121"  # 找不到该用户
EXTERNAL_CONTACT = 1  # getbyunionid's contact_type: 0 a member, 1 an external contact
CODE_MAX = 512


class DingTalkSignIn:
    """``bot.console_access.PlatformSignIn`` for DingTalk, over the channel's ``DingTalkClient``."""

    name = "dingtalk"
    label = "钉钉"
    code_param = "authCode"

    def __init__(self, client: DingTalkClient, client_secret: str) -> None:
        self.client = client
        self._secret = client_secret

    def __repr__(self) -> str:  # never show the secret
        return f"DingTalkSignIn(client_id={self.client.app_key!r})"

    def authorize_url(self, redirect_uri: str, state: str, *, qr: bool) -> str:
        return AUTH_URL + "?" + urlencode({
            "redirect_uri": redirect_uri, "response_type": "code", "client_id": self.client.app_key,
            "scope": "openid", "state": state, "prompt": "consent"})

    async def userid(self, code: str) -> str:
        if not code or len(code.encode()) > CODE_MAX:
            raise SignInError(REFUSED, "no authCode, or an overlong one")
        status, token = await self._call("POST", "/v1.0/oauth2/userAccessToken", json={
            "clientId": self.client.app_key, "clientSecret": self._secret, "code": code,
            "grantType": "authorization_code"})
        if status != 200 or not token.get("accessToken"):
            raise self._refusal("oauth2/userAccessToken", status, token, otherwise=REFUSED)
        status, me = await self._call("GET", "/v1.0/contact/users/me",
                                      headers={"x-acs-dingtalk-access-token": str(token["accessToken"])})
        union_id = me.get("unionId")
        if status != 200 or not isinstance(union_id, str) or not union_id:
            raise self._refusal("contact/users/me", status, me, otherwise=UNAVAILABLE)
        try:
            found = await self.client._topapi("topapi/user/getbyunionid", {"unionid": union_id},
                                              missing=frozenset({USER_NOT_FOUND}))
        except (NoPermission, DirectoryThrottled) as exc:
            raise SignInError(MISCONFIGURED if isinstance(exc, NoPermission) else UNAVAILABLE,
                              str(exc)) from None
        except DirectoryError as exc:  # network, token refused twice, any other errcode
            raise SignInError(UNAVAILABLE, str(exc)) from None
        result = (found or {}).get("result") or {}
        userid = result.get("userid") if isinstance(result, dict) else None
        if found is None or not isinstance(userid, str) or not userid \
                or result.get("contact_type") == EXTERNAL_CONTACT:
            raise SignInError(NOT_MEMBER, "DingTalk: the unionId is no member of the organisation")
        return userid

    async def _call(self, method: str, path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        """One call on the new API through the channel client's session: (status, JSON object)."""
        try:
            return await self.client._send(method, self.client.api_base + path, path, **kw)
        except DeliveryError as exc:  # network, timeout
            raise SignInError(UNAVAILABLE, str(exc)) from None

    @staticmethod
    def _refusal(what: str, status: int, data: dict[str, Any], *, otherwise: str) -> SignInError:
        """The error for an answer that is not a success (see the module docstring)."""
        code = str(data.get("code") or f"HTTP {status}")
        detail = f"DingTalk {what}: {code} {str(data.get('message') or '')[:120]}".rstrip()
        if status >= 500 or status == 429 or code == "system.busy" or "QpsLimit" in code \
                or data.get("status") == 1111:
            return SignInError(UNAVAILABLE, detail)
        if code == "invalidClientIdOrSecret" or code.startswith("Forbidden."):
            return SignInError(MISCONFIGURED, detail)
        if status == 200:  # 200 without what we asked for
            return SignInError(UNAVAILABLE, detail)
        return SignInError(otherwise, detail)
