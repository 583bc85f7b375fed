"""rdwh from Python: load an rdwh plugin with ctypes (standard library only) and drive it.

    plugin = Plugin("/usr/lib/rdwh/plugins/rdwh-pagerduty.so")
    handler = plugin.create("pagerduty-V3-run-job", config_json, secrets={"keys/pd/secret": "..."})
    result = handler.handle(body, headers={"X-PagerDuty-Signature": "v1=..."})
    result.status, result.body, result.jobs   # plain Python values; the C result is released

The structures mirror abi/include/rdwh/*.h (ABI 1.x).
"""

import ctypes
import json
import time

ABI_MAJOR = 1
ABI_MINOR = 0
STATUS_OK = 0
STATUS_NOT_FOUND = 3
STATUS_BUFFER_TOO_SMALL = 4
REQUEST_EXPLAIN = 1
VERDICTS = ["accepted", "malformed", "signature_missing", "signature_invalid", "too_large", "limit_exceeded"]


class Str(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]

    def text(self):
        return ctypes.string_at(self.data, self.size).decode("utf-8", "replace") if self.size else ""


def _str(data):
    """A Str pointing into `data` (bytes), which the caller keeps alive."""
    return Str(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p), len(data))


class Header(ctypes.Structure):
    _fields_ = [("name", Str), ("value", Str)]


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32), ("patch", ctypes.c_uint32)]


class ErrorInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("code", ctypes.c_int32), ("message", ctypes.c_char * 512)]


class Host(ctypes.Structure):
    pass


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Host), ctypes.c_int32, Str)
SECRET_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(Host), Str, ctypes.POINTER(ctypes.c_uint8),
                             ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t))
CLOCK_FN = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.POINTER(Host))

Host._fields_ = [("struct_size", ctypes.c_uint32), ("abi_version", Version), ("host_data", ctypes.c_void_p),
                 ("log", LOG_FN), ("get_secret", SECRET_FN), ("now_unix_ms", CLOCK_FN)]


class Request(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("headers", ctypes.POINTER(Header)), ("header_count", ctypes.c_size_t), ("body", Str),
                ("delivery_id", Str), ("webhook_name", Str), ("project", Str), ("sender", Str),
                ("received_unix_ms", ctypes.c_int64)]


class Option(ctypes.Structure):
    _fields_ = [("name", Str), ("value", Str)]


class Job(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("rule", Str), ("rule_index", ctypes.c_uint32),
                ("event_index", ctypes.c_uint32), ("event_id", Str), ("job_id", Str),
                ("options", ctypes.POINTER(Option)), ("option_count", ctypes.c_size_t),
                ("filter", Str), ("as_user", Str)]


class Result(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("verdict", ctypes.c_int32), ("http_status", ctypes.c_int32),
                ("content_type", Str), ("body", Str), ("job_count", ctypes.c_size_t),
                ("jobs", ctypes.POINTER(ctypes.POINTER(Job))), ("evaluation", Str)]


class Property(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("name", ctypes.c_char_p), ("title", ctypes.c_char_p),
                ("description", ctypes.c_char_p), ("type", ctypes.c_char_p), ("default_value", ctypes.c_char_p),
                ("required", ctypes.c_int32), ("allowed", ctypes.POINTER(ctypes.c_char_p)),
                ("rendering_options", ctypes.POINTER(ctypes.c_char_p))]


class ProviderInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("name", ctypes.c_char_p), ("title", ctypes.c_char_p),
                ("description", ctypes.c_char_p), ("property_count", ctypes.c_size_t),
                ("properties", ctypes.POINTER(ctypes.POINTER(Property)))]


class Entry(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("abi_version", Version),
                ("plugin_name", ctypes.c_char_p), ("plugin_version", ctypes.c_char_p),
                ("provider_count", ctypes.CFUNCTYPE(ctypes.c_size_t)),
                ("provider_info", ctypes.CFUNCTYPE(ctypes.POINTER(ProviderInfo), ctypes.c_size_t)),
                ("create", ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_char_p, Str, ctypes.POINTER(Host),
                                            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ErrorInfo))),
                ("destroy", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
                ("handle", ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(Request),
                                            ctypes.POINTER(ctypes.POINTER(Result)), ctypes.POINTER(ErrorInfo))),
                ("release_result", ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(Result)))]


class RdwhError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _error():
    err = ErrorInfo()
    err.struct_size = ctypes.sizeof(ErrorInfo)
    return err


