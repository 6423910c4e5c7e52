#!/usr/bin/env bash
# Prints an HS256 token for bench/jwt-ratelimit.yaml (sub=till-1, valid for a day).
python3 - <<'PY'
import base64, hashlib, hmac, json, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"sub": "till-1", "iss": "https://idp.example.test", "aud": "pos",
                         "iat": now, "exp": now + 86400}).encode())
sig = hmac.new(b"benchmark-secret-of-at-least-32-bytes!!", f"{header}.{claims}".encode(), hashlib.sha256).digest()
print(f"{header}.{claims}.{b64(sig)}")
PY
