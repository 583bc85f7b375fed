"""rdwh from Python: load an rdwh plugin with ctypes (standard library only) and drive it.

    import rdwh
    plugin = rdwh.load()                      # RDWH_PLUGIN_PATH, else the installed plugin directory
    with plugin.create("pagerduty-V3-run-job", config_json, secrets={"keys/pd/secret": "..."}) as handler:
        result = handler.handle(body, headers={"X-PagerDuty-Signature": "v1=..."})
    result.status, result.body, result.jobs   # plain Python values; the C result is already released

`rdwh.load(path)` also takes a plugin file or a directory. The C structures mirror
abi/include/rdwh/*.h (ABI 1.x): a plugin of any 1.y minor loads.
"""

import ctypes
import json
import os
import time

from . import _abi
from ._abi import ABI_MAJOR, ABI_MINOR, REQUEST_EXPLAIN, STATUS_BUFFER_TOO_SMALL, STATUS_NOT_FOUND, STATUS_OK

__all__ = ["load", "find_plugins", "Plugin", "Handler", "HandleResult", "RdwhError", "plugin_dirs"]
__version__ = "0.1.0"

VERDICTS = ["accepted", "malformed", "signature_missing", "signature_invalid", "too_large", "limit_exceeded",
            "unprocessable"]


