"""Hostile requests for every public endpoint, built as an attacker (or a confused platform) would.

Shared by ``tests/test_hostile.py`` (hundreds of generated requests in classes) and the
Hypothesis modules (``tests/test_fuzz_endpoints.py``, ``tests/test_fuzz_stream.py``). What is here:

- ``Signer``: really signed requests for each endpoint — WeCom (sha1 over token, timestamp, nonce,
  ``Encrypt``; AES-CBC frames), a WeChat official account in plain and safe mode, DingTalk robot
  (``timestamp``/``sign``) and card (``x-ddpaas-signature*``) callbacks, DingTalk's encrypted
  event subscription (``POST /dingtalk/event``: sha1 over token, timestamp in ms, nonce and
  ``encrypt``, in either query naming; the same AES frame with the AppKey as receive id), the
  intake's bearer tokens. Signatures are computed here from the protocol, not with the code under
  test, so a bug in the bot's signing cannot hide itself. The AES frame (random 16 bytes, 4-byte
  big-endian length, message, receive id, PKCS#7 to 32) is built by hand so that broken frames
  can be signed too: a valid signature over a broken frame reaches the decryption code.
- ``Req`` and ``send``: a request as data, sent with aiohttp's client or, when it carries bytes a
  client refuses (header values that are not UTF-8), as raw HTTP/1.1 over an asyncio socket.
- ``HostileGen``: the request classes of the hostile test, each a generator driven by one
  ``random.Random(seed)`` so that any failure replays from its seed. ``dingtalk_event`` holds
  only refusals of ``/dingtalk/event`` (parameters, signatures, timestamps, body, ``encrypt``,
  another app's frame, plaintexts of wrong types), so its whole state is compared.

Why so many classes: an attacker tried about 900 such requests against ``xmt serve`` and found
84 answered 500 (timestamps of 400 digits, non-UTF-8 header bytes, RecursionError from deep
nesting, struct.error from broken AES frames, TypeError from ``actionIds: 5``...), events
accepted and then stuck, and one poisoned row failing its whole write batch.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.wecom_callbacks import AES_KEY, AGENT_ID, CORP_ID, TOKEN

# A WeChat official account of the demo organisation (某某发布), with real-shaped settings.
WECHAT_ACCOUNT = "某某发布"
WECHAT_APP_ID = "wx5823bf96d3bd56c7"
WECHAT_TOKEN = "QDG6eK8pLmN3rT5vX7zB9dF1hJ2kM4nP"
WECHAT_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
# DingTalk's HTTP event subscription (XMT_DINGTALK_EVENT_TOKEN / XMT_DINGTALK_EVENT_AES_KEY): the
# console's 签名 token and 43-character 加密 aes_key; a frame's owner key is the app's AppKey.
DING_APP_KEY = "dingtestappkey"
DING_EVENT_TOKEN = "Kp4vXe9LmQ2rTz7N"
DING_EVENT_AES_KEY = "h7Rk2Qm9XvT4pLw8Nz3Bc6Df1Gj5Hs0Ya2Ue7Io4Kb9"
# Two intake sources (XMT_INTAKE_TOKENS).
INTAKE = {"weibo": "weibo-intake-token-7f3a9c2e1b", "toutiao": "toutiao-intake-token-4d8e6a0c9f"}
INTAKE_TOKENS = ",".join(f"{source}={token}" for source, token in INTAKE.items())

# Real shapes: WeChat openid 28 characters, WeCom userid up to 64, DingTalk userId/staffId.
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
DING_IDS = {
    "zhangsan": "manager4220",
    "lisi": "0634412255847012",
    "chenqi": "01234567890123456789",
    "zhouba": "manager7781",
    "wujiu": "2534680157-1928374650",
    "wangwu": "manager0001",
    "zhaoliu": "086523123526264",
}

REFUSE, ANY = "refuse", "any"  # what a class must get: a 4xx, or anything below 500


def fuzz_examples(default: int = 40) -> int:
    """Examples per Hypothesis test: small in the normal suite, thousands under ``make fuzz``."""
    return int(os.environ.get("XMT_FUZZ_EXAMPLES", str(default)))


# -- signing ----------------------------------------------------------------------------------------
def sha1_sorted(*values: str) -> str:
    return hashlib.sha1("".join(sorted(values)).encode("utf-8", "surrogatepass")).hexdigest()  # noqa: S324


def hmac_b64(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def aes_key(encoding_aes_key: str) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def frame(
    message: bytes, receive_id: str, *, prefix: bytes = b"0123456789abcdef", length: int | None = None
) -> bytes:
    """The plaintext of an AES envelope, unpadded."""
    size = len(message) if length is None else length
    return prefix + struct.pack(">I", size & 0xFFFFFFFF) + message + receive_id.encode()


def pkcs7(data: bytes, block: int = 32) -> bytes:
    pad = block - len(data) % block
    return data + bytes([pad]) * pad


def encrypt_raw(key: bytes, plaintext: bytes) -> str:
    """AES-256-CBC with iv = key[:16], no padding added (the caller pads, or breaks the padding)."""
    assert len(plaintext) % 16 == 0
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plaintext) + enc.finalize()).decode()


def encrypt(key: bytes, message: str | bytes, receive_id: str) -> str:
    raw = message.encode() if isinstance(message, str) else message
    return encrypt_raw(key, pkcs7(frame(raw, receive_id)))


def broken_frames(key: bytes, receive_id: str, rnd: random.Random) -> list[tuple[str, str]]:
    """(name, base64 ciphertext) of frames that strict PKCS#7 and length checks must refuse."""
    msg = b"<xml><ToUserName>x</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>"
    good = frame(msg, receive_id)
    padded = pkcs7(good)
    pad = padded[-1]
    out: list[tuple[str, str]] = []

    def last(value: int, base: bytes = padded) -> bytes:
        return base[:-1] + bytes([value])

    out.append(("pad byte 0", encrypt_raw(key, last(0))))
    out.append(("pad 33", encrypt_raw(key, last(33))))
    out.append(("pad 255", encrypt_raw(key, last(rnd.randint(34, 255)))))
    # a 32-byte frame whose pad eats into the 20-byte header (16 random + 4 length)
    short = b"0123456789abcdef" + b"\x00\x00\x00\x05" + b"abcdefghijk" + b"\x00"
    out.append(("pad into header", encrypt_raw(key, short[:-1] + bytes([rnd.randint(13, 32)]))))
    out.append(("pad is the whole frame", encrypt_raw(key, bytes([32]) * 32)))
    if pad >= 2:
        bad = bytearray(padded)
        bad[-2] = (pad + 1) % 256
        out.append(("inconsistent pad bytes", encrypt_raw(key, bytes(bad))))
    else:  # make room for a multi-byte pad
        bigger = pkcs7(frame(msg + b" ", receive_id))
        bad = bytearray(bigger)
        bad[-2] ^= 0x55
        out.append(("inconsistent pad bytes", encrypt_raw(key, bytes(bad))))
    out.append(("one block", encrypt_raw(key, bytes(rnd.getrandbits(8) for _ in range(16)))))
    out.append(
        ("not a whole block", base64.b64encode(base64.b64decode(encrypt(key, msg, receive_id))[:-5]).decode())
    )
    out.append(("length past the frame", encrypt_raw(key, pkcs7(frame(msg, receive_id, length=0xFFFFFFF0)))))
    out.append(("length zero", encrypt_raw(key, pkcs7(frame(msg, receive_id, length=0)))))
    out.append(("message not UTF-8", encrypt(key, b"\xff\xfe<xml>\xc3\x28</xml>", receive_id)))
    out.append(("not base64", "!!!!" + "A" * rnd.randint(0, 40)))
    out.append(("empty after base64", "===="))
    return out


@dataclass
class Req:
    """One request. ``raw`` (complete HTTP bytes) is sent over a bare socket instead."""

    cls: str
    method: str
    path: str
    query: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    raw: bytes | None = None
    expect: str = REFUSE
    note: str = ""

    def describe(self) -> str:
        target = self.path if len(self.path) < 80 else self.path[:60] + f"...({len(self.path)})"
        q = {k: (v if len(v) < 60 else v[:40] + f"...({len(v)})") for k, v in (self.query or {}).items()}
        body = self.raw if self.raw is not None else self.body
        size = len(body) if body is not None else 0
        return f"{self.method} {target} q={q} [{self.note}] ({size} bytes)"


