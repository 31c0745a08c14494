"""WeCom parsing (pure): the public vectors of WeCom's callback documentation
(doc 90968, 90930) and the quirks in bot/channels/wecom/parse.py's docstring."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.verify import Malformed
from bot.channels.wecom.parse import parse_plaintext
from bot.channels.wxbiz import BadSignature, Crypto, WrongCorp, parse_envelope
from bot.events import CardAction, ImageMessage, LinkMessage, TextMessage, UnsupportedMessage
from tests.wecom_callbacks import encrypt_reply

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SAMPLE = Crypto("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
                "ww1436e0e65a779aee")
WECHATPY = Crypto("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
SAMPLE_ECHO = ("fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVH"
               "yA==")
SAMPLE_POST = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhz"
    "TtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z"
    "5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0"
    "cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKi"
    "ypE+"
)
CARD_EVENT = """<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456789</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[template_card_event]]></Event>
<EventKey><![CDATA[key111]]></EventKey>
<TaskId><![CDATA[taskid111]]></TaskId>
<CardType><![CDATA[text_notice]]></CardType>
<ResponseCode><![CDATA[ResponseCode]]></ResponseCode>
<AgentID>1</AgentID>
<SelectedItems>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId1]]></OptionId>
            <OptionId><![CDATA[OptionId2]]></OptionId>
        </OptionIds>
    </SelectedItem>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
            <OptionId><![CDATA[OptionId4]]></OptionId>
        </OptionIds>
    </SelectedItem>
</SelectedItems>
</xml>"""


def test_tencent_sample_get_vector() -> None:
    SAMPLE.verify("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", SAMPLE_ECHO)
    assert SAMPLE.decrypt(SAMPLE_ECHO) == "1288432023552776189"


def test_tencent_sample_post_vector_decrypts_and_parses() -> None:
    SAMPLE.verify("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", SAMPLE_POST)
    plain = SAMPLE.decrypt(SAMPLE_POST)
    assert plain == (
        "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
        "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
        "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
    )
    event = parse_plaintext(plain, NOW)
    assert isinstance(event, TextMessage)
    assert (event.sender, event.text, event.key) == ("ChenJiaShun", "你好", "m:1456453720")


def test_wechatpy_vectors_and_a_wrong_nonce() -> None:
    echo = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    WECHATPY.verify("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425", echo)
    assert WECHATPY.decrypt(echo) == "5927782489442352469"
    with pytest.raises(BadSignature):
        WECHATPY.verify("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374424", echo)


def test_wrong_corp_id_is_refused() -> None:
    other = Crypto("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
                   "ww-someone-else")
    with pytest.raises(WrongCorp):
        other.decrypt(SAMPLE_ECHO)


def test_template_card_event_sample() -> None:
    event = parse_plaintext(CARD_EVENT, NOW)
    assert isinstance(event, CardAction)
    assert (event.sender, event.payload, event.card_id) == ("FromUser", "key111", "taskid111")
    assert event.extra["response_code"] == "ResponseCode"
    assert event.extra["card_type"] == "text_notice"
    assert event.extra["selected"] == "QuestionKey1=OptionId1,OptionId2;QuestionKey2=OptionId3,OptionId4"
    assert event.key == "e:FromUser:123456789:taskid111:key111"


def test_single_selected_item_is_a_one_element_list() -> None:
    one = CARD_EVENT.replace(
        """    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
            <OptionId><![CDATA[OptionId4]]></OptionId>
        </OptionIds>
    </SelectedItem>
