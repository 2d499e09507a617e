"""The signing identity for C2PA manifests: a local CA + ES256 signing certificate made on first use.

C2PA validators reject self-signed end-entity certificates and want the emailProtection or
documentSigning extended key usage, so the tool makes a small chain: a local root CA (kept only to
tell `verify` which outputs this installation signed) and a signing certificate issued by it.
Files live in the user's config directory with owner-only permissions. A user can point
`provenance.cert`/`provenance.key` at their own (CA-issued) PEM chain and key instead.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_bytes

CHAIN_FILE, KEY_FILE, CA_FILE = "signer-chain.pem", "signer-key.pem", "local-ca.pem"
_VALID_DAYS = 3650


@dataclass(frozen=True)
class SigningIdentity:
    """PEM bytes of the certificate chain (signer first), its private key, and the trust anchor if known."""

    chain_pem: bytes
    key_pem: bytes
    ca_pem: bytes | None
    alg: str = "es256"
    source: str = "local"


def default_key_dir() -> Path:
    """$FACESWAP_CONFIG_HOME, else $XDG_CONFIG_HOME/faceswap, else ~/.config/faceswap; plus /c2pa."""
    base = os.environ.get("FACESWAP_CONFIG_HOME")
    if not base:
        xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        base = str(Path(xdg) / "faceswap")
    return Path(base).expanduser() / "c2pa"


def load_identity(
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    alg: str = "es256",
) -> SigningIdentity:
    """The user's certificate/key when both are given, else the local identity (created if missing)."""
    if cert or key:
        if not (cert and key):
            raise FaceswapError(
                "a signing certificate and key must be given together",
                "give both PEM files, or neither to use the local signing identity",
                param="cert",
            )
        return SigningIdentity(_read_pem(cert, "certificate"), _read_pem(key, "private key"), None, alg, "user")
    folder = Path(key_dir).expanduser() if key_dir else default_key_dir()
    if not (folder / CHAIN_FILE).is_file() or not (folder / KEY_FILE).is_file():
        create_local_identity(folder)
    ca = folder / CA_FILE
    return SigningIdentity(
        (folder / CHAIN_FILE).read_bytes(),
        (folder / KEY_FILE).read_bytes(),
        ca.read_bytes() if ca.is_file() else None,
        "es256",
        "local",
    )


def local_ca_pem(key_dir: str | os.PathLike[str] | None = None) -> bytes | None:
    """The local CA certificate if this installation has made one (used by `verify` as a trust anchor)."""
    path = (Path(key_dir).expanduser() if key_dir else default_key_dir()) / CA_FILE
    return path.read_bytes() if path.is_file() else None


def _read_pem(path: str | os.PathLike[str], what: str) -> bytes:
    p = Path(path).expanduser()
    if not p.is_file():
        raise FaceswapError(f"C2PA {what} not found: {p}", "point to PEM files", param="cert")
    data = p.read_bytes()
    if b"-----BEGIN" not in data:
        raise FaceswapError(f"C2PA {what} {p} is not PEM", "convert it with `openssl x509 -outform PEM`")
    return data


def create_local_identity(folder: Path) -> None:
    """Write a local root CA, a signing certificate issued by it and its key; folder 0700, key 0600."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    ca_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate(ca_key, ca_key, "faceswap local provenance CA", None)
    signer_cert = _certificate(signer_key, ca_key, "faceswap synthetic-media signer", ca_cert)
    pem = serialization.Encoding.PEM
    key_bytes = signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    old_umask = os.umask(0o077)
    try:
        atomic_write_bytes(folder / KEY_FILE, key_bytes)
        atomic_write_bytes(folder / CHAIN_FILE, signer_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
        atomic_write_bytes(folder / CA_FILE, ca_cert.public_bytes(pem))
    finally:
        os.umask(old_umask)
    for name in (KEY_FILE, CHAIN_FILE, CA_FILE):
        os.chmod(folder / name, 0o600)


def _certificate(subject_key, issuer_key, common_name: str, issuer_cert):
    """An X.509 v3 certificate: a CA when `issuer_cert` is None, else a C2PA signing certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    is_ca = issuer_cert is None
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "faceswap (local)"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    usage = dict(
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if is_ca else issuer_cert.subject)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=not is_ca, key_cert_sign=is_ca, crl_sign=is_ca, **usage), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
    )
    if not is_ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())
