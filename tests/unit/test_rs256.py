"""RS256 with pycryptodome (chalicelib/identity/rs256.py, the development provider's signer) against
``cryptography``, the implementation PyJWT would otherwise use: signatures verify both ways, changes
and weak keys are refused, PyJWT uses our algorithm everywhere. The relying party's checks (every
algorithm, ``alg`` tricks): tests/unit/test_id_tokens.py."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading

import jwt
import pytest
from Crypto.PublicKey import RSA
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.identity import rs256
from tests.conftest import ROOT
from tests.fake_idp import sign_rs256

CLAIMS = {"sub": "subject-1", "name": "Testaaja", "iat": 1_700_000_000}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def crypto_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def our_key():
    return RSA.generate(2048)


def public_jwk(crypto_private_key) -> dict:
    numbers = crypto_private_key.public_key().public_numbers()
    as_b64 = lambda value: b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))  # noqa: E731
    return {"kty": "RSA", "n": as_b64(numbers.n), "e": as_b64(numbers.e)}


def public_pem(crypto_private_key) -> bytes:
    return crypto_private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- registration ----------------------------------------------------------------------------


def test_pyjwt_uses_our_rs256():
    assert isinstance(jwt.get_algorithm_by_name("RS256"), rs256.RS256)
    rs256.register()
    rs256.register()  # idempotent
    assert isinstance(jwt.get_algorithm_by_name("RS256"), rs256.RS256)
    assert "RS256" in jwt.api_jws._jws_global_obj.get_algorithms()


@pytest.mark.race
def test_registering_replaces_pyjwts_own_handler_once_from_many_threads():
    jwt.unregister_algorithm("RS256")
    jwt.register_algorithm("RS256", jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256))
    errors = []

    def register():
        try:
            rs256.register()
        except Exception as error:  # pragma: no cover - the failure the test looks for
            errors.append(error)

    threads = [threading.Thread(target=register) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert isinstance(jwt.get_algorithm_by_name("RS256"), rs256.RS256)


# --- signatures across implementations -------------------------------------------------------


def test_a_token_signed_by_cryptography_verifies_with_ours(crypto_key):
    token = sign_rs256(CLAIMS, crypto_key, {"kid": "k1"})
    from_jwk = rs256.RS256.from_jwk(public_jwk(crypto_key))
    assert jwt.decode(token, from_jwk, algorithms=["RS256"]) == CLAIMS
    assert jwt.decode(token, public_pem(crypto_key), algorithms=["RS256"]) == CLAIMS
    assert jwt.decode(token, public_pem(crypto_key).decode(), algorithms=["RS256"]) == CLAIMS


def test_a_token_signed_by_ours_verifies_with_cryptography(our_key):
    token = jwt.encode(CLAIMS, our_key, algorithm="RS256", headers={"kid": "k1"})
    signing_input, _, signature = token.rpartition(".")
    public = serialization.load_pem_public_key(our_key.public_key().export_key())
    public.verify(b64url_decode(signature), signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(b64url_decode(signature), signing_input.encode() + b"x", padding.PKCS1v15(), hashes.SHA256())
    # The PEM text the development provider stores signs as well as the key object.
    assert jwt.decode(jwt.encode(CLAIMS, our_key.export_key(pkcs=8), algorithm="RS256"), our_key.public_key(),
                      algorithms=["RS256"]) == CLAIMS


def test_changed_payload_or_signature_fails(crypto_key):
    key = rs256.RS256.from_jwk(public_jwk(crypto_key))
    header, payload, signature = sign_rs256(CLAIMS, crypto_key).split(".")
    other_payload = b64url(json.dumps({**CLAIMS, "sub": "subject-2"}, separators=(",", ":")).encode())
    raw = bytearray(b64url_decode(signature))
    raw[100] ^= 1
    flipped = b64url(bytes(raw))
    for forged in (
        f"{header}.{other_payload}.{signature}",
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.{b64url(b64url_decode(signature)[:-8])}",  # too short a signature
        f"{header}.{payload}.",
        f"{header}.{payload}.{b64url(bytes(256))}",
    ):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, key, algorithms=["RS256"])
    another = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(sign_rs256(CLAIMS, another), key, algorithms=["RS256"])


def test_verify_returns_false_rather_than_raising(our_key):
    algorithm = rs256.RS256()
    assert algorithm.verify(b"msg", our_key.public_key(), algorithm.sign(b"msg", our_key))
    assert not algorithm.verify(b"msg", our_key.public_key(), b"")
    assert not algorithm.verify(b"msg", our_key.public_key(), b"\xff" * 300)
    assert not algorithm.verify(b"other", our_key.public_key(), algorithm.sign(b"msg", our_key))


# --- keys ------------------------------------------------------------------------------------


def test_keys_under_2048_bits_are_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    token = sign_rs256(CLAIMS, weak)
    with pytest.raises(jwt.InvalidKeyError):
        rs256.RS256.from_jwk(public_jwk(weak))
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(token, public_pem(weak), algorithms=["RS256"])
    weak_ours = RSA.construct((weak.public_key().public_numbers().n, 65537))
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(token, weak_ours, algorithms=["RS256"])
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode(CLAIMS, RSA.generate(1024), algorithm="RS256")


def test_jwk_round_trip_has_public_parts_only(our_key):
    jwk = rs256.RS256.to_jwk(our_key, as_dict=True)
    assert set(jwk) == {"kty", "n", "e"} and jwk["e"] == "AQAB"
    assert json.loads(rs256.RS256.to_jwk(our_key)) == jwk
    assert rs256.RS256.from_jwk(jwk) == our_key.public_key()
    assert rs256.RS256.from_jwk(json.dumps(jwk)) == our_key.public_key()


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA", "e": "AQAB"},
        {"kty": "RSA", "n": 12345, "e": "AQAB"},
        {"kty": "RSA", "n": "!!!!", "e": "AQAB"},
        {"kty": "RSA", "n": b64url(bytes(256)), "e": "AQAB"},  # n = 0
        "not json",
        ["kty", "RSA"],
    ],
)
def test_unusable_jwks_are_refused(jwk):
    with pytest.raises(jwt.InvalidKeyError):
        rs256.RS256.from_jwk(jwk)


def test_private_jwks_are_refused(our_key):
    jwk = {**rs256.RS256.to_jwk(our_key, as_dict=True), "d": b64url(int(our_key.d).to_bytes(256, "big"))}
    with pytest.raises(jwt.InvalidKeyError):
        rs256.RS256.from_jwk(jwk)


def test_other_key_kinds_are_refused(crypto_key, our_key):
    algorithm = rs256.RS256()
    for key in (crypto_key, crypto_key.public_key(), b"", "secret", b"ssh-rsa AAAA", 42, None):
        with pytest.raises(jwt.InvalidKeyError):
            algorithm.prepare_key(key)
    with pytest.raises(jwt.InvalidKeyError):
        algorithm.prepare_key(b"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode(CLAIMS, our_key.public_key(), algorithm="RS256")  # signing needs the private key


def test_without_cryptography_and_cffi_as_in_lambda():
    """The Lambda package has neither (the tests do): PyJWT has no RS256 of its own there, and
    pycryptodome calls its C code through ctypes instead of cffi."""
    script = (
        "import sys; sys.modules['cffi'] = sys.modules['cryptography'] = None\n"
        "from Crypto.Util import _raw_api\n"
        "assert _raw_api.backend == 'ctypes', _raw_api.backend\n"
        "import jwt\n"
        "assert not jwt.algorithms.has_crypto\n"
        "from Crypto.PublicKey import RSA\n"
        "from chalicelib.identity import rs256\n"
        "assert isinstance(jwt.get_algorithm_by_name('RS256'), rs256.RS256)\n"
        "key = RSA.generate(2048)\n"
        "token = jwt.encode({'sub': 'x'}, key, algorithm='RS256')\n"
        "assert jwt.decode(token, key.public_key(), algorithms=['RS256']) == {'sub': 'x'}\n"
        "from Crypto.Cipher import AES\n"
        "sealed, tag = AES.new(bytes(32), AES.MODE_GCM, nonce=bytes(12)).encrypt_and_digest(b'data')\n"
        "assert AES.new(bytes(32), AES.MODE_GCM, nonce=bytes(12)).decrypt_and_verify(sealed, tag) == b'data'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
