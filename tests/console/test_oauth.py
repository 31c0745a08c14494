"""Signing in to the console through WeCom and DingTalk (issue 18, point 2; Art. 2: the Information
Center supervises every account; Art. 6: a department head answers for their department's; nobody
else sees the console). The real console routes, the real platform clients (tokens, sessions)
and fake WeCom / DingTalk servers on 127.0.0.1 speaking the exchange endpoints; the platform's own
sign-in page is skipped: the test takes the state from the redirect and brings the code the fake
issued, as the platform's redirect would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot import texts
from bot.app import create_app
from bot.channels.dingtalk.client import DingTalkClient
from bot.channels.dingtalk.oauth import DingTalkSignIn
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.oauth import WeComSignIn
from bot.console_access import PlatformSignIn, person_for
from console import app as console_app
from models import AuditEvent, Person
from tests.conftest import World, make_settings
from tests.fake_dingtalk import ERR_SYSTEM_BUSY, FakeDingTalk
from tests.fake_wecom import FakeWeCom, ManualClock

AGENT_ID = 1000002
WANGWU_DT = "0166251434231063"  # DingTalk userids of the demo people (the org file has WeCom's only)
LISI_DT = "manager4220"
ZHANGSAN_DT = "01201524543726305"
WXWORK_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 wxwork/4.1.26 MicroMessenger/7.0.1 Language/zh "
             "ColorScheme/Light")
DINGTALK_UA = ("Mozilla/5.0 (Linux; U; Android 13; zh-CN; V2227A Build/TP1A.220624.014) "
               "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 Mobile "
               "Safari/537.36 AliApp(DingTalk/7.6.5) com.alibaba.android.rimet/40000000 Channel/227200 "
               "language/zh-CN UT4Aplus/0.2.25")


@dataclass
class Platforms:
    client: TestClient[web.Request, web.Application]
    world: World
    wecom: FakeWeCom
    dingtalk: FakeDingTalk

    async def start(self, platform: str, *, qr: bool = True, user_agent: str = "") -> dict[str, str]:
        """``GET /console/oauth/<platform>``: the query of the platform URL it redirects to."""
        headers = {"User-Agent": user_agent} if user_agent else {}
        response = await self.client.get(f"/console/oauth/{platform}" + ("?qr=1" if qr else ""),
                                         headers=headers, allow_redirects=False)
        assert response.status == 302, await response.text()
        return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}

    async def back(self, platform: str, state: str | None, code: str | None) -> web.StreamResponse:
        """The platform's redirect to our callback (WeCom's code is ``code``, DingTalk's ``authCode``)."""
        params = {"state": state} if state is not None else {}
        if code is not None:
            params["authCode" if platform == "dingtalk" else "code"] = code
        return await self.client.get(f"/console/oauth/{platform}/callback", params=params,
                                     allow_redirects=False)  # type: ignore[return-value]

    def code(self, platform: str, who: str) -> str:
        """A code the platform issued for ``who`` (a WeCom userid, or a DingTalk one)."""
        return (self.wecom.issue_login_code(who) if platform == "wecom"
                else self.dingtalk.issue_auth_code(who))

    async def sign_in(self, platform: str, code: str) -> web.StreamResponse:
        query = await self.start(platform)
        return await self.back(platform, query["state"], code)

    async def refused(self, response: web.StreamResponse, status: int, message: str) -> None:
        assert response.status == status
        assert message in await response.text()  # type: ignore[attr-defined]
        assert (await self.client.get("/console/", allow_redirects=False)).status == 303  # not signed in


