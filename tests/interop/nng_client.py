# SPDX-License-Identifier: MIT
"""A REQ client for hedui written as someone else would: ctypes over
Debian's libnng.so.1 (TLS through nng's mbedTLS engine, 1.2), envelopes
from our .proto files compiled by Google's protoc (hedui_proto.py)."""
import ctypes
import ctypes.util
import time


class _Socket(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


class _Dialer(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


NNG_FLAG_ALLOC = 1
NNG_TLS_MODE_CLIENT = 0
NNG_TLS_AUTH_MODE_REQUIRED = 2
NNG_ETIMEDOUT = 5

_lib = None


def _nng():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL("libnng.so.1")
        _lib.nng_strerror.restype = ctypes.c_char_p
        _lib.nng_req0_open.argtypes = [ctypes.POINTER(_Socket)]
        _lib.nng_close.argtypes = [_Socket]
        _lib.nng_socket_set_ms.argtypes = [_Socket, ctypes.c_char_p,
                                           ctypes.c_int32]
        _lib.nng_socket_set_size.argtypes = [_Socket, ctypes.c_char_p,
                                             ctypes.c_size_t]
        _lib.nng_dialer_create.argtypes = [ctypes.POINTER(_Dialer), _Socket,
                                           ctypes.c_char_p]
        _lib.nng_dialer_set_ptr.argtypes = [_Dialer, ctypes.c_char_p,
                                            ctypes.c_void_p]
        _lib.nng_dialer_start.argtypes = [_Dialer, ctypes.c_int]
        _lib.nng_tls_config_alloc.argtypes = [
            ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
        _lib.nng_tls_config_ca_file.argtypes = [ctypes.c_void_p,
                                                ctypes.c_char_p]
        _lib.nng_tls_config_own_cert.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.c_char_p]
        _lib.nng_tls_config_auth_mode.argtypes = [ctypes.c_void_p,
                                                  ctypes.c_int]
        _lib.nng_tls_config_free.argtypes = [ctypes.c_void_p]
        _lib.nng_send.argtypes = [_Socket, ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.c_int]
        _lib.nng_recv.argtypes = [_Socket, ctypes.c_void_p,
                                  ctypes.POINTER(ctypes.c_size_t),
                                  ctypes.c_int]
        _lib.nng_free.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return _lib


class NngError(Exception):
    def __init__(self, what, rv):
        super().__init__("%s: %s" % (what, _nng().nng_strerror(rv).decode()))
        self.rv = rv


def _check(what, rv):
    if rv != 0:
        raise NngError(what, rv)


class Client:
    """One REQ socket dialled to url with a client certificate."""

    def __init__(self, url, ca, cert=None, key=None, recv_timeout_ms=10000):
        lib = _nng()
        self.sock = _Socket()
        _check("req0_open", lib.nng_req0_open(ctypes.byref(self.sock)))
        self.tls = ctypes.c_void_p()
        try:
            _check("socket recv-timeout", lib.nng_socket_set_ms(
                self.sock, b"recv-timeout", recv_timeout_ms))
            # REQ resends unanswered requests by default; a retry is the
            # caller's decision.
            _check("socket resend-time", lib.nng_socket_set_ms(
                self.sock, b"req:resend-time", -1))
            _check("socket recv-size-max", lib.nng_socket_set_size(
                self.sock, b"recv-size-max", 4 << 20))
            _check("tls_config_alloc", lib.nng_tls_config_alloc(
                ctypes.byref(self.tls), NNG_TLS_MODE_CLIENT))
            _check("tls ca", lib.nng_tls_config_ca_file(
                self.tls, ca.encode()))
            if cert:
                # cert_key_file wants both in one file; own_cert takes
                # the two PEM texts.
                with open(cert, "rb") as f:
                    cert_pem = f.read()
                with open(key, "rb") as f:
                    key_pem = f.read()
                _check("tls cert", lib.nng_tls_config_own_cert(
                    self.tls, cert_pem, key_pem, None))
            _check("tls auth mode", lib.nng_tls_config_auth_mode(
                self.tls, NNG_TLS_AUTH_MODE_REQUIRED))
            d = _Dialer()
            _check("dialer_create", lib.nng_dialer_create(
                ctypes.byref(d), self.sock, url.encode()))
            _check("dialer tls-config", lib.nng_dialer_set_ptr(
                d, b"tls-config", self.tls))
            _check("dialer_start", lib.nng_dialer_start(d, 0))
        except Exception:
            self.close()
            raise

    def roundtrip(self, data):
        """Sends raw bytes, returns the raw reply."""
        lib = _nng()
        buf = ctypes.create_string_buffer(data, len(data))
        _check("send", lib.nng_send(self.sock, buf, len(data), 0))
        ptr = ctypes.c_void_p()
        size = ctypes.c_size_t()
        _check("recv", lib.nng_recv(self.sock, ctypes.byref(ptr),
                                    ctypes.byref(size), NNG_FLAG_ALLOC))
        try:
            return ctypes.string_at(ptr, size.value)
        finally:
            lib.nng_free(ptr, size.value)

    def close(self):
        lib = _nng()
        if self.sock is not None:
            lib.nng_close(self.sock)
            self.sock = None
        if self.tls:
            lib.nng_tls_config_free(self.tls)
            self.tls = ctypes.c_void_p()


class Rpc:
    """Envelopes around Client: call(method, request message) returns the
    decoded RpcReply (Google's strict decoder) and the elapsed seconds."""

    def __init__(self, client, pb):
        self.client = client
        self.pb = pb
        self.n = 0

    def envelope(self, method, payload=b"", request_id=None, timeout_ms=None,
                 metadata=()):
        self.n += 1
        e = self.pb.rpc.RpcRequest()
        e.method = method
        e.request_id = request_id if request_id is not None else \
            "py-%d-%d" % (int(time.time() * 1000), self.n)
        if timeout_ms is not None:
            e.timeout.ms = timeout_ms
        for k, v in metadata:
            m = e.metadata.add()
            m.key, m.value = k, v
        e.payload = payload
        return e

    def send(self, env_bytes):
        t0 = time.monotonic()
        raw = self.client.roundtrip(env_bytes)
        reply = self.pb.rpc.RpcReply()
        reply.ParseFromString(raw)
        return reply, time.monotonic() - t0

    def call(self, method, msg=None, **kw):
        payload = msg.SerializeToString() if msg is not None else b""
        env = self.envelope(method, payload, **kw)
        reply, secs = self.send(env.SerializeToString())
        return env, reply, secs
