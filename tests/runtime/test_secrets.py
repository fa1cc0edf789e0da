from __future__ import annotations

from twilio.request_validator import RequestValidator

from ringflow.runtime.secrets import decrypt, encrypt, signature_ok, twilio_signature


def test_signature_matches_twilios_own_computation():
    url = "https://calls.example.com/voice/12/step?n=3&ev=timeout"
    params = {"CallSid": "CA1", "Digits": "1#", "From": "+1 555", "Empty": ""}
    expected = RequestValidator("tok3n").compute_signature(url, params)
    assert twilio_signature("tok3n", url, params.items()) == expected
    assert signature_ok("tok3n", url, params.items(), expected)
    assert not signature_ok("tok3n", url, {**params, "Digits": "2"}.items(), expected)
    assert not signature_ok("other", url, params.items(), expected)
    assert not signature_ok("tok3n", url, params.items(), None)


def test_tokens_are_encrypted_and_need_the_same_key():
    cipher = encrypt("server-key", "my-auth-token")
    assert "my-auth-token" not in cipher
    assert decrypt("server-key", cipher) == "my-auth-token"
    assert decrypt("another-key", cipher) is None and decrypt(None, cipher) is None