@pytest.fixture
async def platforms(world: World, aiohttp_client: object) -> AsyncIterator[Platforms]:
    wecom, dingtalk = FakeWeCom(), FakeDingTalk()
    await wecom.start()
    await dingtalk.start()
    dingtalk.add_department(2, "宣传科")
    for userid, name, mobile in ((WANGWU_DT, "王五", "13800000001"), (LISI_DT, "李四", "13800000003"),
                                 (ZHANGSAN_DT, "张三", "13800000004")):
        dingtalk.add_person(userid, name, mobile, departments=(2,))
    for code, userid in (("wangwu", WANGWU_DT), ("lisi", LISI_DT), ("zhangsan", ZHANGSAN_DT)):
        await Person.filter(code=code).update(dingtalk_userid=userid)
    wecom_client = WeComClient(base=wecom.base_url, corp_id=wecom.corp_id, secret=wecom.secret, timeout=2.0)
    dingtalk_client = DingTalkClient(api_base=dingtalk.base_url, oapi_base=dingtalk.base_url,
                                     app_key=dingtalk.app_key, app_secret=dingtalk.app_secret, timeout=2.0)
    signins: list[PlatformSignIn] = [WeComSignIn(wecom_client, AGENT_ID),
                                     DingTalkSignIn(dingtalk_client, dingtalk.app_secret)]
    app = web.Application()
    app.add_subapp("/console/", console_app.build(world.bot.deps, signins=signins))
    client = await aiohttp_client(app)  # type: ignore[operator]
    yield Platforms(client, world, wecom, dingtalk)
    await wecom_client.close()
    await dingtalk_client.close()
    await wecom.stop()
    await dingtalk.stop()


def callback(world: World, platform: str) -> str:
    return f"{world.bot.deps.settings.site_url}/console/oauth/{platform}/callback"


# -- the whole way through ----------------------------------------------------------------------


async def test_the_information_center_signs_in_with_wecom(platforms: Platforms) -> None:
    query = await platforms.start("wecom")
    assert query["login_type"] == "CorpApp" and query["appid"] == platforms.wecom.corp_id
    assert query["agentid"] == str(AGENT_ID) and query["redirect_uri"] == callback(platforms.world, "wecom")
    assert query["state"].isalnum() and len(query["state"]) == 32  # WeCom: a-zA-Z0-9, up to 128 bytes
    code = platforms.wecom.issue_login_code("wangwu")
    response = await platforms.back("wecom", query["state"], code)
    assert response.status == 303 and response.headers["Location"] == "/console/"
    home = await platforms.client.get("/console/")
    assert home.status == 200 and "王五（信息中心）" in await home.text()
    event = await AuditEvent.get(action="console_signed_in")
    assert event.actor == "wangwu" and event.detail == {"via": "wecom"}
    assert platforms.wecom.logins == [{"userid": "wangwu"}] and platforms.wecom.tokens_issued == 1


async def test_a_head_signs_in_with_dingtalk_and_sees_their_department_only(platforms: Platforms) -> None:
    query = await platforms.start("dingtalk")
    assert query["client_id"] == platforms.dingtalk.app_key and query["scope"] == "openid"
    assert query["prompt"] == "consent" and query["response_type"] == "code"
    assert query["redirect_uri"] == callback(platforms.world, "dingtalk")
    response = await platforms.back("dingtalk", query["state"], platforms.dingtalk.issue_auth_code(LISI_DT))
    assert response.status == 303 and response.headers["Location"] == "/console/"
    home = await platforms.client.get("/console/")
    assert home.status == 200 and "李四（部门负责人）" in await home.text()
    event = await AuditEvent.get(action="console_signed_in")
    assert event.actor == "lisi" and event.detail == {"via": "dingtalk"}
    assert platforms.dingtalk.calls["topapi/user/getbyunionid"] == 1


async def test_a_refused_app_token_is_renewed_once_and_the_sign_in_goes_through(platforms: Platforms) -> None:
    """The sign-in uses the channel's own token cache: a token WeCom stopped accepting (42001) is
    fetched again and the exchange retried once."""
    assert (await platforms.sign_in("wecom", platforms.wecom.issue_login_code("wangwu"))).status == 303
    platforms.client.session.cookie_jar.clear()
    platforms.wecom.expire_tokens()
    assert (await platforms.sign_in("wecom", platforms.wecom.issue_login_code("lisi"))).status == 303
    assert platforms.wecom.tokens_issued == 2 and platforms.wecom.calls["auth/getuserinfo"] == 3


async def test_wecom_userids_match_whatever_their_case(platforms: Platforms) -> None:
    response = await platforms.sign_in("wecom", platforms.wecom.issue_login_code("WangWu"))
    assert response.status == 303
    assert await person_for("wecom", "WANGWU") is not None
    assert await person_for("dingtalk", "wangwu") is None


