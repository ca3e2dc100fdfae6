"""SMS senders. Chinese gateways only send pre-registered templates with named parameters: SMS_TEMPLATES maps each
notification kind to the gateway's template code, and SMS_SIGN_NAME is the registered signature (签名)."""

import json
import logging

log = logging.getLogger(__name__)


class LogSmsSender:
    """Development: write the message to the log (the number masked)."""

    def __init__(self, config=None):
        self.config = config or {}

    def send(self, mobile, kind, params, idempotency_key):
        """Log the message instead of sending it."""
        log.info("sms %s to %s****%s: %s (%s)", kind, mobile[:-8], mobile[-4:], json.dumps(params, ensure_ascii=False),
                 idempotency_key)


class CollectingSmsSender:
    """Tests: keep every message; a resend with the same idempotency key is dropped, as gateways do."""

    sent = []

    def __init__(self, config=None):
        pass

    def send(self, mobile, kind, params, idempotency_key):
        """Keep the message unless its key was seen."""
        if all(m["key"] != idempotency_key for m in self.sent):
            self.sent.append({"to": mobile, "kind": kind, "params": params, "key": idempotency_key})


class AliyunSmsSender:
    """Alibaba Cloud SMS (dysmsapi SendSms): TemplateCode per kind, TemplateParam JSON, OutId = idempotency key.

    Settings: SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_SIGN_NAME, SMS_TEMPLATES (JSON: kind -> code)."""

    ENDPOINT = "https://dysmsapi.aliyuncs.com/"

    def __init__(self, config):
        self.key_id = config.get("SMS_ACCESS_KEY_ID")
        self.secret = config.get("SMS_ACCESS_KEY_SECRET")
        self.sign_name = config.get("SMS_SIGN_NAME")
        self.templates = config.get("SMS_TEMPLATES") or {}

    def request_params(self, mobile, kind, params, idempotency_key, nonce, timestamp):
        """The signed query parameters of one SendSms call (RPC signature v1, HMAC-SHA1)."""
        import base64
        import hashlib
        import hmac
        from urllib.parse import quote

        query = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON", "OutId": idempotency_key,
            "PhoneNumbers": mobile.removeprefix("+86"), "RegionId": "cn-hangzhou", "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce, "SignatureVersion": "1.0",
            "TemplateCode": self.templates[kind], "TemplateParam": json.dumps(params, ensure_ascii=False),
            "Timestamp": timestamp, "Version": "2017-05-25",
        }

        def enc(value):
            return quote(str(value), safe="~")

        canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query.items()))
        to_sign = f"GET&{enc('/')}&{enc(canonical)}"
        digest = hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        return {**query, "Signature": base64.b64encode(digest).decode()}

    def send(self, mobile, kind, params, idempotency_key):
        """Call SendSms; raise on anything but Code OK."""
        import uuid

        import requests

        from core import time as clock

        if kind not in self.templates:
            return  # no template registered for this kind: nothing to send by SMS
        query = self.request_params(mobile, kind, params, idempotency_key, uuid.uuid4().hex,
                                    clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))
        answer = requests.get(self.ENDPOINT, params=query, timeout=10).json()
        if answer.get("Code") != "OK":
            raise RuntimeError(f"SMS gateway refused: {answer.get('Code')}")