class Plugin:
    """One plugin file, loaded with dlopen (RTLD_LOCAL) and negotiated for ABI major 1."""

    def __init__(self, path):
        self._lib = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
        get_entry = self._lib.rdwh_plugin_get_entry
        get_entry.restype = ctypes.POINTER(Entry)
        get_entry.argtypes = [ctypes.c_uint32]
        entry = get_entry(ABI_MAJOR)
        if not entry:
            raise RdwhError(2, f"{path} does not speak rdwh ABI major {ABI_MAJOR}")
        self.entry = entry.contents
        self.name = self.entry.plugin_name.decode()
        self.version = self.entry.plugin_version.decode()

    def providers(self):
        out = []
        for i in range(self.entry.provider_count()):
            info = self.entry.provider_info(i).contents
            out.append({"name": info.name.decode(), "title": info.title.decode(),
                        "description": info.description.decode(),
                        "properties": [info.properties[k].contents.name.decode() for k in range(info.property_count)]})
        return out

    def create(self, provider, config, secrets=None, now_ms=None, log=None):
        return Handler(self, provider, config, secrets or {}, now_ms, log)


class Handler:
    """A provider with a compiled config. handle() may be called from several threads."""

    def __init__(self, plugin, provider, config, secrets, now_ms, log):
        self._plugin = plugin
        self._entry = plugin.entry
        self._secrets = {k: v.encode() if isinstance(v, str) else v for k, v in secrets.items()}
        self.log_lines = []

        # The callbacks must stay referenced as long as the handler lives.
        def on_log(_host, level, msg):
            line = msg.text()
            self.log_lines.append((level, line))
            if log:
                log(level, line)

        def on_secret(_host, path, out, cap, out_len):
            value = self._secrets.get(path.text())
            if value is None:
                return STATUS_NOT_FOUND
            out_len[0] = len(value)
            if len(value) > cap:
                return STATUS_BUFFER_TOO_SMALL
            ctypes.memmove(out, value, len(value))
            return STATUS_OK

        def on_clock(_host):
            return now_ms if now_ms is not None else int(time.time() * 1000)

        self._callbacks = (LOG_FN(on_log), SECRET_FN(on_secret), CLOCK_FN(on_clock))
        self._host = Host(ctypes.sizeof(Host), Version(ABI_MAJOR, ABI_MINOR, 0), None, *self._callbacks)
        self._handle = ctypes.c_void_p()
        config_bytes = config.encode() if isinstance(config, str) else config
        err = _error()
        status = self._entry.create(provider.encode(), _str(config_bytes), ctypes.byref(self._host),
                                    ctypes.byref(self._handle), ctypes.byref(err))
        if status != STATUS_OK:
            raise RdwhError(status, err.message.decode("utf-8", "replace"))

    def handle(self, body, headers=None, explain=False, delivery_id="", webhook_name="", project="", sender=""):
        body = body.encode() if isinstance(body, str) else body
        pairs = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        header_array = (Header * max(1, len(pairs)))(*[Header(_str(k), _str(v)) for k, v in pairs])
        meta = [s.encode() for s in (delivery_id, webhook_name, project, sender)]
        request = Request(ctypes.sizeof(Request), REQUEST_EXPLAIN if explain else 0, header_array, len(pairs),
                          _str(body), *[_str(m) for m in meta], 0)
        out = ctypes.POINTER(Result)()
        err = _error()
        status = self._entry.handle(self._handle, ctypes.byref(request), ctypes.byref(out), ctypes.byref(err))
        if status != STATUS_OK:
            raise RdwhError(status, err.message.decode("utf-8", "replace"))
        try:
            return HandleResult(out.contents)
        finally:
            self._entry.release_result(self._handle, out)

    def close(self):
        if self._handle:
            self._entry.destroy(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class HandleResult:
    """A copy of an rdwh_result_t in Python values."""

    def __init__(self, r):
        self.status = r.http_status
        self.verdict = VERDICTS[r.verdict] if 0 <= r.verdict < len(VERDICTS) else r.verdict
        self.content_type = r.content_type.text()
        self.body = r.body.text()
        self.evaluations = json.loads(r.evaluation.text()) if r.evaluation.size else None
        self.jobs = []
        for i in range(r.job_count):
            job = r.jobs[i].contents
            self.jobs.append({
                "rule": job.rule.text(), "jobId": job.job_id.text(), "eventId": job.event_id.text(),
                "options": {job.options[k].name.text(): job.options[k].value.text() for k in range(job.option_count)},
                "filter": job.filter.text(), "asUser": job.as_user.text(),
            })