# -- the state ------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["wecom", "dingtalk"])
async def test_a_forged_or_missing_state_is_refused_before_the_platform_is_asked(
        platforms: Platforms, platform: str) -> None:
    code = platforms.code(platform, "wangwu" if platform == "wecom" else WANGWU_DT)
    await platforms.start(platform)
    await platforms.refused(await platforms.back(platform, "A" * 32, code), 400, texts.CONSOLE_OAUTH_STATE)
    await platforms.start(platform)
    await platforms.refused(await platforms.back(platform, None, code), 400, texts.CONSOLE_OAUTH_STATE)
    query = await platforms.start("dingtalk" if platform == "wecom" else "wecom")  # the other's state
    await platforms.refused(await platforms.back(platform, query["state"], code), 400,
                            texts.CONSOLE_OAUTH_STATE)
    assert platforms.wecom.calls["auth/getuserinfo"] == 0
    assert platforms.dingtalk.calls["oauth2/userAccessToken"] == 0
    assert await AuditEvent.filter(action="console_signed_in").count() == 0


async def test_a_state_from_another_browser_is_refused(platforms: Platforms) -> None:
    query = await platforms.start("wecom")
    platforms.client.session.cookie_jar.clear()  # the link opened where it was not started
    response = await platforms.back("wecom", query["state"], platforms.code("wecom", "wangwu"))
    await platforms.refused(response, 400, texts.CONSOLE_OAUTH_STATE)


async def test_a_state_works_once(platforms: Platforms) -> None:
    query = await platforms.start("wecom")
    first = await platforms.back("wecom", query["state"], platforms.wecom.issue_login_code("wangwu"))
    assert first.status == 303
    again = await platforms.back("wecom", query["state"], platforms.wecom.issue_login_code("wangwu"))
    assert again.status == 400 and texts.CONSOLE_OAUTH_STATE in await again.text()  # type: ignore[attr-defined]
    assert await AuditEvent.filter(action="console_signed_in").count() == 1


async def test_a_state_spent_by_a_refusal_cannot_be_used_again(platforms: Platforms) -> None:
    query = await platforms.start("wecom")
    await platforms.refused(await platforms.back("wecom", query["state"], "not-a-code"), 400,
                            texts.CONSOLE_OAUTH_CODE)
    response = await platforms.back("wecom", query["state"], platforms.code("wecom", "wangwu"))
    await platforms.refused(response, 400, texts.CONSOLE_OAUTH_STATE)


async def test_a_state_older_than_ten_minutes_is_refused(platforms: Platforms) -> None:
    query = await platforms.start("dingtalk")
    platforms.world.clock.advance(minutes=10)
    await platforms.refused(await platforms.back("dingtalk", query["state"],
                                                 platforms.dingtalk.issue_auth_code(WANGWU_DT)),
                            400, texts.CONSOLE_OAUTH_STATE)


async def test_declining_at_the_platform_signs_no_one_in(platforms: Platforms) -> None:
    query = await platforms.start("wecom")  # WeCom comes back with the state and no code
    response = await platforms.back("wecom", query["state"], None)
    await platforms.refused(response, 400, texts.CONSOLE_OAUTH_DECLINED)


# -- the code and the person ------------------------------------------------------------------------


async def test_a_used_or_unknown_code_is_refused(platforms: Platforms) -> None:
    code = platforms.wecom.issue_login_code("wangwu")
    assert (await platforms.sign_in("wecom", code)).status == 303
    platforms.client.session.cookie_jar.clear()
    await platforms.refused(await platforms.sign_in("wecom", code), 400, texts.CONSOLE_OAUTH_CODE)
    auth_code = platforms.dingtalk.issue_auth_code(WANGWU_DT)
    assert (await platforms.sign_in("dingtalk", auth_code)).status == 303
    platforms.client.session.cookie_jar.clear()
    await platforms.refused(await platforms.sign_in("dingtalk", auth_code), 400, texts.CONSOLE_OAUTH_CODE)
    await platforms.refused(await platforms.sign_in("dingtalk", "0" * 32), 400, texts.CONSOLE_OAUTH_CODE)
    assert await AuditEvent.filter(action="console_signed_in").count() == 2