def raw_http(
    method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes = b"", *, chunked: bool = False
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
        chunks = b"".join(
            b"%x\r\n" % len(body[i : i + 4096]) + body[i : i + 4096] + b"\r\n"
            for i in range(0, len(body), 4096)
        )
        return b"\r\n".join(lines) + b"\r\n\r\n" + chunks + b"0\r\n\r\n"
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def send_raw(host: str, port: int, data: bytes, timeout: float = 10.0) -> int:
    """Write raw bytes, read the status line; 0 if the server closed without answering."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line.startswith(b"HTTP/"):
            return 0
        status = int(line.split()[1])
        await asyncio.wait_for(reader.read(), timeout)  # let the server finish its answer
        return status
    except (ConnectionError, TimeoutError):
        return 0
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def send(client: TestClient, req: Req) -> int:  # type: ignore[type-arg]
    if req.raw is not None:
        return await send_raw(str(client.server.host), int(client.server.port or 0), req.raw)
    resp = await client.request(
        req.method, req.path, params=req.query, headers=req.headers, data=req.body, allow_redirects=False
    )
    await resp.read()
    return resp.status


class Signer:
    """Really signed requests; ``now`` is the bot's clock in seconds."""

    def __init__(self, now: float, dingtalk_secret: str, rnd: random.Random) -> None:
        self.now = int(now)
        self.ding_secret = dingtalk_secret
        self.rnd = rnd
        self.wecom_key = aes_key(AES_KEY)
        self.wechat_key = aes_key(WECHAT_AES_KEY)
        self.ding_event_key = aes_key(DING_EVENT_AES_KEY)

    def nonce(self) -> str:
        return str(self.rnd.randint(10**8, 10**10))

    # -- WeCom ----------------------------------------------------------------------------------
    def wecom_query(self, encrypted: str, ts: str | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = str(self.now) if ts is None else ts
        nonce = self.nonce() if nonce is None else nonce
        return {"msg_signature": sha1_sorted(TOKEN, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}

    def wecom_envelope(self, encrypted: str) -> bytes:
        return (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        ).encode()

    def wecom_post(
        self, cls: str, plaintext: str | bytes, *, ts: str | None = None, expect: str = ANY, note: str = ""
    ) -> Req:
        encrypted = encrypt(self.wecom_key, plaintext, CORP_ID)
        return Req(
            cls,
            "POST",
            "/wecom/callback",
            self.wecom_query(encrypted, ts),
            body=self.wecom_envelope(encrypted),
            expect=expect,
            note=note or "wecom signed",
        )

    def wecom_post_encrypted(
        self, cls: str, encrypted: str, *, ts: str | None = None, expect: str = REFUSE, note: str = ""
    ) -> Req:
        return Req(
            cls,
            "POST",
            "/wecom/callback",
            self.wecom_query(encrypted, ts),
            body=self.wecom_envelope(encrypted),
            expect=expect,
            note=note,
        )

    def wecom_get(
        self, cls: str, echostr: str, *, ts: str | None = None, expect: str = REFUSE, note: str = ""
    ) -> Req:
        return Req(
            cls,
            "GET",
            "/wecom/callback",
            {**self.wecom_query(echostr, ts), "echostr": echostr},
            expect=expect,
            note=note,
        )

    def wecom_text(
        self, user: str, content: str, msg_id: str | None = None, created: str | None = None
    ) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{created or self.now}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id or self.rnd.getrandbits(62)}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
        )

    def wecom_event(
        self, user: str, event: str, extra: str = "", created: str | None = None, msg_type: str = "event"
    ) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{created or self.now}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType><Event><![CDATA[{event}]]></Event>{extra}"
            f"<AgentID>{AGENT_ID}</AgentID></xml>"
        )

    def wecom_tap(
        self, user: str, task_id: str, key: str, code: str | None = None, created: str | None = None
    ) -> str:
        extra = (
            f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
            f"<CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[{code or self.rnd.getrandbits(64)}]]></ResponseCode>"
        )
        return self.wecom_event(user, "template_card_event", extra, created)

    # -- WeChat official account ---------------------------------------------------------------
    def wechat_query(self, ts: str | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = str(self.now) if ts is None else ts
        nonce = self.nonce() if nonce is None else nonce
        return {"timestamp": ts, "nonce": nonce, "signature": sha1_sorted(WECHAT_TOKEN, ts, nonce)}

    def wechat_plain(
        self,
        cls: str,
        body: str | bytes,
        *,
        account: str = WECHAT_ACCOUNT,
        ts: str | None = None,
        expect: str = ANY,
        note: str = "",
    ) -> Req:
        data = body.encode() if isinstance(body, str) else body
        return Req(
            cls,
            "POST",
            f"/wechat/{account}/callback",
            self.wechat_query(ts),
            body=data,
            expect=expect,
            note=note or "wechat plain signed",
        )

    def wechat_aes_encrypted(
        self,
        cls: str,
        encrypted: str,
        *,
        envelope: bytes | None = None,
        ts: str | None = None,
        expect: str = REFUSE,
        note: str = "",
    ) -> Req:
        query = self.wechat_query(ts)
        query.update(
            encrypt_type="aes",
            msg_signature=sha1_sorted(WECHAT_TOKEN, query["timestamp"], query["nonce"], encrypted),
        )
        body = (
            envelope
            if envelope is not None
            else (
                f"<xml><ToUserName><![CDATA[gh_3f8b1e2c4a5d]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            ).encode()
        )
        return Req(
            cls,
            "POST",
            f"/wechat/{WECHAT_APP_ID}/callback",
            query,
            body=body,
            expect=expect,
            note=note or "wechat aes signed",
        )

    def wechat_aes(self, cls: str, plaintext: str | bytes, *, expect: str = ANY, note: str = "") -> Req:
        return self.wechat_aes_encrypted(
            cls, encrypt(self.wechat_key, plaintext, WECHAT_APP_ID), expect=expect, note=note
        )

    def wechat_text(
        self, openid: str, content: str, msg_id: str | None = None, msg_type: str = "text"
    ) -> str:
        return (
            f"<xml><ToUserName><![CDATA[gh_3f8b1e2c4a5d]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{self.now}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id or self.rnd.getrandbits(63)}</MsgId></xml>"
        )

    # -- DingTalk (HTTP mode) ------------------------------------------------------------------
    def ding_robot_headers(self, ts: str | None = None) -> dict[str, str]:
        ts = str(self.now * 1000) if ts is None else ts
        return {"timestamp": ts, "sign": hmac_b64(self.ding_secret, f"{ts}\n{self.ding_secret}")}

    def ding_card_headers(self, ts: str | None = None) -> dict[str, str]:
        ts = str(self.now * 1000) if ts is None else ts
        return {"x-ddpaas-signature-timestamp": ts, "x-ddpaas-signature": hmac_b64(self.ding_secret, ts)}

    def ding_robot(
        self, cls: str, body: Any, *, raw_body: bytes | None = None, expect: str = ANY, note: str = ""
    ) -> Req:
        data = raw_body if raw_body is not None else dumps(body)
        return Req(
            cls,
            "POST",
            "/dingtalk/robot",
            headers={"Content-Type": "application/json", **self.ding_robot_headers()},
            body=data,
            expect=expect,
            note=note or "dingtalk robot signed",
        )

    def ding_card(
        self, cls: str, body: Any, *, raw_body: bytes | None = None, expect: str = ANY, note: str = ""
    ) -> Req:
        data = raw_body if raw_body is not None else dumps(body)
        return Req(
            cls,
            "POST",
            "/dingtalk/card",
            headers={"Content-Type": "application/json", **self.ding_card_headers()},
            body=data,
            expect=expect,
            note=note or "dingtalk card signed",
        )

    def robot_message(
        self, user: str, said: str, /, msg_id: str | None = None, **over: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "conversationId": "cidPzbd2rtPqLhCJ0c5h9bRxA+A==",
            "chatbotCorpId": "dingtestcorp",
            "chatbotUserId": "$:LWCP_v1:$dingtestappkey",
            "msgId": msg_id or f"msg{self.rnd.getrandbits(96):024x}==",
            "senderNick": "测试用户",
            "isAdmin": False,
            "senderStaffId": user,
            "sessionWebhookExpiredTime": (self.now + 3600) * 1000,
            "createAt": self.now * 1000,
            "senderCorpId": "dingtestcorp",
            "conversationType": "1",
            "senderId": "$:LWCP_v1:$Kq7Vb1qRz3nT5xY==",
            "isInAtList": True,
            "sessionWebhook": "http://127.0.0.1:9/robot/sendBySession?session=abc",
            "text": {"content": said},
            "robotCode": "dingtestappkey",
            "msgtype": "text",
        }
        body.update(over)
        return body

    def card_tap(
        self, user: str, track: str, params: Any, action_ids: Any = ("1",), **over: Any
    ) -> dict[str, Any]:
        content = {
            "cardPrivateData": {
                "actionIds": list(action_ids) if isinstance(action_ids, tuple) else action_ids,
                "params": params,
            }
        }
        body: dict[str, Any] = {
            "type": "actionCallback",
            "outTrackId": track,
            "corpId": "dingtestcorp",
            "userId": user,
            "content": json.dumps(content, ensure_ascii=False),
        }
        body.update(over)
        return body

    # -- DingTalk HTTP event subscription (POST /dingtalk/event) --------------------------------
    def ding_event_query(
        self,
        encrypted: str,
        ts: str | None = None,
        nonce: str | None = None,
        *,
        new_names: bool = False,
        token: str = DING_EVENT_TOKEN,
    ) -> dict[str, str]:
        """msg_signature/timeStamp/nonce (or, ``new_names``, signature/timestamp/nonce): sha1 of
        token, timestamp (ms), nonce and ``encrypt`` sorted."""
        ts = str(self.now * 1000) if ts is None else ts
        nonce = f"{self.rnd.getrandbits(32):08x}" if nonce is None else nonce
        sig = sha1_sorted(token, ts, nonce, encrypted)
        if new_names:
            return {"signature": sig, "timestamp": ts, "nonce": nonce}
        return {"msg_signature": sig, "timeStamp": ts, "nonce": nonce}

    def ding_event_encrypted(
        self,
        cls: str,
        encrypted: Any,
        *,
        body: bytes | None = None,
        ts: str | None = None,
        new_names: bool = False,
        expect: str = REFUSE,
        note: str = "",
    ) -> Req:
        """``{"encrypt": encrypted}`` (or ``body``), signed over ``encrypted`` (as text if it is not)."""
        signed = encrypted if isinstance(encrypted, str) else json.dumps(encrypted)
        return Req(
            cls,
            "POST",
            "/dingtalk/event",
            self.ding_event_query(signed, ts, new_names=new_names),
            headers={"Content-Type": "application/json"},
            body=dumps({"encrypt": encrypted}) if body is None else body,
            expect=expect,
            note=note or "dingtalk event signed",
        )

    def ding_event(
        self,
        cls: str,
        plaintext: Any,
        *,
        owner: str = DING_APP_KEY,
        ts: str | None = None,
        new_names: bool = False,
        expect: str = REFUSE,
        note: str = "",
    ) -> Req:
        """A frame of ``plaintext`` (text, bytes, or a value sent as JSON) encrypted for ``owner``."""
        if isinstance(plaintext, bytes):
            raw = plaintext
        elif isinstance(plaintext, str):
            raw = plaintext.encode("utf-8", "surrogatepass")
        else:
            raw = dumps(plaintext)
        return self.ding_event_encrypted(
            cls,
            encrypt(self.ding_event_key, raw, owner),
            ts=ts,
            new_names=new_names,
            expect=expect,
            note=note or "dingtalk event signed",
        )

    def ding_event_plain(self, kind: str, **fields: Any) -> dict[str, Any]:
        """An HTTP-mode plaintext: ``{"EventType", "CorpId", "TimeStamp", ...}``."""
        return {"EventType": kind, "CorpId": "dingtestcorp", "TimeStamp": str(self.now * 1000), **fields}

    # -- intake --------------------------------------------------------------------------------
    def intake(
        self,
        cls: str,
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        token: str | None = INTAKE["weibo"],
        expect: str = ANY,
        note: str = "",
    ) -> Req:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw_body if raw_body is not None else dumps(body)
        return Req(
            cls, "POST", "/api/inquiries", headers=headers, body=data, expect=expect, note=note or "intake"
        )


def dumps(value: Any) -> bytes:
    """JSON as a platform would send it; lone surrogates kept as \\u escapes (valid JSON text)."""
    return json.dumps(value, ensure_ascii=True).encode()


def nested_xml(depth: int, leaf: str = "x") -> str:
    return "<a>" * depth + leaf + "</a>" * depth


def nested_json(depth: int, rnd: random.Random) -> str:
    if rnd.random() < 0.5:
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]><xml><ToUserName>x</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId><Encrypt>&lol9;</Encrypt></xml>"
)
ENTITY_TRICKS = [
    BILLION_LAUGHS,
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>&xxe;</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content>"
    "<Encrypt>&xxe;</Encrypt></xml>",
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
    "<xml><MsgType>text</MsgType><Encrypt>x</Encrypt></xml>",
    "<!DOCTYPE xml><xml><FromUserName>oX</FromUserName><MsgType>text</MsgType><Content>a</Content>"
    "<Encrypt>x</Encrypt></xml>",
    '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]><xml><FromUserName>&a;</FromUserName>'
    "<MsgType>text</MsgType><Content>&a;&a;</Content><Encrypt>&a;</Encrypt></xml>",
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><MsgType>text</MsgType><Encrypt>x</Encrypt></xml>',
    '<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE xml [\n<!ELEMENT xml ANY>\n]>\n'
    "<xml><Encrypt>x</Encrypt></xml>",
]