class RdwhError(Exception):
    """A failed call: `code` is the rdwh_status (8 = invalid config), the message names the field."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def plugin_dirs():
    """Where plugins are looked up: RDWH_PLUGIN_PATH (colon-separated), else the installed directory."""
    from_env = [d for d in os.environ.get("RDWH_PLUGIN_PATH", "").split(":") if d]
    if from_env:
        return from_env
    try:
        from ._paths import PLUGIN_DIR  # written at install time
    except ImportError:
        return []
    return [PLUGIN_DIR]


def _plugin_files(directory):
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names if n.endswith(".so")]


def find_plugins(dirs=None):
    """Every loadable plugin in `dirs` (default: plugin_dirs()), as Plugin objects; files that are not
    rdwh plugins are skipped."""
    found = []
    for directory in dirs if dirs is not None else plugin_dirs():
        for path in _plugin_files(directory):
            try:
                found.append(Plugin(path))
            except (OSError, RdwhError):
                continue
    return found


def load(path=None, provider=None):
    """The plugin at `path` (a .so file), or the first plugin in `path` (a directory) or in
    plugin_dirs() that offers `provider` (any plugin when provider is None).
    Raises RdwhError(3) when none is found."""
    if path and os.path.isfile(path):
        plugin = Plugin(path)
        if provider and provider not in plugin.provider_names():
            raise RdwhError(STATUS_NOT_FOUND, f"{path} does not offer provider '{provider}'")
        return plugin
    dirs = [path] if path else plugin_dirs()
    for plugin in find_plugins(dirs):
        if provider is None or provider in plugin.provider_names():
            return plugin
    wanted = f"a plugin offering '{provider}'" if provider else "an rdwh plugin"
    where = ":".join(dirs) if dirs else "(no directory: set RDWH_PLUGIN_PATH or pass a path)"
    raise RdwhError(STATUS_NOT_FOUND, f"no {wanted} in {where}")


def _str(data):
    """A Str pointing into `data` (bytes), which the caller keeps alive."""
    return _abi.Str(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p), len(data))


def _text(c_string):
    return c_string.decode() if c_string else None


def _string_list(pointer):
    """A NULL-terminated const char* list as a Python list (None stays None)."""
    if not pointer:
        return None
    out, i = [], 0
    while pointer[i]:
        out.append(pointer[i].decode())
        i += 1
    return out


class Plugin:
    """One plugin file, loaded with dlopen (RTLD_LOCAL) and negotiated for ABI major 1."""

    def __init__(self, path):
        self.path = path
        self._lib = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
        try:
            get_entry = self._lib.rdwh_plugin_get_entry
        except AttributeError:
            raise RdwhError(STATUS_NOT_FOUND, f"{path} is not an rdwh plugin (no rdwh_plugin_get_entry)") from None
        get_entry.restype = ctypes.POINTER(_abi.Entry)
        get_entry.argtypes = [ctypes.c_uint32]
        entry = get_entry(ABI_MAJOR)
        if not entry:
            raise RdwhError(2, f"{path} does not speak rdwh ABI major {ABI_MAJOR}")
        self.entry = entry.contents
        self.name = self.entry.plugin_name.decode()
        self.version = self.entry.plugin_version.decode()
        v = self.entry.abi_version
        self.abi_version = f"{v.major}.{v.minor}.{v.patch}"

    def provider_names(self):
        return [self.entry.provider_info(i).contents.name.decode() for i in range(self.entry.provider_count())]

    def providers(self):
        """Each provider with its config properties, in the shape `rdwh-host describe` prints."""
        out = []
        for i in range(self.entry.provider_count()):
            info = self.entry.provider_info(i).contents
            props = []
            for k in range(info.property_count):
                p = info.properties[k].contents
                rendering = _string_list(p.rendering_options) or []
                props.append({"name": _text(p.name), "title": _text(p.title), "description": _text(p.description),
                              "type": _text(p.type), "defaultValue": _text(p.default_value),
                              "required": bool(p.required), "allowed": _string_list(p.allowed),
                              "renderingOptions": dict(zip(rendering[::2], rendering[1::2]))})
            out.append({"name": info.name.decode(), "title": info.title.decode(),
                        "description": info.description.decode(), "properties": props})
        return out

    def create(self, provider, config, secrets=None, now_ms=None, log=None):
        """A handler for `provider` with `config` (the webhook's Rundeck config, JSON text or a dict).
        `secrets` maps key-storage paths to values; `log(level, line)` receives the plugin's log."""
        if isinstance(config, dict):
            config = json.dumps(config)
        return Handler(self, provider, config, secrets or {}, now_ms, log)


class Handler:
    """A provider with a compiled config. handle() may be called from several threads."""

    def __init__(self, plugin, provider, config, secrets, now_ms, log):
        self._plugin = plugin
        self._entry = plugin.entry
        self._handle = ctypes.c_void_p()
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

        self._callbacks = (_abi.LOG_FN(on_log), _abi.SECRET_FN(on_secret), _abi.CLOCK_FN(on_clock))
        self._host = _abi.Host(ctypes.sizeof(_abi.Host), _abi.Version(ABI_MAJOR, ABI_MINOR, 0), None, *self._callbacks)
        config_bytes = config.encode() if isinstance(config, str) else config
        err = _abi.error_info()
        status = self._entry.create(provider.encode(), _str(config_bytes), ctypes.byref(self._host),
                                    ctypes.byref(self._handle), ctypes.byref(err))
        if status != STATUS_OK:
            raise RdwhError(status, err.message.decode("utf-8", "replace"))

    def handle(self, body, headers=None, explain=False, delivery_id="", webhook_name="", project="", sender=""):
        """Hands one delivery (raw body bytes or text, headers as a dict or a list of pairs) to the plugin."""
        body = body.encode() if isinstance(body, str) else body
        items = headers.items() if isinstance(headers, dict) else (headers or [])
        pairs = [(k.encode(), v.encode()) for k, v in items]
        header_array = (_abi.Header * max(1, len(pairs)))(*[_abi.Header(_str(k), _str(v)) for k, v in pairs])
        meta = [s.encode() for s in (delivery_id, webhook_name, project, sender)]
        request = _abi.Request(ctypes.sizeof(_abi.Request), REQUEST_EXPLAIN if explain else 0, header_array,
                               len(pairs), _str(body), *[_str(m) for m in meta], 0)
        out = ctypes.POINTER(_abi.Result)()
        err = _abi.error_info()
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


def _job(job):
    """One rdwh_job_t as a dict with the keys rdwh-host prints; members that are unset are left out."""
    out = {"rule": job.rule.text(), "jobId": job.job_id.text(),
           "options": {job.options[k].name.text(): job.options[k].value.text() for k in range(job.option_count)}}
    for key, value in (("filter", job.filter), ("asUser", job.as_user), ("eventId", job.event_id)):
        if value.size:
            out[key] = value.text()
    if _abi.has_field(job, "event_time_unix_ms"):  # ABI 1.1
        if job.event_key.size:
            out["eventKey"] = job.event_key.text()
        out["ruleKey"] = job.rule_key.text()
        if job.resource_id.size:
            out["resourceId"] = job.resource_id.text()
        if job.event_time_unix_ms:
            out["eventTimeMs"] = job.event_time_unix_ms
        out["signed"] = bool(job.flags & _abi.JOB_SIGNED)
    return out


class HandleResult:
    """A copy of an rdwh_result_t in Python values."""

    def __init__(self, r):
        self.status = r.http_status
        self.verdict = VERDICTS[r.verdict] if 0 <= r.verdict < len(VERDICTS) else r.verdict
        self.content_type = r.content_type.text()
        self.body = r.body.text()
        self.evaluations = json.loads(r.evaluation.text()) if r.evaluation.size else None
        self.jobs = [_job(r.jobs[i].contents) for i in range(r.job_count)]

    def to_dict(self):
        return {"status": self.status, "verdict": self.verdict,
                "response": {"contentType": self.content_type, "body": self.body}, "jobs": self.jobs}