async def test_a_wecom_code_older_than_five_minutes_is_refused(world: World, aiohttp_client: object) -> None:
    clock = ManualClock()
    async with FakeWeCom(clock=clock) as fake:
        client = WeComClient(base=fake.base_url, corp_id=fake.corp_id, secret=fake.secret)
        app = web.Application()
        signins = [WeComSignIn(client, AGENT_ID)]
        app.add_subapp("/console/", console_app.build(world.bot.deps, signins=signins))
        http = await aiohttp_client(app)  # type: ignore[operator]
        code = fake.issue_login_code("wangwu")
        clock.advance(300)
        start = await http.get("/console/oauth/wecom", allow_redirects=False)
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        response = await http.get("/console/oauth/wecom/callback", params={"code": code, "state": state},
                                  allow_redirects=False)
        assert response.status == 400 and texts.CONSOLE_OAUTH_CODE in await response.text()
        await client.close()


async def test_someone_outside_the_organisation_is_refused(platforms: Platforms) -> None:
    await platforms.refused(await platforms.sign_in("wecom", platforms.wecom.issue_outsider_code()), 403,
                            texts.CONSOLE_OAUTH_NOT_MEMBER)
    assert platforms.wecom.logins == [{"openid": "oDjGHs-1yCnGrRovBj2yHij5JL6E"}]
    outsider = platforms.dingtalk.issue_outsider_auth_code()
    response = await platforms.sign_in("dingtalk", outsider)
    await platforms.refused(response, 403, texts.CONSOLE_OAUTH_NOT_MEMBER)
    platforms.dingtalk.external_contacts.add(platforms.dingtalk.union_id(LISI_DT))
    await platforms.refused(await platforms.sign_in("dingtalk", platforms.dingtalk.issue_auth_code(LISI_DT)),
                            403, texts.CONSOLE_OAUTH_NOT_MEMBER)


async def test_a_member_who_is_neither_the_information_center_nor_a_head_is_refused(
        platforms: Platforms) -> None:
    for platform, who in (("wecom", "zhangsan"), ("dingtalk", ZHANGSAN_DT)):
        response = await platforms.sign_in(platform, platforms.code(platform, who))
        await platforms.refused(response, 403, texts.CONSOLE_NO_ACCESS)
    assert await AuditEvent.filter(action="console_signed_in").count() == 0


async def test_a_member_we_do_not_know_or_who_was_deactivated_is_refused(platforms: Platforms) -> None:
    response = await platforms.sign_in("wecom", platforms.code("wecom", "wangxiaoer"))
    await platforms.refused(response, 403, texts.CONSOLE_OAUTH_UNKNOWN_PERSON)
    await Person.filter(code="wangwu").update(active=False)
    await platforms.refused(await platforms.sign_in("wecom", platforms.wecom.issue_login_code("wangwu")), 403,
                            texts.CONSOLE_OAUTH_UNKNOWN_PERSON)


# -- the platform down or our setup refused ---------------------------------------------------------


async def test_wecom_down_is_a_page_that_says_so(platforms: Platforms) -> None:
    for fault in ("http500", -1, 45009):
        platforms.wecom.fail("auth/getuserinfo", fault)
        await platforms.refused(await platforms.sign_in("wecom", platforms.wecom.issue_login_code("wangwu")),
                                502, texts.CONSOLE_OAUTH_UNAVAILABLE)
    platforms.wecom.timeout_delay = 3.0  # longer than the client's 2 s
    platforms.wecom.fail("auth/getuserinfo", "timeout")
    await platforms.refused(await platforms.sign_in("wecom", platforms.wecom.issue_login_code("wangwu")),
                            502, texts.CONSOLE_OAUTH_UNAVAILABLE)


async def test_dingtalk_down_at_any_of_its_three_steps_is_a_page_that_says_so(platforms: Platforms) -> None:
    for path, fault in (("oauth2/userAccessToken", "busy"), ("contact/users/me", "http500"),
                        ("topapi/user/getbyunionid", ERR_SYSTEM_BUSY)):
        platforms.dingtalk.fail(path, fault)
        response = await platforms.sign_in("dingtalk", platforms.code("dingtalk", LISI_DT))
        await platforms.refused(response, 502, texts.CONSOLE_OAUTH_UNAVAILABLE)
        assert platforms.dingtalk.pending_faults(path) == 0