def registry_payloads(rnd: random.Random) -> list[str]:
    """Every registered button payload with integers far beyond 64 bits (and some negatives)."""
    import dataclasses

    import handlers  # noqa: F401 — registers the payload classes
    from bot.cards import Payload

    out = []
    for prefix, cls in sorted(Payload.registry.items()):
        for big in (2**70, -(2**63) - 1, 10**30 + rnd.randint(0, 99), 2**64):
            parts = [prefix]
            for f in dataclasses.fields(cls):
                parts.append(str(big) if f.type in ("int", int) else "A")
            out.append(":".join(parts))
    return out


@dataclass
class Target:
    """What the hostile test set up before it starts: the pending draft and its approval card."""

    draft_id: int
    version: int
    approve_key: str
    reject_key: str
    task_id: str
    ding_track: str = "ap-1-lisi-0634412255847012"


class HostileGen:
    """The request classes. Each ``gen_*`` yields ``Req``; ``classes()`` runs them all."""

    def __init__(self, seed: int, now: float, dingtalk_secret: str, target: Target) -> None:
        self.rnd = random.Random(seed)
        self.s = Signer(now, dingtalk_secret, self.rnd)
        self.t = target

    def classes(self) -> Iterator[tuple[str, list[Req]]]:
        for name in (
            "bad_signature",
            "timestamps",
            "header_bytes",
            "xml_entities",
            "deep_nesting",
            "oversized",
            "aes_frames",
            "long_ids",
            "huge_numbers",
            "unicode",
            "wrong_types",
            "unknown_events",
            "forged_taps",
            "dingtalk_event",
            "methods_paths",
            "query_junk",
        ):
            yield name, list(getattr(self, "gen_" + name)())

    def pick(self, items: list[Any]) -> Any:
        return items[self.rnd.randrange(len(items))]

    def junk_sig(self) -> str:
        return self.pick(
            [
                "0" * 40,
                f"{self.rnd.getrandbits(160):040x}",
                "",
                "A" * 40,
                "签名" * 20,
                f"{self.rnd.getrandbits(160):040X}",
            ]
        )

    # -- classes --------------------------------------------------------------------------------
    def gen_bad_signature(self) -> Iterator[Req]:
        s, c = self.s, "bad_signature"
        text = s.wecom_text("zhangsan", "帮助")
        for _ in range(6):
            good = s.wecom_post(c, text)
            assert good.query is not None
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                {**good.query, "msg_signature": self.junk_sig()},
                body=good.body,
                note="wecom forged msg_signature",
            )
            q = dict(good.query)
            q.pop(self.pick(["msg_signature", "timestamp", "nonce"]))
            yield Req(c, "POST", "/wecom/callback", q, body=good.body, note="wecom missing param")
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                {**good.query, "nonce": s.nonce()},
                body=good.body,
                note="wecom signature of another nonce",
            )
            echo = encrypt(s.wecom_key, "1288432023552776189", CORP_ID)
            yield Req(
                c,
                "GET",
                "/wecom/callback",
                {**s.wecom_query(echo), "msg_signature": self.junk_sig(), "echostr": echo},
                note="wecom GET forged",
            )
            wq = s.wechat_query()
            yield Req(
                c,
                "GET",
                f"/wechat/{WECHAT_ACCOUNT}/callback",
                {**wq, "signature": self.junk_sig(), "echostr": "42424242"},
                note="wechat GET forged",
            )
            yield Req(
                c,
                "POST",
                f"/wechat/{WECHAT_ACCOUNT}/callback",
                {**wq, "signature": self.junk_sig()},
                body=s.wechat_text(OPENID, "你好").encode(),
                note="wechat plain forged",
            )
            aes = s.wechat_aes(c, s.wechat_text(OPENID, "你好"))
            assert aes.query is not None
            yield Req(
                c,
                "POST",
                aes.path,
                {**aes.query, "msg_signature": self.junk_sig()},
                body=aes.body,
                note="wechat aes forged msg_signature",
            )
            robot = s.robot_message(DING_IDS["zhangsan"], "帮助")
            headers = s.ding_robot_headers()
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                headers={
                    "timestamp": headers["timestamp"],
                    "sign": base64.b64encode(self.rnd.randbytes(32)).decode(),
                },
                body=dumps(robot),
                note="dingtalk robot forged sign",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                headers={"timestamp": headers["timestamp"]},
                body=dumps(robot),
                note="dingtalk robot no sign",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                headers={**s.ding_robot_headers(str(s.now * 1000 - 1)), "timestamp": headers["timestamp"]},
                body=dumps(robot),
                note="robot sign of another ts",
            )
            card = s.card_tap(DING_IDS["lisi"], self.t.ding_track, {"payload": self.t.approve_key})
            yield Req(
                c,
                "POST",
                "/dingtalk/card",
                headers={
                    **s.ding_card_headers(),
                    "x-ddpaas-signature": base64.b64encode(self.rnd.randbytes(32)).decode(),
                },
                body=dumps(card),
                note="dingtalk card forged (approver's tap)",
            )
            yield Req(c, "POST", "/dingtalk/card", body=dumps(card), note="dingtalk card unsigned")
            inquiry = {"account": WECHAT_ACCOUNT, "text": "问题", "id": f"x{self.rnd.getrandbits(40)}"}
            token = self.pick(
                [
                    None,
                    "",
                    INTAKE["weibo"][:-1],
                    INTAKE["weibo"] + "x",
                    "Basic " + INTAKE["weibo"],
                    INTAKE["weibo"].upper(),
                ]
            )
            yield s.intake(c, inquiry, token=token, expect=REFUSE, note=f"intake token {token!r:.20}")
            yield Req(
                c,
                "POST",
                "/api/inquiries",
                headers={"Authorization": INTAKE["weibo"]},
                body=dumps(inquiry),
                note="intake token without Bearer",
            )

    def gen_timestamps(self) -> Iterator[Req]:
        s, c = self.s, "timestamps"
        now = s.now
        values = [
            "9" * 400,
            "-" + "9" * 400,
            "-1",
            "0",
            str(now - 10_000),
            str(now + 10_000),
            "abc",
            "12a",
            "1.79e9",
            f" {now}",
            f"{now} ",
            f"+{now}",
            f"{now:_}",
            "".join(chr(0x660 + int(d)) for d in str(now)),
            "0x" + format(now, "x"),
            "",
            f"{now}.0",
            str(2**64),
            str(-(2**63)),
            "1" * 20,
        ]
        for v in values:
            yield s.wecom_post(
                c, s.wecom_text("zhangsan", "帮助"), ts=v, expect=REFUSE, note=f"ts={v[:24]!r}"
            )
            echo = encrypt(s.wecom_key, "1288432023552776189", CORP_ID)
            yield s.wecom_get(c, echo, ts=v, note=f"GET ts={v[:24]!r}")
            yield s.wechat_plain(c, s.wechat_text(OPENID, "问"), ts=v, expect=REFUSE, note=f"ts={v[:24]!r}")
            ms = v + "000" if v.isdigit() and len(v) < 15 else v
            for kind in ("robot", "card"):
                headers = s.ding_robot_headers(ms) if kind == "robot" else s.ding_card_headers(ms)
                body = dumps(
                    s.robot_message(DING_IDS["zhangsan"], "帮助")
                    if kind == "robot"
                    else s.card_tap(DING_IDS["chenqi"], self.t.ding_track, {"payload": "x"})
                )
                if ms.isascii():
                    yield Req(
                        c, "POST", f"/dingtalk/{kind}", headers=headers, body=body, note=f"ts={ms[:24]!r}"
                    )
                else:  # aiohttp's client will not send it: raw bytes
                    raw = raw_http(
                        "POST",
                        f"/dingtalk/{kind}",
                        [(k.encode(), v2.encode()) for k, v2 in headers.items()],
                        body,
                    )
                    yield Req(c, "POST", f"/dingtalk/{kind}", raw=raw, note=f"raw ts={ms[:24]!r}")
            check = s.ding_event_plain("check_url")
            yield s.ding_event(c, check, ts=ms, note=f"event timeStamp={ms[:24]!r}")
            yield s.ding_event(c, check, ts=ms, new_names=True, note=f"event timestamp={ms[:24]!r}")

    def gen_header_bytes(self) -> Iterator[Req]:
        s, c = self.s, "header_bytes"
        junk = [
            b"\xff\xfe\xfd",
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\xe2\x82",
            b"abc\x80def",
            b"\xc0\xaf" * 20,
            "签名".encode(),
            b"\xf0\x28\x8c\x28",
        ]
        robot = dumps(s.robot_message(DING_IDS["zhangsan"], "帮助"))
        card = dumps(s.card_tap(DING_IDS["chenqi"], self.t.ding_track, {"payload": self.t.approve_key}))
        inquiry = dumps({"account": WECHAT_ACCOUNT, "text": "问题"})
        for j in junk:
            rh, ch = s.ding_robot_headers(), s.ding_card_headers()
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                raw=raw_http(
                    "POST", "/dingtalk/robot", [(b"timestamp", rh["timestamp"].encode()), (b"sign", j)], robot
                ),
                note=f"sign={j!r}",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                raw=raw_http(
                    "POST",
                    "/dingtalk/robot",
                    [(b"timestamp", rh["timestamp"].encode() + j), (b"sign", rh["sign"].encode())],
                    robot,
                ),
                note=f"timestamp+{j!r}",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/card",
                raw=raw_http(
                    "POST",
                    "/dingtalk/card",
                    [
                        (b"x-ddpaas-signature-timestamp", ch["x-ddpaas-signature-timestamp"].encode()),
                        (b"x-ddpaas-signature", j),
                    ],
                    card,
                ),
                note=f"x-ddpaas-signature={j!r}",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/card",
                raw=raw_http(
                    "POST",
                    "/dingtalk/card",
                    [
                        (b"x-ddpaas-signature-timestamp", j),
                        (b"x-ddpaas-signature", ch["x-ddpaas-signature"].encode()),
                    ],
                    card,
                ),
                note=f"x-ddpaas-signature-timestamp={j!r}",
            )
            yield Req(
                c,
                "POST",
                "/api/inquiries",
                raw=raw_http(
                    "POST",
                    "/api/inquiries",
                    [(b"Authorization", b"Bearer " + j), (b"Content-Type", b"application/json")],
                    inquiry,
                ),
                note=f"Authorization=Bearer {j!r}",
            )
            yield Req(
                c,
                "POST",
                "/api/inquiries",
                raw=raw_http(
                    "POST",
                    "/api/inquiries",
                    [(b"Authorization", b"Bearer " + INTAKE["weibo"].encode() + j)],
                    inquiry,
                ),
                note=f"Authorization=Bearer token+{j!r}",
            )

    def gen_xml_entities(self) -> Iterator[Req]:
        s, c = self.s, "xml_entities"
        for trick in ENTITY_TRICKS:
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                {"msg_signature": "0" * 40, "timestamp": str(s.now), "nonce": "1"},
                body=trick.encode(),
                note="wecom envelope",
            )
            # an envelope with a DOCTYPE around a validly signed Encrypt value
            encrypted = encrypt(s.wecom_key, s.wecom_text("zhangsan", "帮助"), CORP_ID)
            envelope = trick.replace("<Encrypt>", "<Encrypt>" + encrypted + "<!-- -->", 1).encode()
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                s.wecom_query(encrypted),
                body=envelope,
                note="DOCTYPE envelope, signed Encrypt",
            )
            yield s.wecom_post(c, trick, expect=REFUSE, note="wecom plaintext with DOCTYPE")
            yield s.wechat_plain(c, trick, expect=REFUSE, note="wechat plain DOCTYPE")
            yield s.wechat_aes(c, trick, expect=REFUSE, note="wechat aes plaintext DOCTYPE")
            wenc = encrypt(s.wechat_key, s.wechat_text(OPENID, "问"), WECHAT_APP_ID)
            yield s.wechat_aes_encrypted(
                c,
                wenc,
                envelope=trick.replace("<Encrypt>x</Encrypt>", "")
                .replace("</xml>", f"<Encrypt>{wenc}</Encrypt></xml>")
                .encode(),
                note="wechat aes DOCTYPE envelope",
            )

    def gen_deep_nesting(self) -> Iterator[Req]:
        s, c = self.s, "deep_nesting"
        for depth in (1000, 3000, 8000):
            deep = nested_xml(depth)
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                {"msg_signature": "0" * 40, "timestamp": str(s.now), "nonce": "1"},
                body=f"<xml>{deep}</xml>".encode(),
                note=f"wecom envelope depth {depth}, before the signature",
            )
            encrypted = encrypt(s.wecom_key, s.wecom_text("zhangsan", "帮助"), CORP_ID)
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                s.wecom_query(encrypted),
                body=f"<xml><Encrypt>{encrypted}</Encrypt>{deep}</xml>".encode(),
                note=f"wecom envelope depth {depth} beside a signed Encrypt",
            )
            if depth <= 3000:  # the encrypted frame must stay under the body cap
                yield s.wecom_post(
                    c,
                    f"<xml><MsgType>text</MsgType>{deep}</xml>",
                    expect=REFUSE,
                    note=f"wecom plaintext depth {depth}",
                )
                yield s.wechat_aes(
                    c,
                    f"<xml><MsgType>text</MsgType>{deep}</xml>",
                    expect=REFUSE,
                    note=f"wechat aes plaintext depth {depth}",
                )
            yield s.wechat_plain(c, f"<xml>{deep}</xml>", expect=REFUSE, note=f"wechat plain depth {depth}")
        for depth in (1000, 5000, 30000):
            deep = nested_json(depth, self.rnd)
            yield Req(
                c,
                "POST",
                "/dingtalk/robot",
                headers={"timestamp": str(s.now * 1000), "sign": "x"},
                body=deep.encode(),
                note=f"robot JSON depth {depth}, bad sign",
            )
            yield s.ding_robot(
                c, None, raw_body=deep.encode(), expect=REFUSE, note=f"robot JSON depth {depth}"
            )
            inner = (
                dumps(s.robot_message(DING_IDS["zhangsan"], "帮助"))[:-1] + b',"x":' + deep.encode() + b"}"
            )
            yield s.ding_robot(c, None, raw_body=inner, expect=REFUSE, note=f"robot field depth {depth}")
            yield s.ding_card(c, None, raw_body=deep.encode(), expect=REFUSE, note=f"card JSON depth {depth}")
            tap = s.card_tap(DING_IDS["chenqi"], self.t.ding_track, {"payload": "x"})
            tap["content"] = deep
            yield s.ding_card(c, tap, expect=REFUSE, note=f"card content string depth {depth}")
            yield s.intake(c, None, raw_body=deep.encode(), expect=REFUSE, note=f"intake depth {depth}")
            good = s.ding_event(c, s.ding_event_plain("check_url"))
            yield Req(
                c, "POST", "/dingtalk/event", good.query, body=deep.encode(), note=f"event body depth {depth}"
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/event",
                good.query,
                body=(good.body or b"")[:-1] + b',"x":' + deep.encode() + b"}",
                note=f"event body depth {depth} beside a signed encrypt",
            )
            yield s.ding_event(c, deep, note=f"event plaintext depth {depth}")
            plain = dumps(s.ding_event_plain("user_leave_org", UserId=[DING_IDS["zhaoliu"]]))
            yield s.ding_event(
                c, plain[:-1] + b',"x":' + deep.encode() + b"}", note=f"event plaintext field depth {depth}"
            )
            yield s.intake(
                c,
                None,
                raw_body=deep.encode(),
                token=None,
                expect=REFUSE,
                note=f"intake depth {depth} no token",
            )

    def gen_oversized(self) -> Iterator[Req]:
        s, c = self.s, "oversized"
        for size in (64 * 1024 + 1, 200_000, 1024 * 1024, 3 * 1024 * 1024):
            filler = b"A" * size
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                s.wecom_query("x"),
                body=b"<xml><Encrypt>" + filler + b"</Encrypt></xml>",
                note=f"wecom {size}",
            )
            yield s.wechat_plain(
                c, b"<xml><Content>" + filler + b"</Content></xml>", expect=REFUSE, note=f"wechat {size}"
            )
            yield s.ding_robot(
                c, None, raw_body=b'{"x":"' + filler + b'"}', expect=REFUSE, note=f"robot {size}"
            )
            yield s.ding_card(
                c, None, raw_body=b'{"x":"' + filler + b'"}', expect=REFUSE, note=f"card {size}"
            )
            yield s.intake(
                c, None, raw_body=b'{"text":"' + filler + b'"}', expect=REFUSE, note=f"intake {size}"
            )
            yield s.ding_event_encrypted(c, filler.decode(), note=f"event encrypt {size} (signed)")
        big = b'{"text":"' + b"B" * 300_000 + b'"}'
        rh = s.ding_robot_headers()
        yield Req(
            c,
            "POST",
            "/dingtalk/robot",
            raw=raw_http(
                "POST",
                "/dingtalk/robot",
                [(b"timestamp", rh["timestamp"].encode()), (b"sign", rh["sign"].encode())],
                big,
                chunked=True,
            ),
            note="robot chunked 300 kB",
        )
        yield Req(
            c,
            "POST",
            "/api/inquiries",
            raw=raw_http(
                "POST",
                "/api/inquiries",
                [(b"Authorization", f"Bearer {INTAKE['toutiao']}".encode())],
                big,
                chunked=True,
            ),
            note="intake chunked 300 kB",
        )
        yield Req(
            c,
            "POST",
            "/wechat/x/callback",
            raw=raw_http("POST", "/wechat/x/callback", [(b"X-Big", b"v" * 20_000)]),
            note="20 kB header",
        )
        event = s.ding_event(c, s.ding_event_plain("check_url"))
        target = "/dingtalk/event?" + urlencode(event.query or {})
        yield Req(
            c,
            "POST",
            target,
            raw=raw_http("POST", target, [(b"X-Big", b"v" * 20_000)], event.body or b""),
            note="event 20 kB header",
        )
        yield Req(
            c,
            "POST",
            target,
            raw=raw_http("POST", target, [(f"X-H{i}".encode(), b"v") for i in range(300)], event.body or b""),
            note="event 300 headers",
        )
        yield Req(
            c,
            "POST",
            target,
            raw=raw_http("POST", target, [(b"Content-Type", b"application/json")], big, chunked=True),
            note="event chunked 300 kB",
        )
        yield Req(
            c,
            "POST",
            "/dingtalk/event",
            raw=raw_http("POST", "/dingtalk/event?" + "nonce=1&" * 3000, [], event.body or b""),
            note="event 24 kB URL",
        )
        yield Req(
            c, "GET", "/healthz", raw=raw_http("GET", "/healthz?" + "a=b&" * 5000, []), note="20 kB URL"
        )
        yield Req(
            c,
            "POST",
            "/dingtalk/robot",
            raw=raw_http("POST", "/dingtalk/robot", [(f"X-H{i}".encode(), b"v") for i in range(300)]),
            note="300 headers",
        )

    def gen_aes_frames(self) -> Iterator[Req]:
        s, c = self.s, "aes_frames"
        for name, encrypted in broken_frames(s.wecom_key, CORP_ID, self.rnd):
            yield s.wecom_post_encrypted(c, encrypted, note=f"wecom POST {name}")
            yield s.wecom_get(c, encrypted, note=f"wecom GET {name}")
        for name, encrypted in broken_frames(s.wechat_key, WECHAT_APP_ID, self.rnd):
            yield s.wechat_aes_encrypted(c, encrypted, note=f"wechat aes {name}")
        for name, encrypted in broken_frames(s.ding_event_key, DING_APP_KEY, self.rnd):
            yield s.ding_event_encrypted(c, encrypted, note=f"dingtalk event {name}")
        for _ in range(8):
            junk = base64.b64encode(self.rnd.randbytes(16 * self.rnd.randint(1, 6))).decode()
            yield s.wecom_post_encrypted(c, junk, note="wecom random blocks")
            yield s.wechat_aes_encrypted(c, junk, note="wechat random blocks")
            yield s.ding_event_encrypted(c, junk, note="dingtalk event random blocks")

    def gen_long_ids(self) -> Iterator[Req]:
        s, c = self.s, "long_ids"
        alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

        def word(n: int) -> str:
            return "".join(self.rnd.choice(alnum) for _ in range(n))

        for n in (300, 1100, 4000):
            yield s.wecom_post(c, s.wecom_tap("chenqi", self.t.task_id, word(n)), note=f"EventKey {n}")
            yield s.wecom_post(c, s.wecom_tap("chenqi", word(n), self.t.approve_key), note=f"TaskId {n}")
            yield s.wecom_post(
                c, s.wecom_tap("chenqi", self.t.task_id, "x", code=word(n)), note=f"ResponseCode {n}"
            )
            yield s.wecom_post(c, s.wecom_text("zhangsan", "帮助", msg_id=word(n * 2)), note=f"MsgId {n * 2}")
            yield s.wecom_post(c, s.wecom_text(word(n), "帮助"), note=f"FromUserName {n}")
            yield s.wechat_plain(c, s.wechat_text(word(n), "咨询一下"), note=f"openid {n}")
            yield s.wechat_plain(
                c, s.wechat_text(OPENID, "咨询", msg_id=word(n * 2)), note=f"wechat MsgId {n * 2}"
            )
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "帮助", msg_id=word(n * 2)),
                note=f"robot msgId {n * 2}",
            )
            yield s.ding_robot(c, s.robot_message(word(n), "帮助"), note=f"senderStaffId {n}")
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "帮助", conversationId=word(n), conversationType="2"),
                note=f"conversationId {n}",
            )
            yield s.ding_card(
                c,
                s.card_tap(DING_IDS["chenqi"], word(n), {"payload": self.t.approve_key}),
                note=f"outTrackId {n}",
            )
            yield s.ding_card(
                c,
                s.card_tap(word(n), self.t.ding_track, {"payload": self.t.approve_key}),
                note=f"card userId {n}",
            )
            yield s.ding_card(
                c,
                s.card_tap(DING_IDS["chenqi"], self.t.ding_track, {"payload": word(n)}),
                note=f"card payload {n}",
            )
            yield s.intake(
                c, {"account": WECHAT_ACCOUNT, "text": "问题", "id": word(n * 2)}, note=f"intake id {n}"
            )
            yield s.intake(
                c, {"account": WECHAT_ACCOUNT, "text": "问题", "from": word(n)}, note=f"intake from {n}"
            )
        yield s.wecom_post(c, s.wecom_text("zhangsan", "帮助", msg_id=word(10_000)), note="MsgId 10000")
        yield s.ding_robot(
            c, s.robot_message(DING_IDS["zhangsan"], "帮助", msg_id=word(10_000)), note="robot msgId 10000"
        )
        for n in (300, 5000):
            name = word(n)
            yield Req(
                c,
                "GET",
                f"/wechat/{name}/callback",
                {**s.wechat_query(), "echostr": "1"},
                note=f"account path segment {n}",
            )
            yield Req(
                c,
                "POST",
                f"/wechat/{name}/callback",
                s.wechat_query(),
                body=s.wechat_text(OPENID, "问").encode(),
                note=f"account path segment {n}",
            )
        nonce = word(5000)
        encrypted = encrypt(s.wecom_key, s.wecom_text("zhangsan", "帮助"), CORP_ID)
        yield Req(
            c,
            "POST",
            "/wecom/callback",
            s.wecom_query(encrypted, nonce=nonce),
            body=s.wecom_envelope(encrypted),
            expect=ANY,
            note="nonce 5000 (signed)",
        )

    def gen_huge_numbers(self) -> Iterator[Req]:
        s, c = self.s, "huge_numbers"
        payloads = registry_payloads(self.rnd)
        for key in self.rnd.sample(payloads, min(14, len(payloads))):
            yield s.wecom_post(c, s.wecom_tap("chenqi", self.t.task_id, key), note=f"wecom key {key[:40]}")
            yield s.ding_card(
                c,
                s.card_tap(DING_IDS["chenqi"], self.t.ding_track, {"payload": key}),
                note=f"ding payload {key[:40]}",
            )
        for key in (
            f"ap:{2**70}:1",
            f"ap:{self.t.draft_id}:{2**70}",
            f"rj:{-(2**70)}:1",
            "ap:" + "9" * 5000 + ":1",
        ):
            yield s.wecom_post(c, s.wecom_tap("zhouba", self.t.task_id, key), note=f"key {key[:30]}")
            yield s.ding_card(
                c,
                s.card_tap(DING_IDS["zhouba"], self.t.ding_track, {"payload": key}),
                note=f"ding payload {key[:30]}",
            )
        for created in ("9" * 400, "-" + "9" * 30, str(2**70)):
            yield s.wecom_post(
                c, s.wecom_text("zhangsan", "帮助", created=created), note=f"CreateTime {created[:20]}"
            )
            yield s.wecom_post(
                c,
                s.wecom_event("zhangsan", "enter_agent", created=created),
                note=f"event CreateTime {created[:20]}",
            )
        for value in (2**80, -(2**80), 10**300, 1.5, True):
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "帮助", sessionWebhookExpiredTime=value),
                note=f"sessionWebhookExpiredTime {value!r:.20}",
            )
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "帮助", createAt=value, conversationType=value),
                note=f"createAt {value!r:.20}",
            )
        yield s.intake(
            c,
            None,
            raw_body=b'{"account":"'
            + WECHAT_ACCOUNT.encode()
            + b'","text":"q","id":'
            + str(2**70).encode()
            + b"}",
            note="intake id 2**70",
        )
        yield s.intake(c, None, raw_body=b'{"account":"x","text":1e400}', note="intake 1e400")
        yield s.intake(
            c, None, raw_body=b'{"account":"x","text":' + b"9" * 5000 + b"}", note="intake 5000 digits"
        )
        yield s.ding_robot(c, None, raw_body=b'{"msgId":' + b"9" * 5000 + b"}", note="robot 5000 digits")

    def gen_unicode(self) -> Iterator[Req]:
        s, c = self.s, "unicode"
        lone = ["\ud800", "\udfff", "a\ud83d", "\udc00b", "\x00", "\u202e\u2066", "\ufeff"]
        for bad in lone:
            # a lone surrogate cannot be stored anywhere: refused where it enters
            expect = REFUSE if any(0xD800 <= ord(ch) <= 0xDFFF for ch in bad) else ANY
            yield s.intake(
                c,
                {"account": WECHAT_ACCOUNT, "text": f"问{bad}题", "id": f"u{self.rnd.getrandbits(30)}"},
                expect=expect,
                note=f"intake text {bad!r}",
            )
            yield s.intake(
                c,
                {"account": WECHAT_ACCOUNT, "text": "问题", "id": f"id{bad}{self.rnd.getrandbits(30)}"},
                expect=expect,
                note=f"intake id {bad!r}",
            )
            yield s.intake(
                c,
                {"account": WECHAT_ACCOUNT, "text": "问题", "from": f"网友{bad}"},
                expect=expect,
                note=f"intake from {bad!r}",
            )
            yield s.intake(
                c,
                {"account": f"某某{bad}发布", "text": "问题"},
                expect=expect,
                note=f"intake account {bad!r}",
            )
            yield s.ding_robot(
                c,
                s.robot_message(
                    DING_IDS["zhangsan"], f"帮{bad}助", msg_id=f"msg{bad}{self.rnd.getrandbits(40)}=="
                ),
                expect=expect,
                note=f"robot msgId/text {bad!r}",
            )
            yield s.ding_robot(
                c, s.robot_message(f"manager{bad}42", "帮助"), expect=expect, note=f"senderStaffId {bad!r}"
            )
            yield s.ding_card(
                c,
                s.card_tap(f"u{bad}", self.t.ding_track, {"payload": f"ap{bad}"}),
                expect=expect,
                note=f"card userId/payload {bad!r}",
            )
        cesu = b"\xed\xa0\x80\xed\xb0\x80"
        for raw in (cesu, b"\xc0\xaf", b"\xff", b"\xf4\x90\x80\x80"):
            yield s.intake(
                c,
                None,
                raw_body=b'{"account":"' + WECHAT_ACCOUNT.encode() + b'","text":"' + raw + b'"}',
                note=f"intake raw bytes {raw!r}",
            )
            yield s.ding_robot(
                c,
                None,
                raw_body=dumps(s.robot_message(DING_IDS["zhangsan"], "X")).replace(b'"X"', b'"' + raw + b'"'),
                note=f"robot raw bytes {raw!r}",
            )
            yield s.wechat_plain(
                c,
                s.wechat_text(OPENID, "X").encode().replace(b"X]]", raw + b"]]"),
                note=f"wechat raw bytes {raw!r}",
            )
        yield s.intake(
            c,
            None,
            raw_body=b"\xef\xbb\xbf" + dumps({"account": WECHAT_ACCOUNT, "text": "q"}),
            note="intake BOM",
        )
        yield s.intake(
            c,
            None,
            raw_body=json.dumps({"account": WECHAT_ACCOUNT, "text": "q"}).encode("utf-16"),
            note="intake UTF-16",
        )
        yield s.wecom_post(c, s.wecom_text("zhangsan", "帮助\u202e\U0001f600"), note="wecom RTL + emoji")

    def gen_wrong_types(self) -> Iterator[Req]:
        s, c = self.s, "wrong_types"
        odd: list[Any] = [5, "x", {"a": 1}, [None, {}], None, True, -1.5, [[[]]]]
        track, who = self.t.ding_track, DING_IDS["chenqi"]
        for v in odd:
            yield s.ding_card(
                c,
                s.card_tap(who, track, {"payload": self.t.approve_key}, action_ids=v),
                note=f"actionIds {v!r}",
            )
            yield s.ding_card(c, s.card_tap(who, track, v), note=f"params {v!r}")
            tap = s.card_tap(who, track, {"payload": "x"})
            tap["content"] = json.dumps({"cardPrivateData": v})
            yield s.ding_card(c, tap, note=f"cardPrivateData {v!r}")
            tap = s.card_tap(who, track, {"payload": "x"})
            tap["content"] = json.dumps(v)
            yield s.ding_card(c, tap, note=f"content (JSON string) {v!r}")
            yield s.ding_card(
                c, {**s.card_tap(who, track, {"payload": "x"}), "content": v}, note=f"content {v!r}"
            )
            yield s.ding_card(
                c, {**s.card_tap(who, track, {"payload": "x"}), "userId": v}, note=f"userId {v!r}"
            )
            yield s.ding_card(c, v, note=f"card body {v!r}")
            yield s.ding_robot(c, v, note=f"robot body {v!r}")
            for name in (
                "msgId",
                "senderStaffId",
                "msgtype",
                "text",
                "content",
                "conversationType",
                "sessionWebhook",
                "conversationId",
            ):
                if self.rnd.random() < 0.5:
                    yield s.ding_robot(
                        c,
                        s.robot_message(DING_IDS["zhangsan"], "帮助", **{name: v}),
                        note=f"robot {name} {v!r}",
                    )
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "帮助", msgtype="richText", content={"richText": v}),
                note=f"richText {v!r}",
            )
            for name in ("account", "text", "from", "id"):
                yield s.intake(
                    c, {"account": WECHAT_ACCOUNT, "text": "问题", name: v}, note=f"intake {name} {v!r}"
                )
            yield s.intake(c, v, note=f"intake body {v!r}")

    def gen_unknown_events(self) -> Iterator[Req]:
        s, c = self.s, "unknown_events"
        for event in (
            "subscribe",
            "unsubscribe",
            "LOCATION",
            "click",
            "view",
            "batch_job_result",
            "change_contact",
            "open_approval_change",
            f"zz{self.rnd.getrandbits(20)}",
            "",
        ):
            yield s.wecom_post(
                c, s.wecom_event("zhangsan", event, "<EventKey>k</EventKey>"), note=f"wecom {event}"
            )
            yield s.wechat_plain(
                c,
                s.wecom_event(OPENID, event).replace(CORP_ID, "gh_3f8b1e2c4a5d"),
                note=f"wechat event {event}",
            )
        for msg_type in (
            "voice",
            "video",
            "location",
            "miniprogram",
            "update_button",
            f"t{self.rnd.getrandbits(16)}",
        ):
            yield s.wecom_post(
                c,
                s.wecom_text("zhangsan", "x").replace("[text]", f"[{msg_type}]"),
                note=f"wecom MsgType {msg_type}",
            )
            yield s.wechat_plain(
                c, s.wechat_text(OPENID, "x", msg_type=msg_type), note=f"wechat MsgType {msg_type}"
            )
            yield s.ding_robot(
                c,
                s.robot_message(DING_IDS["zhangsan"], "x", msgtype=msg_type),
                note=f"robot msgtype {msg_type}",
            )
        for stranger in ("w" * 64, "ZhangSan", "wo-stranger-1"):
            yield s.wecom_post(c, s.wecom_text(stranger, "你好"), note=f"stranger {stranger[:10]}")
            yield s.ding_robot(c, s.robot_message(stranger, "你好"), note=f"ding stranger {stranger[:10]}")
        yield s.ding_card(
            c,
            {**s.card_tap(DING_IDS["chenqi"], "zz-unknown", {"payload": "zz:1"}), "type": "unknownCallback"},
            note="card unknown type",
        )
        for kind in (
            "check_url",
            "user_add_org",
            "user_active_org",
            "org_admin_add",
            "org_dept_create",
            "bpms_task_change",
            "label_user_change",
            f"zz{self.rnd.getrandbits(20)}",
        ):
            # acknowledged and ignored, whatever else the plaintext holds
            yield s.ding_event(
                c,
                s.ding_event_plain(kind, UserId=[DING_IDS["zhaoliu"]], DeptId=[1], x={"y": [None, 2**70]}),
                expect=ANY,
                note=f"event {kind}",
            )
            yield s.ding_event(
                c, {"EventType": kind, "UserId": 5}, new_names=True, expect=ANY, note=f"event {kind} bare"
            )

    def gen_forged_taps(self) -> Iterator[Req]:
        s, c, t = self.s, "forged_taps", self.t
        wecom_people = ["chenqi", "zhangsan", "zhouba", "wujiu", "zhaoliu", "wo-stranger-2"]
        keys = [
            t.approve_key,
            t.reject_key,
            f"apc:{t.draft_id}:{t.version}",
            f"ap:{t.draft_id}:{t.version + 1}",
        ]
        for who in wecom_people:
            for key in keys:
                yield s.wecom_post(c, s.wecom_tap(who, t.task_id, key), note=f"wecom {who} taps {key}")
        for code in ("chenqi", "zhangsan", "zhouba"):
            for key in keys[:3]:
                yield s.ding_card(
                    c,
                    s.card_tap(DING_IDS[code], t.ding_track, {"payload": key}),
                    note=f"dingtalk {code} taps {key}",
                )
        yield s.ding_card(
            c,
            s.card_tap("0634412255847013", t.ding_track, {"payload": t.approve_key}),
            note="dingtalk near-miss of the approver's id",
        )

    def gen_dingtalk_event(self) -> Iterator[Req]:
        """``POST /dingtalk/event`` (the encrypted event subscription): every request here is
        refused, so the class proves that nothing at all is stored."""
        s, c = self.s, "dingtalk_event"
        path = "/dingtalk/event"
        leave = s.ding_event_plain("user_leave_org", UserId=[DING_IDS["zhaoliu"]])
        for new_names in (False, True):
            good = s.ding_event(c, leave, new_names=new_names)
            q, body = dict(good.query or {}), good.body
            names = list(q)
            # missing, empty, mixed-up and duplicated parameters
            yield Req(c, "POST", path, body=body, note="event no query")
            for name in names:
                yield Req(
                    c, "POST", path, {k: v for k, v in q.items() if k != name}, body=body, note=f"no {name}"
                )
                yield Req(c, "POST", path, {**q, name: ""}, body=body, note=f"empty {name}")
            sig, ts, nonce = (q[n] for n in names)
            other_ts = str(s.now * 1000 - 1)
            yield Req(
                c, "POST", path, {**q, names[1]: other_ts}, body=body, note="timestamp not the signed one"
            )
            yield Req(
                c, "POST", path, {**q, "nonce": s.nonce()}, body=body, note="signature of another nonce"
            )
            other = "timestamp" if names[1] == "timeStamp" else "timeStamp"
            yield Req(
                c,
                "POST",
                path,
                {names[0]: sig, other: other_ts, "nonce": nonce},
                body=body,
                note=f"{other} of another time",
            )
            for first in (
                f"{names[0]}={self.junk_sig()}",
                f"{names[1]}={s.now * 1000 - 600_000}",
                f"nonce={s.nonce()}",
            ):
                target = f"{path}?{first}&" + urlencode(q)
                yield Req(c, "POST", target, body=body, note=f"duplicated, first {first[:30]}")
            if names[0] == "signature":  # both namings: msg_signature/timeStamp win
                yield Req(
                    c,
                    "POST",
                    path,
                    {**q, "msg_signature": self.junk_sig() or "0" * 40},
                    body=body,
                    note="forged msg_signature beside a signed signature",
                )
                yield Req(
                    c,
                    "POST",
                    path,
                    {**q, "timeStamp": str(s.now * 1000 - 600_000)},
                    body=body,
                    note="stale timeStamp beside a signed timestamp",
                )
            # wrong signatures
            for junk in {self.junk_sig() for _ in range(4)} | {sig[:-1], sig + "0", sig[::-1]}:
                if junk != sig:
                    yield Req(c, "POST", path, {**q, names[0]: junk}, body=body, note=f"forged {junk[:12]!r}")
            encrypted = json.loads(body or b"{}")["encrypt"]
            for token in ("", DING_EVENT_TOKEN.upper(), DING_EVENT_TOKEN + " "):
                yield Req(
                    c,
                    "POST",
                    path,
                    s.ding_event_query(encrypted, ts, nonce, new_names=new_names, token=token),
                    body=body,
                    note=f"signed with token {token!r:.10}",
                )
            unsorted = hashlib.sha1(f"{DING_EVENT_TOKEN}{ts}{nonce}{encrypted}".encode()).hexdigest()  # noqa: S324
            yield Req(c, "POST", path, {**q, names[0]: unsorted}, body=body, note="sha1 unsorted")
            other_frame = encrypt(
                s.ding_event_key, dumps({**leave, "UserId": [DING_IDS["wujiu"]]}), DING_APP_KEY
            )
            yield Req(
                c, "POST", path, q, body=dumps({"encrypt": other_frame}), note="signature of another frame"
            )
        # timestamps: stale, future, in seconds, absurd (signed over each)
        check = s.ding_event_plain("check_url")
        for ms in (
            s.now * 1000 - 301_000,
            s.now * 1000 + 301_000,
            s.now * 1000 - 7_200_000,
            s.now,
            0,
            -1,
            10**13,
            10**14,
            s.now * 1_000_000,
        ):
            yield s.ding_event(c, check, ts=str(ms), note=f"ts {ms}")
        # the body
        for raw in (
            b"",
            b"{",
            b"encrypt=abc",
            b"<xml><Encrypt>abc</Encrypt></xml>",
            b"\xff\xfe{}",
            b'{"encrypt":"abc"} x',
            b'{"encrypt":"abc","encrypt":',
            b"[1]",
            b'"abc"',
            b"5",
            b"null",
            b"true",
            b"\xef\xbb\xbf{}",
            json.dumps({"encrypt": "x"}).encode("utf-16"),
        ):
            good = s.ding_event(c, check)
            yield Req(c, "POST", path, good.query, body=raw, note=f"body {raw[:20]!r}")
        for value in ([], ["abc"], "abc", 5, None, True):  # JSON, not an object, signed over its text
            yield s.ding_event_encrypted(c, value, body=dumps(value), note=f"body {value!r}")
        good = s.ding_event(c, check)
        frame_text = json.loads(good.body or b"{}")["encrypt"]
        for obj in ({}, {"Encrypt": frame_text}, {"encrypt_": frame_text}, {"data": {"encrypt": frame_text}}):
            yield Req(c, "POST", path, good.query, body=dumps(obj), note=f"body keys {list(obj)}")
        # encrypt: not a string, empty, not base64, wrong block size, 1 MB
        not_text: list[Any] = [5, None, [], {}, True, 1.5, [frame_text], {"encrypt": frame_text}, 2**70, ""]
        for odd in not_text:
            yield s.ding_event_encrypted(c, odd, note=f"encrypt {odd!r:.30}")
        b64 = base64.b64encode
        for bad in (
            "!!!!",
            "====",
            "A",
            "AAA",
            frame_text + "\n",
            " " + frame_text,
            frame_text[:-2],
            frame_text.replace("+", "-").replace("/", "_") + "-_",
            "加密" * 20,
            frame_text + "\u00e9",
            b64(self.rnd.randbytes(15)).decode(),
            b64(self.rnd.randbytes(17)).decode(),
            b64(self.rnd.randbytes(31)).decode(),
            b64(base64.b64decode(frame_text)[:-1]).decode(),
            b64(self.rnd.randbytes(16 * 3000)).decode(),
            b64(b"\x00" * 32).decode(),
        ):
            yield s.ding_event_encrypted(c, bad, note=f"encrypt {bad[:16]!r} ({len(bad)})")
        big = "A" * (1024 * 1024)
        yield s.ding_event_encrypted(c, big, note="encrypt 1 MB")
        # a frame for another app, or under another key
        for owner in (
            "dingotherappkey",
            "",
            DING_APP_KEY + "x",
            DING_APP_KEY[:-1],
            DING_APP_KEY.upper(),
            "dingtestcorp",
            DING_APP_KEY + "\x00",
        ):
            yield s.ding_event(c, check, owner=owner, note=f"owner {owner!r}")
            yield s.ding_event(c, leave, owner=owner, note=f"leave for owner {owner!r}")
        other_key = aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        yield s.ding_event_encrypted(
            c, encrypt(other_key, dumps(leave), DING_APP_KEY), note="another aes key"
        )
        # validly signed and encrypted plaintexts that are not JSON objects of the right types
        for plain in (
            "",
            "success",
            "<xml><EventType>check_url</EventType></xml>",
            "{",
            '{"EventType":',
            "check_url",
            b"\xff\xfe{}",
            b'{"EventType":"\xc3\x28"}',
            "[]",
            "null",
            "5",
            '"check_url"',
            '{"EventType":"check_url"} x',
            "\ufeff{}",
        ):
            yield s.ding_event(c, plain, note=f"plaintext {plain[:24]!r}")
        kinds: list[Any] = [
            None,
            5,
            True,
            [],
            {},
            ["check_url"],
            "",
            "x" * 65,
            "user_leave_org\x00",
            "user\ud800",
            "用户离职",
        ]
        for kind in kinds:
            yield s.ding_event(
                c, {"EventType": kind, "UserId": [DING_IDS["zhaoliu"]]}, note=f"EventType {kind!r}"
            )
        ids = ["manager4220", "0149221535731063"]
        for kind in ("user_leave_org", "user_modify_org", "user_dept_change"):
            for users in (
                None,
                5,
                "manager4220",
                [],
                [5],
                [None],
                [ids],
                [{"userId": ids[0]}],
                ["x" * 65],
                ["经理"],
                ["a b"],
                ["m\ud800"],
                ["m\x00"],
                [""],
                ids * 501,
                True,
            ):
                yield s.ding_event(
                    c, s.ding_event_plain(kind, UserId=users), note=f"{kind} UserId {users!r:.40}"
                )
            stamps: list[Any] = [None, 5.5, "abc", "9" * 14, "-1", [], True, {"t": 1}, 10**14, "", " 1"]
            for stamp in stamps:
                stamped = {"EventType": kind, "UserId": ids, "TimeStamp": stamp}
                yield s.ding_event(c, stamped, note=f"{kind} TimeStamp {stamp!r:.20}")
            for eid in ("x" * 129, "e\u00e9", "a b"):
                yield s.ding_event(
                    c,
                    {**s.ding_event_plain(kind, UserId=ids), "eventId": eid},
                    note=f"{kind} eventId {eid[:12]!r}",
                )
        for depts in (
            None,
            5,
            "5",
            [],
            [0],
            [-1],
            [1.5],
            [True],
            ["abc"],
            ["-5"],
            ["0"],
            [2**63],
            ["9" * 14],
            [None],
            [[1]],
            list(range(1, 1003)),
            ["1e3"],
            [" 5"],
        ):
            yield s.ding_event(
                c,
                s.ding_event_plain("org_dept_remove", DeptId=depts),
                note=f"org_dept_remove DeptId {depts!r:.40}",
            )
        yield s.ding_event(
            c, s.ding_event_plain("org_dept_remove", UserId=ids), note="org_dept_remove without DeptId"
        )
        yield s.ding_event(
            c, s.ding_event_plain("user_leave_org", DeptId=[1]), note="user_leave_org without UserId"
        )

    def gen_methods_paths(self) -> Iterator[Req]:
        c = "methods_paths"
        for path in (
            "/wecom/callback",
            f"/wechat/{WECHAT_ACCOUNT}/callback",
            "/dingtalk/robot",
            "/dingtalk/card",
            "/dingtalk/event",
            "/api/inquiries",
            "/healthz",
        ):
            for method in ("PUT", "DELETE", "PATCH"):
                yield Req(c, method, path, body=b"{}", note="wrong method")
        yield Req(c, "GET", "/dingtalk/robot", note="GET robot")
        yield Req(c, "GET", "/dingtalk/card", note="GET card")
        event = self.s.ding_event(c, self.s.ding_event_plain("check_url"))
        for method in ("GET", "PUT", "DELETE"):  # signed, even: only POST is the subscription
            yield Req(
                c, method, "/dingtalk/event", event.query, body=event.body, note=f"{method} event signed"
            )
        yield Req(
            c, "GET", "/dingtalk/event", {**(event.query or {}), "echostr": "1"}, note="GET event echostr"
        )
        yield Req(c, "GET", "/api/inquiries", note="GET intake")
        # the simulator is off: none of its routes answer
        for method, path in (
            ("GET", "/"),
            ("GET", "/sim/api/people"),
            ("GET", "/sim/api/messages?as=lisi"),
            ("POST", "/sim/api/send"),
            ("POST", "/sim/api/tap"),
            ("POST", "/sim/api/follower"),
            ("POST", "/sim/api/directory"),
            ("GET", "/sim/files/1"),
            ("GET", "/static/index.html"),
        ):
            yield Req(
                c,
                method,
                path,
                body='{"as":"lisi","text":"通过"}'.encode() if method == "POST" else None,
                note="simulator route",
            )
        for target in (
            "/wechat/../wecom/callback",
            "/wechat/%00/callback",
            "/wechat//callback",
            "/wechat/%ff%fe/callback",
            "/wecom/callback/../../etc/passwd",
            "/wechat/%2e%2e/callback",
            "/WECOM/CALLBACK",
            "/wecom/callback%00",
        ):
            yield Req(c, "POST", target, raw=raw_http("POST", target, []), note="odd path")

    def gen_query_junk(self) -> Iterator[Req]:
        s, c = self.s, "query_junk"
        encrypted = encrypt(s.wecom_key, s.wecom_text("zhangsan", "帮助"), CORP_ID)
        q = s.wecom_query(encrypted)
        body = s.wecom_envelope(encrypted)
        yield Req(
            c,
            "POST",
            "/wecom/callback?" + urlencode(q) + f"&timestamp={s.now - 9999}",
            body=body,
            expect=ANY,
            note="duplicate timestamp (first one signed)",
        )
        yield Req(
            c, "POST", "/wecom/callback?timestamp=1&" + urlencode(q), body=body, note="duplicate timestamp"
        )
        for target in (
            "/wecom/callback?msg_signature=%ff%fe&timestamp=%ff&nonce=%c3%28",
            f"/wecom/callback?msg_signature={q['msg_signature']}&timestamp=%ed%a0%80&nonce=1",
            f"/wechat/{WECHAT_APP_ID}/callback?signature=%ff&timestamp=%ff&nonce=%ff&echostr=%ff",
            "/wecom/callback?echostr=%ff&msg_signature=a&timestamp=1&nonce=1",
        ):
            method = "GET" if "echostr" in target else "POST"
            yield Req(
                c,
                method,
                target,
                raw=raw_http(method, target, [], body if method == "POST" else b""),
                note="percent-encoded non-UTF-8 query",
            )
        event = s.ding_event(c, s.ding_event_plain("check_url"))
        eq = event.query or {}
        for target in (
            "/dingtalk/event?msg_signature=%ff%fe&timeStamp=%ff&nonce=%c3%28",
            f"/dingtalk/event?msg_signature={eq['msg_signature']}&timeStamp=%ed%a0%80&nonce={eq['nonce']}",
            f"/dingtalk/event?msg_signature={eq['msg_signature']}&timeStamp={eq['timeStamp']}&nonce=%ff",
            f"/dingtalk/event?msg_signature={eq['msg_signature']}%00&timeStamp={eq['timeStamp']}"
            f"&nonce={eq['nonce']}",
        ):
            yield Req(
                c, "POST", target, raw=raw_http("POST", target, [], event.body or b""), note="event odd query"
            )
        # duplicated or both namings: the first msg_signature/timeStamp is what is read
        yield Req(
            c,
            "POST",
            "/dingtalk/event?" + urlencode(eq) + f"&timeStamp={s.now * 1000 - 9_999_000}&nonce=1",
            body=event.body,
            expect=ANY,
            note="event duplicates after the signed ones",
        )
        yield Req(
            c,
            "POST",
            "/dingtalk/event?" + urlencode({**eq, "signature": "0" * 40, "timestamp": "1"}),
            body=event.body,
            expect=ANY,
            note="event both namings, old ones signed",
        )
        for _ in range(4):
            extra = {f"k{i}": "v" * self.rnd.randint(0, 50) for i in range(self.rnd.randint(1, 200))}
            yield Req(
                c,
                "POST",
                "/dingtalk/event",
                {**extra, **eq},
                body=event.body,
                expect=ANY,
                note="event many params",
            )
            yield Req(
                c,
                "POST",
                "/dingtalk/event",
                {**extra, **eq, "msg_signature": self.junk_sig()},
                body=event.body,
                note="event many params, forged",
            )
        for echostr in (
            "",
            "%%%",
            "A" * 5000,
            "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQ== ",
        ):
            yield s.wecom_get(c, echostr, note=f"signed echostr {echostr[:10]!r}")
        yield Req(
            c,
            "GET",
            f"/wechat/{WECHAT_ACCOUNT}/callback",
            s.wechat_query(),
            expect=ANY,
            note="wechat GET without echostr",
        )
        for _ in range(6):
            extra = {f"k{i}": "v" * self.rnd.randint(0, 50) for i in range(self.rnd.randint(1, 200))}
            yield Req(
                c,
                "POST",
                "/wecom/callback",
                {**extra, "msg_signature": self.junk_sig(), "timestamp": str(s.now), "nonce": "1"},
                body=body,
                note="many params",
            )