""", "").replace("<OptionId><![CDATA[OptionId2]]></OptionId>", "")
    event = parse_plaintext(one, NOW)
    assert isinstance(event, CardAction) and event.extra["selected"] == "QuestionKey1=OptionId1"


def test_string_msgid_is_kept_unchanged() -> None:
    xml = ("<xml><ToUserName>c</ToUserName><FromUserName>u1</FromUserName><CreateTime>1</CreateTime>"
           "<MsgType>text</MsgType><Content>hi</Content><MsgId>CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==</MsgId>"
           "<AgentID>1000002</AgentID></xml>")
    event = parse_plaintext(xml, NOW)
    assert event is not None and event.key == "m:CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw=="


def _msg(body: str) -> str:
    return (f"<xml><ToUserName>c</ToUserName><FromUserName>u1</FromUserName><CreateTime>5</CreateTime>"
            f"{body}<AgentID>1</AgentID></xml>")


def test_image_link_unsupported_and_enter_agent() -> None:
    image = parse_plaintext(_msg("<MsgType>image</MsgType><PicUrl>http://p/1.jpg</PicUrl>"
                                 "<MediaId>MEDIA1</MediaId><MsgId>7</MsgId>"), NOW)
    assert isinstance(image, ImageMessage) and image.media_id == "MEDIA1" and image.data is None
    link = parse_plaintext(_msg("<MsgType>link</MsgType><Title>T</Title><Url>https://x/y</Url>"
                                "<Description>D</Description><MsgId>8</MsgId>"), NOW)
    assert isinstance(link, LinkMessage) and (link.title, link.url) == ("T", "https://x/y")
    voice = parse_plaintext(_msg("<MsgType>voice</MsgType><MediaId>m</MediaId><MsgId>9</MsgId>"), NOW)
    assert isinstance(voice, UnsupportedMessage) and voice.what == "voice"
    assert parse_plaintext(_msg("<MsgType>event</MsgType><Event>enter_agent</Event>"), NOW) is None
    assert parse_plaintext(_msg("<MsgType>event</MsgType><Event>brand_new_event</Event>"), NOW) is None


@pytest.mark.parametrize("body", [
    "", "not xml", "<xml>", "<other/>", "<xml><ToUserName>x</ToUserName></xml>",
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    "<xml><Encrypt>&lol2;</Encrypt></xml>",
])
def test_malformed_envelopes_and_entity_tricks_are_refused(body: str) -> None:
    with pytest.raises(Malformed):
        parse_envelope(body)


WECHATPY_POST = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv2"
    "83dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvk"
    "KR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdg"
    "pkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnT"
    "bcX2e8K9QaNWHp91eBdCRxthuL0="
)


def test_wechatpy_post_vector() -> None:
    WECHATPY.verify("74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294", WECHATPY_POST)
    event = parse_plaintext(WECHATPY.decrypt(WECHATPY_POST), NOW)
    assert isinstance(event, TextMessage)
    assert (event.sender, event.text, event.key) == ("messense", "test", "m:4363689963896700987")


def test_deterministic_encryption_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    from wechatpy.crypto.base import BasePrpCrypto

    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda self: "1234567890123456")
    plain = "\n".join([
        "<xml>", "<MsgType><![CDATA[text]]></MsgType>", "<Content><![CDATA[test]]></Content>",
        "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>",
        "<ToUserName><![CDATA[messense]]></ToUserName>", "<AgentID>1</AgentID>",
        "<CreateTime>1411525903</CreateTime>", "</xml>"])
    envelope = encrypt_reply(WECHATPY, plain, "461056294", "1411525903")
    assert "<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>" in envelope
    assert envelope.count("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk") == 1
    encrypted = parse_envelope(envelope).encrypted
    assert WECHATPY.decrypt(encrypted) == plain


# --- hardening: strict frames, bounded parsing, bounded keys ----------------------------------------

def frame(key: bytes, plaintext: bytes) -> str:
    """An AES frame around exactly ``plaintext`` (already a multiple of 16: no padding added)."""
    import base64

    from wechatpy.crypto.cryptography import WeChatCipher

    return base64.b64encode(WeChatCipher(key).encrypt(plaintext)).decode()


def framed(message: bytes, owner: bytes, *, pad: bytes | None = None, length: int | None = None) -> bytes:
    """random(16) · length · message · owner · pad (PKCS#7 to 32 unless ``pad`` is given)."""
    body = b"R" * 16 + (len(message) if length is None else length).to_bytes(4, "big") + message + owner
    if pad is None:
        n = 32 - len(body) % 32
        pad = bytes([n]) * n
    return body + pad


CORP = b"ww1436e0e65a779aee"
MESSAGE = b"<xml><MsgType>text</MsgType></xml>"  # 34 bytes: with the header and the CorpID, 72


def _pad_to_16(body: bytes, last: int) -> bytes:
    """``body`` plus filler and a final byte ``last``, to a multiple of 16 (a deliberately bad pad)."""
    n = 16 - (len(body) + 1) % 16
    return body + b"\x07" * (n % 16) + bytes([last])


BROKEN_FRAMES = {
    "pad byte 0": _pad_to_16(framed(MESSAGE, CORP, pad=b""), 0),
    "pad 33": framed(MESSAGE, CORP, pad=b"") + bytes([33]) * 24,
    "pad reaching into the header": (b"R" * 16 + b"\x00\x00\x00\x01")[:16] + bytes([32]) * 16,
    "inconsistent pad bytes": framed(MESSAGE, CORP, pad=bytes([7]) * 23 + bytes([24])),  # wechatpy took it
    "one block": bytes([16]) * 16,
    "length beyond the frame": framed(MESSAGE, CORP, length=10_000),
    "length 2**32-1": framed(MESSAGE, CORP, length=2**32 - 1),
    "frame shorter than its header": framed(b"", b"", pad=b"")[:8] + bytes([8]) * 8,
    "message not UTF-8": framed(b"\xff\xfe<xml/>", CORP),
}


def test_a_well_formed_frame_opens() -> None:
    assert SAMPLE.decrypt(frame(SAMPLE.key, framed(MESSAGE, CORP))) == MESSAGE.decode()
    assert SAMPLE.decrypt(frame(SAMPLE.key, framed(b"", CORP))) == ""  # an empty message is a frame


@pytest.mark.parametrize("name", sorted(BROKEN_FRAMES))
def test_broken_frames_are_bad_ciphertext(name: str) -> None:
    from bot.channels.wxbiz import BadCiphertext

    plaintext = BROKEN_FRAMES[name]
    assert len(plaintext) % 16 == 0, name
    with pytest.raises(BadCiphertext) as info:
        SAMPLE.decrypt(frame(SAMPLE.key, plaintext))
    assert info.value.status == 400


@pytest.mark.parametrize("encrypted", ["", "%%%", "QUFB", "QUFBQUFBQUFBQUFBQUFBQUFB",  # 3 and 18 bytes
                                       "QUFB QUFB", "\udcff", "中文"])
def test_encrypted_values_that_are_not_whole_blocks_are_bad_ciphertext(encrypted: str) -> None:
    from bot.channels.wxbiz import BadCiphertext

    with pytest.raises(BadCiphertext):
        SAMPLE.decrypt(encrypted)


def test_deep_or_declaring_xml_is_refused_before_parsing() -> None:
    deep = "<xml><Encrypt>x</Encrypt>" + "<ToUserName>" * 5000 + "</ToUserName>" * 5000 + "</xml>"
    with pytest.raises(Malformed):
        parse_envelope(deep)  # once RecursionError in str() of the nested dict, before the signature
    with pytest.raises(Malformed):
        parse_plaintext(_msg("<MsgType>text</MsgType>" + "<a>" * 20 + "</a>" * 20), NOW)
    with pytest.raises(Malformed):
        parse_plaintext('<!DOCTYPE x [<!ENTITY e "x">]>' + _msg("<MsgType>text</MsgType>"), NOW)


def test_a_long_event_key_and_msg_id_give_bounded_stable_distinct_keys() -> None:
    from bot.channels import verify

    long_key = "ap:12:1:" + "k" * 1092
    tap = CARD_EVENT.replace("<![CDATA[key111]]>", f"<![CDATA[{long_key}]]>")
    event = parse_plaintext(tap, NOW)
    assert isinstance(event, CardAction) and event.payload == long_key
    assert len(event.key) <= verify.KEY_MAX and event.key.startswith("e:FromUser:123456789:taskid111:")
    assert parse_plaintext(tap, NOW).key == event.key  # type: ignore[union-attr]
    other = parse_plaintext(tap.replace("k</", "j</").replace("kkk]]", "kkj]]"), NOW)
    assert other is not None and other.key != event.key
    msg = parse_plaintext(_msg(f"<MsgType>text</MsgType><Content>hi</Content><MsgId>{'9' * 10_000}</MsgId>"),
                          NOW)
    assert msg is not None and msg.key.startswith("m:") and len(msg.key) == 66


@pytest.mark.parametrize("sender", ["a" * 65, "张三", "user name", "x<y", ""])
def test_senders_that_are_not_wecom_userids_are_malformed(sender: str) -> None:
    with pytest.raises(Malformed):
        parse_plaintext(f"<xml><FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>1</CreateTime>"
                        "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>", NOW)
    assert parse_plaintext(_msg("<MsgType>text</MsgType><MsgId>2</MsgId>").replace(
        "u1", "Zhang.San-01_x@corp"), NOW) is not None


def test_odd_shapes_read_as_empty_not_as_dicts() -> None:
    odd = CARD_EVENT.replace("<SelectedItem>\n", "<SelectedItem>plain text</SelectedItem><SelectedItem>\n", 1)
    event = parse_plaintext(odd, NOW)
    assert isinstance(event, CardAction) and event.extra["selected"].startswith("QuestionKey1=")
    nested = parse_plaintext(_msg("<MsgType>text</MsgType><Content><b>x</b></Content><MsgId>3</MsgId>"), NOW)
    assert isinstance(nested, TextMessage) and nested.text == ""
    with pytest.raises(Malformed):  # a TaskId longer than any card we send
        parse_plaintext(CARD_EVENT.replace("taskid111", "t" * 129), NOW)


_xml_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
_elements = st.sampled_from(["MsgType", "FromUserName", "CreateTime", "MsgId", "Content", "Event",
                             "EventKey", "TaskId", "SelectedItems", "SelectedItem", "OptionIds", "OptionId",
                             "QuestionKey", "Encrypt", "MediaId", "Title", "Url"])


@st.composite
def xml_documents(draw: st.DrawFn) -> str:
    """Random <xml> documents from WeCom's element names, values and nesting, valid or not."""
    def node(depth: int) -> str:
        name = draw(_elements)
        if depth < 4 and draw(st.booleans()):
            inner = "".join(node(depth + 1) for _ in range(draw(st.integers(0, 3))))
        else:
            value = draw(st.sampled_from(["text", "event", "template_card_event", "image", "file", "link",
                                          "1", "zhangsan", ""]) | _xml_text)
            inner = f"<![CDATA[{value}]]>" if "]]>" not in value else ""
        return f"<{name}>{inner}</{name}>"
    body = "".join(node(0) for _ in range(draw(st.integers(0, 8))))
    doc = f"<xml>{body}</xml>"
    if draw(st.booleans()):  # damage it
        cut = draw(st.integers(0, len(doc)))
        doc = doc[:cut] + draw(st.sampled_from(["", "<", "<!", "&x;", "<!DOCTYPE a>", "\x00"])) + doc[cut:]
    return doc


@given(doc=xml_documents() | st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parsers_any_text_gives_a_result_or_malformed(doc: str) -> None:
    from bot.events import Event

    try:
        assert isinstance(parse_envelope(doc).encrypted, str)
    except Malformed:
        pass
    try:
        event = parse_plaintext(doc, NOW)
        assert event is None or isinstance(event, Event)
    except Malformed:
        pass


@given(encrypted=st.text(max_size=200) | st.binary(max_size=200).map(
    lambda b: frame(SAMPLE.key, b + bytes(-len(b) % 16))))
@settings(max_examples=300, deadline=None)
def test_decrypt_any_value_gives_text_or_a_refusal(encrypted: str) -> None:
    from bot.channels import verify

    try:
        assert isinstance(SAMPLE.decrypt(encrypted), str)
    except verify.Refused:
        pass
