"""Signing an .amber file with the OpenSSF `model_signing` tool, key mode, as README.md
("Signing") documents it: sign, verify, and see verification fail once a byte changes. Every
run has the network cut off (its socket calls raise), so key mode is shown to work offline.
The signed digest is the file's SHA-256, the `sha256` that `amber inspect` shows."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

import amber

# model_signing is pinned in python/requirements-dev.txt: CI must have it (and fails here
# when it cannot import it); a venv made from another list (tests/vectors/sk13-requirements.txt)
# skips this file.
try:
    import model_signing
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("model_signing is not installed", allow_module_level=True)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

#: `python -c OFFLINE args...` runs the `model_signing` command with every way out to the
#: network raising, as on a machine without one.
OFFLINE = """
import runpy, socket
def offline(*args, **kwargs):
    raise OSError("no network in this test")
socket.socket.connect = socket.socket.connect_ex = offline
socket.create_connection = socket.getaddrinfo = offline
runpy.run_module("model_signing", run_name="__main__")
"""


def model_signing(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`model_signing ARGS...`, offline."""
    command = [sys.executable, "-c", OFFLINE, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """An ECDSA P-256 key pair as PEM files (what `openssl ecparam -genkey` makes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A dumped model, its signature and the public key (signed once: tests copy, not change)."""
    tmp_path = tmp_path_factory.mktemp("signed")
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 4)), np.arange(60) % 3
    model_path = tmp_path / "model.amber"
    amber.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), model_path)
    private, public = _key_pair(tmp_path, "key")
    signature = tmp_path / "model.amber.sig"
    out = model_signing(
        "sign", "key", model_path, "--private_key", private, "--signature", signature
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert signature.is_file()
    return model_path, signature, public


def test_a_signed_file_verifies(signed: tuple[Path, Path, Path]) -> None:
    model_path, signature, public = signed
    out = model_signing(
        "verify", "key", model_path, "--signature", signature, "--public_key", public
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Verification succeeded" in out.stdout + out.stderr


def test_a_changed_byte_fails_verification(signed: tuple[Path, Path, Path], tmp_path: Path) -> None:
    original, signature, public = signed
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    model_path = tmp_path / original.name
    model_path.write_bytes(bytes(data))
    out = model_signing(
        "verify", "key", model_path, "--signature", signature, "--public_key", public
    )
    assert out.returncode != 0
    assert "Verification failed" in out.stdout + out.stderr


def test_another_key_fails_verification(signed: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model_path, signature, _ = signed
    _, other = _key_pair(tmp_path, "other")
    out = model_signing(
        "verify", "key", model_path, "--signature", signature, "--public_key", other
    )
    assert out.returncode != 0


def test_the_signed_digest_is_the_files_sha256(signed: tuple[Path, Path, Path]) -> None:
    model_path, signature, _ = signed
    bundle = json.loads(signature.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    digests = [r["digest"] for r in statement["predicate"]["resources"]]
    assert digests == [amber.inspect(model_path)["sha256"]]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_the_readmes_openssl_key_signs_and_verifies(
    signed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    original, _, _ = signed
    model_path = tmp_path / original.name
    model_path.write_bytes(original.read_bytes())
    key, pub, sig = tmp_path / "key.pem", tmp_path / "key.pub.pem", tmp_path / "model.amber.sig"
    for command in (
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
        ["openssl", "ec", "-in", key, "-pubout", "-out", pub],
    ):
        subprocess.run(command, check=True, capture_output=True)
    signed_out = model_signing("sign", "key", model_path, "--private_key", key, "--signature", sig)
    assert signed_out.returncode == 0, signed_out.stdout + signed_out.stderr
    out = model_signing("verify", "key", model_path, "--public_key", pub, "--signature", sig)
    assert out.returncode == 0, out.stdout + out.stderr