async def test_a_platform_out_of_reach_is_a_page_that_says_so(platforms: Platforms) -> None:
    code, auth_code = platforms.code("wecom", "wangwu"), platforms.code("dingtalk", LISI_DT)
    await platforms.wecom.stop()
    await platforms.dingtalk.stop()
    for platform, issued in (("wecom", code), ("dingtalk", auth_code)):
        response = await platforms.sign_in(platform, issued)
        await platforms.refused(response, 502, texts.CONSOLE_OAUTH_UNAVAILABLE)


async def test_our_own_setup_refused_is_a_page_that_says_so(world: World, aiohttp_client: object) -> None:
    async with FakeWeCom() as wecom, FakeDingTalk() as dingtalk:
        wecom_client = WeComClient(base=wecom.base_url, corp_id=wecom.corp_id, secret="wrong-secret")
        dingtalk_client = DingTalkClient(api_base=dingtalk.base_url, oapi_base=dingtalk.base_url,
                                         app_key=dingtalk.app_key, app_secret=dingtalk.app_secret)
        signins: list[PlatformSignIn] = [WeComSignIn(wecom_client, AGENT_ID),
                                         DingTalkSignIn(dingtalk_client, "wrong-secret")]
        app = web.Application()
        app.add_subapp("/console/", console_app.build(world.bot.deps, signins=signins))
        http = await aiohttp_client(app)  # type: ignore[operator]
        dingtalk.add_person(LISI_DT, "李四", "13800000003")
        for platform, code in (("wecom", wecom.issue_login_code("wangwu")),
                               ("dingtalk", dingtalk.issue_auth_code(LISI_DT))):
            start = await http.get(f"/console/oauth/{platform}", allow_redirects=False)
            state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
            name = "authCode" if platform == "dingtalk" else "code"
            response = await http.get(f"/console/oauth/{platform}/callback",
                                      params={name: code, "state": state}, allow_redirects=False)
            assert response.status == 502 and texts.CONSOLE_OAUTH_MISCONFIGURED in await response.text()
        await wecom_client.close()
        await dingtalk_client.close()


# -- the pages ----------------------------------------------------------------------------------------


async def test_the_bot_wires_the_configured_platforms_sign_ins(world: World, aiohttp_client: object) -> None:
    """``create_app`` hands the console the WeCom and DingTalk channels' sign-ins, with their clients."""
    async with FakeWeCom() as wecom, FakeDingTalk() as dingtalk:
        settings = make_settings(
            simulator=False, public_url="http://xmt.example.gov.cn",  # no Secure cookie over the test's http
            wecom_corp_id=wecom.corp_id, wecom_agent_id=AGENT_ID, wecom_secret=wecom.secret,
            wecom_token="tok-tok", wecom_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            wecom_api_base=wecom.base_url, dingtalk_client_id=dingtalk.app_key,
            dingtalk_client_secret=dingtalk.app_secret, dingtalk_robot_code=dingtalk.app_key,
            dingtalk_card_template_id="T.schema", dingtalk_api_base=dingtalk.base_url,
            dingtalk_oapi_base=dingtalk.base_url)
        http = await aiohttp_client(create_app(  # type: ignore[operator]
            settings, manage_database=False, run_worker=False, run_scheduler=False))
        body = await (await http.get("/console/signin")).text()
        assert "用企业微信登录" in body and "用钉钉登录" in body
        start = await http.get("/console/oauth/wecom", allow_redirects=False)
        query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
        assert query["redirect_uri"] == "http://xmt.example.gov.cn/console/oauth/wecom/callback"
        response = await http.get("/console/oauth/wecom/callback", allow_redirects=False,
                                  params={"code": wecom.issue_login_code("lisi"), "state": query["state"]})
        assert response.status == 303 and wecom.logins == [{"userid": "lisi"}]
        await http.close()  # the platform sessions close with the app, before the fakes stop



