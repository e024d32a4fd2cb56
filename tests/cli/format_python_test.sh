#!/usr/bin/env bash
# An independent verifier, written in Python from docs/FORMAT.md alone, checks the worked
# examples in FORMAT.md: tx ids, signer key ids, Ed25519 signatures over the documented
# signed bytes, attestation index keys, the block hash, tx_root, every certificate vote and
# the pseudonym example. If this passes, the document is enough to verify Hearth bytes.
# Usage: format_python_test.sh <bin dir> (unused: only the document is read)
set -u
here=$(cd "$(dirname "$0")" && pwd)
doc="$here/../../docs/FORMAT.md"
if ! python3 -c 'import cryptography' 2>/dev/null; then
  if [ "${HEARTH_REQUIRE_TOOLS:-0}" = 1 ]; then
    echo "FAIL: python3 cryptography module missing"; exit 1
  fi
  echo "SKIP: python3 cryptography module missing (signatures not checked)"
fi
exec python3 - "$doc" <<'EOF'
import hashlib, hmac, re, struct, sys
doc = open(sys.argv[1], encoding="utf-8").read()
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    Ed25519PublicKey = None
H = lambda b: hashlib.sha256(b).digest()
failures = 0
def check(what, ok):
    global failures
    print(("ok: " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1

def region(name):
    m = re.search(r"<!-- BEGIN example:%s -->\n(.*?)<!-- END example:%s -->" % (name, name), doc, re.S)
    assert m, name
    return m.group(1)

def hexblock(text):  # the last fenced hex block of a region
    blocks = re.findall(r"```\n([0-9a-f\n]+)```", text)
    return bytes.fromhex(blocks[-1].replace("\n", ""))

class R:  # little-endian reader, section 1 of FORMAT.md
    def __init__(s, b): s.b, s.p = b, 0
    def take(s, n):
        assert s.p + n <= len(s.b), "truncated"
        v = s.b[s.p:s.p + n]; s.p += n; return v
    def u8(s): return s.take(1)[0]
    def u16(s): return struct.unpack("<H", s.take(2))[0]
    def u32(s): return struct.unpack("<I", s.take(4))[0]
    def u64(s): return struct.unpack("<Q", s.take(8))[0]
    def i64(s): return struct.unpack("<q", s.take(8))[0]
    def blob(s): return s.take(s.u32())
    def done(s): assert s.p == len(s.b), "trailing bytes"

def signing_bytes(ctx, chain, msg):
    return bytes([len(ctx)]) + ctx + bytes([len(chain)]) + chain + msg

def verify(pub, sig, msg):
    if Ed25519PublicKey is None: return True
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg); return True
    except Exception:
        return False

names = {0x11: "attestation", 0x12: "household", 0x13: "consent", 0x14: "enrollment",
         0x15: "access", 0x16: "ruleset", 0x17: "keyevent"}
ids = {}
for kind in names.values():
    text = region("tx-" + kind)
    tx = R(hexblock(text)); body = tx.blob(); sig = tx.blob(); tx.done()
    r = R(body)
    k, version, suite = r.u8(), r.u8(), r.u8()
    chain = r.blob(); signer = r.take(32); issued, nonce = r.u64(), r.u64()
    check(kind + ": kind byte", names.get(k) == kind and version == 1 and suite == 1)
    txid = H(body); ids[kind] = txid
    check(kind + ": tx id = SHA-256(body)", ("**tx id** = SHA-256(body) = `%s`" % txid.hex()) in text)
    pub = bytes.fromhex(re.search(r"public key `([0-9a-f]{64})`", text).group(1))
    check(kind + ": signer = SHA-256(public key)", H(pub) == signer)
    ctx = ("hearth/%s/v1" % kind).encode()
    check(kind + ": Ed25519 signature over SigningBytes", verify(pub, sig, signing_bytes(ctx, chain, body)))
    check(kind + ": other context rejected", Ed25519PublicKey is None or
          not verify(pub, sig, signing_bytes(b"hearth/other/v1", chain, body)))
    if kind == "attestation":
        subject, cat, first, last, amount = r.take(32), r.u16(), r.u32(), r.u32(), r.i64()
        for _ in range(r.u32()): r.blob(); r.blob()
        if r.u8(): r.take(32)
        r.done()
        months, m = [], first
        while m <= last:
            months.append(m); m = m + 1 if m % 100 < 12 else (m // 100 + 1) * 100 + 1
        for m in months:
            key = b"\x01" + subject + struct.pack("<I", m)
            kh = H(bytes([19]) + b"hearth/index-key/v1" + key)
            check("attestation: index key hash for %d" % m, ("key hash `%s`" % kh.hex()) in text)

blk = R(hexblock(region("block")))
check("block: tag and version", blk.u8() == 2 and blk.u8() == 1)
header = blk.blob(); txs = [blk.blob() for _ in range(blk.u32())]; blk.done()
h = R(header)
tag, ver, suite = h.u8(), h.u8(), h.u8(); chain = h.blob(); height = h.u64(); prev = h.take(32)
time_ms, proposer, count = h.u64(), h.u16(), h.u32(); tx_root = h.take(32)
log_size = h.u64(); log_root, index_root = h.take(32), h.take(32); h.done()
block_hash = H(bytes([15]) + b"hearth/block/v1" + header)
check("block header: hash", ("= `%s`" % block_hash.hex()) in region("block-header"))
leaves = [H(b"\x00" + H(R(t).blob())) for t in txs]
check("block: tx_root = node(leaf 0, leaf 1)", count == 2 and tx_root == H(b"\x01" + leaves[0] + leaves[1]))
check("block: txs are the attestation and household examples",
      [H(R(t).blob()) for t in txs] == [ids["attestation"], ids["household"]])

text = region("certificate")
c = R(hexblock(text))
check("certificate: tag and version", c.u8() == 3 and c.u8() == 1)
c_height, c_round, c_hash = c.u64(), c.u32(), c.take(32)
votes = [(c.u16(), c.blob()) for _ in range(c.u32())]; c.done()
members = [bytes.fromhex(x) for x in re.findall(r"- member \d+: `([0-9a-f]{64})`", text)]
check("certificate: for the example block", c_height == height and c_hash == block_hash)
msg = signing_bytes(b"hearth/precommit/v1", chain, struct.pack("<QI", c_height, c_round) + c_hash)
f = (len(members) - 1) // 3
check("certificate: 2f+1 sorted distinct votes", len(votes) >= 2 * f + 1 and
      [m for m, _ in votes] == sorted(set(m for m, _ in votes)))
for m, s in votes:
    check("certificate: vote of member %d" % m, m < len(members) and verify(members[m], s, msg))

text = region("subject-id")
key = bytes(range(32))
sid = hmac.new(key, b"hearth/subject/v1" + b"11010519491231002X", hashlib.sha256).hexdigest()
hid = hmac.new(key, b"hearth/household/v1" + b"TZ-2024-000123", hashlib.sha256).hexdigest()
check("subject id HMAC", sid in text)
check("household id HMAC", hid in text)
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
check("ID check character", "10X98765432"[sum(int(d) * x for d, x in zip("11010519491231002", w)) % 11] == "X")
sys.exit(1 if failures else 0)
EOF
