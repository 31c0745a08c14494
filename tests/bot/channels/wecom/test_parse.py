"""WeCom parsing (pure): the public vectors of protocols/wecom.md §8 and the quirks of §1.5/§2.2."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.channels.wecom.crypto import BadSignature, Crypto, WrongCorp
from bot.channels.wecom.parse import Malformed, parse_envelope, parse_plaintext
from bot.events import CardAction, ImageMessage, LinkMessage, TextMessage, UnsupportedMessage

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
    envelope = WECHATPY.encrypt_reply(plain, "461056294", "1411525903")
    assert "<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>" in envelope
    assert envelope.count("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk") == 1
    encrypted = parse_envelope(envelope).encrypted
    assert WECHATPY.decrypt(encrypted) == plain