async def test_the_sign_in_page_offers_each_configured_platform(platforms: Platforms) -> None:
    body = await (await platforms.client.get("/console/signin")).text()
    assert 'href="/console/oauth/wecom?qr=1"' in body and "用企业微信登录" in body
    assert 'href="/console/oauth/dingtalk?qr=1"' in body and "用钉钉登录" in body
    for ua, platform in ((WXWORK_UA, "wecom"), (DINGTALK_UA, "dingtalk")):  # in its browser: straight on
        response = await platforms.client.get("/console/signin", headers={"User-Agent": ua},
                                              allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == f"/console/oauth/{platform}"
        out = await platforms.client.get("/console/signin?out=1", headers={"User-Agent": ua},
                                         allow_redirects=False)
        assert out.status == 200  # just signed out: not signed straight back in


async def test_the_simulator_offers_the_link_from_chat_only(world: World, aiohttp_client: object) -> None:
    app = web.Application()
    app.add_subapp("/console/", console_app.build(world.bot.deps))
    http = await aiohttp_client(app)  # type: ignore[operator]
    body = await (await http.get("/console/signin")).text()
    assert "登录后台" in body and "/console/oauth/" not in body
    response = await http.get("/console/oauth/wecom", allow_redirects=False)
    assert response.status == 404 and texts.CONSOLE_OAUTH_UNKNOWN_PLATFORM in await response.text()


async def test_inside_the_platforms_browser_the_in_app_oauth_is_used(platforms: Platforms) -> None:
    query = await platforms.start("wecom", user_agent=WXWORK_UA)  # even if the QR button was pressed
    assert query["scope"] == "snsapi_base" and query["agentid"] == str(AGENT_ID)
    response = await platforms.client.get("/console/oauth/wecom", allow_redirects=False)
    assert response.headers["Location"].startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert response.headers["Location"].endswith("#wechat_redirect")
    query = await platforms.start("dingtalk", user_agent=DINGTALK_UA)
    assert query["client_id"] == platforms.dingtalk.app_key


async def test_an_unknown_platform_is_a_404_page(platforms: Platforms) -> None:
    for path in ("/console/oauth/feishu", "/console/oauth/feishu/callback?code=x&state=y"):
        response = await platforms.client.get(path, allow_redirects=False)
        assert response.status == 404 and texts.CONSOLE_OAUTH_UNKNOWN_PLATFORM in await response.text()


# -- the URLs, as each platform documents them --------------------------------------------------------


def test_wecom_authorize_urls() -> None:
    signin = WeComSignIn(WeComClient(base="https://qyapi.weixin.qq.com", corp_id="ww1f2e3d4c5b6a7980",
                                     secret="s"), 1000002)
    back = "https://xmt.example.gov.cn/console/oauth/wecom/callback"
    assert signin.authorize_url(back, "Zt9", qr=False) == (
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww1f2e3d4c5b6a7980"
        "&redirect_uri=https%3A%2F%2Fxmt.example.gov.cn%2Fconsole%2Foauth%2Fwecom%2Fcallback"
        "&response_type=code&scope=snsapi_base&state=Zt9&agentid=1000002#wechat_redirect")
    assert signin.authorize_url(back, "Zt9", qr=True) == (
        "https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww1f2e3d4c5b6a7980"
        "&agentid=1000002&redirect_uri=https%3A%2F%2Fxmt.example.gov.cn%2Fconsole%2Foauth%2Fwecom%2Fcallback"
        "&state=Zt9")


def test_dingtalk_authorize_url_is_the_same_for_a_qr_and_inside_dingtalk() -> None:
    client = DingTalkClient(api_base="https://api.dingtalk.com", app_key="dingqhnzw1xbagt6rxyz",
                            app_secret="top-secret-value")
    signin = DingTalkSignIn(client, "top-secret-value")
    back = "https://xmt.example.gov.cn/console/oauth/dingtalk/callback"
    url = signin.authorize_url(back, "Zt9", qr=True)
    assert url == signin.authorize_url(back, "Zt9", qr=False) == (
        "https://login.dingtalk.com/oauth2/auth?redirect_uri=https%3A%2F%2Fxmt.example.gov.cn%2Fconsole"
        "%2Foauth%2Fdingtalk%2Fcallback&response_type=code&client_id=dingqhnzw1xbagt6rxyz&scope=openid"
        "&state=Zt9&prompt=consent")
    assert "top-secret-value" not in repr(signin)
