"""WeChat official accounts (微信公众号): followers' messages arrive on ``/wechat/{account}/callback``
and become inquiries (Art. 12). Each account has its own callback settings in the organisation
file (``wechat: {app_id, token, aes_key, app_secret}``).
"""
