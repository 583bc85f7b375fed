"""The rdwh C ABI (abi/include/rdwh/*.h, ABI 1.x) as ctypes structures. Internal to the package."""

import ctypes

ABI_MAJOR = 1
ABI_MINOR = 1
STATUS_OK = 0
STATUS_NOT_FOUND = 3
STATUS_BUFFER_TOO_SMALL = 4
REQUEST_EXPLAIN = 1
JOB_SIGNED = 1
VERDICTS = ["accepted", "malformed", "signature_missing", "signature_invalid", "too_large", "limit_exceeded",
            "unprocessable"]


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
                ("filter", Str), ("as_user", Str),
                # ABI 1.1: read only when struct_size covers them (has_field)
                ("flags", ctypes.c_uint32), ("event_key", Str), ("rule_key", Str), ("resource_id", Str),
                ("event_time_unix_ms", ctypes.c_int64)]


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


def has_field(struct, name):
    """RDWH_HAS_FIELD: whether a plugin-filled struct is large enough to hold `name`."""
    field = getattr(type(struct), name)
    return field.offset + field.size <= struct.struct_size


def error_info():
    err = ErrorInfo()
    err.struct_size = ctypes.sizeof(ErrorInfo)
    return err
