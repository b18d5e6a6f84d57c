"""Raw response bodies, kept losslessly and small.

Consecutive bodies differ only in a few numbers, so zlib primed with a dictionary of a typical
body shrinks each to a few dozen bytes. The first byte names the codec, so the dictionary can
change in a later version without breaking rows already stored.
"""

from __future__ import annotations

import zlib

_PLAIN = b"\x00"
_ZLIB_DICT_V1 = b"\x01"
# Never edit: rows stored with codec 1 need exactly these bytes to decompress. Add a codec 2.
_DICT_V1 = (
    b'{"user_id":"user-","account_id":"","email":"@gmail.com","plan_type":"plus","rate_limit":'
    b'{"allowed":true,"limit_reached":false,"primary_window":{"used_percent":0,'
    b'"limit_window_seconds":18000,"reset_after_seconds":,"reset_at":1764},"secondary_window":'
    b'{"used_percent":,"limit_window_seconds":604800,"reset_after_seconds":,"reset_at":1764}},'
    b'"code_review_rate_limit":null,"additional_rate_limits":[],"credits":{"has_credits":false,'
    b'"unlimited":false,"balance":"0","approx_local_messages":[0,0],"approx_cloud_messages":[0,0]},'
    b'"rate_limit_reached_type":null,"spend_control":{"reached":false},"promo":null}'
    b'{"plan_type": "plus", "rate_limit": {"allowed": true, "limit_reached": false, "primary_window": '
    b'{"used_percent": 0, "limit_window_seconds": 18000, "reset_after_seconds": , "reset_at": 1764}, '
    b'"secondary_window": {"used_percent": , "limit_window_seconds": 604800, "reset_after_seconds": '
    b', "reset_at": 1764}}, "credits": {"has_credits": false, "unlimited": false, "balance": "0"}}'
)


def pack_body(body: bytes | None) -> bytes | None:
    if body is None:
        return None
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _DICT_V1)
    packed = compressor.compress(body) + compressor.flush()
    if len(packed) + 1 >= len(body) + 1:
        return _PLAIN + body
    return _ZLIB_DICT_V1 + packed


def unpack_body(stored: bytes | None) -> bytes | None:
    if stored is None:
        return None
    codec, data = stored[:1], stored[1:]
    if codec == _PLAIN:
        return bytes(data)
    if codec == _ZLIB_DICT_V1:
        decompressor = zlib.decompressobj(-15, zdict=_DICT_V1)
        return decompressor.decompress(data) + decompressor.flush()
    raise ValueError(f"unknown body codec {codec!r}")
