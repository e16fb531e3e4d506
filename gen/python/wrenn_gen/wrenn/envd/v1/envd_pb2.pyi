from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class InitRequest(_message.Message):
    __slots__ = ("sandbox_id", "template_id", "hostname", "default_user", "envs", "now_unix_ms")
    class EnvsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_USER_FIELD_NUMBER: _ClassVar[int]
    ENVS_FIELD_NUMBER: _ClassVar[int]
    NOW_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    template_id: str
    hostname: str
    default_user: str
    envs: _containers.ScalarMap[str, str]
    now_unix_ms: int
    def __init__(self, sandbox_id: _Optional[str] = ..., template_id: _Optional[str] = ..., hostname: _Optional[str] = ..., default_user: _Optional[str] = ..., envs: _Optional[_Mapping[str, str]] = ..., now_unix_ms: _Optional[int] = ...) -> None: ...

class InitResponse(_message.Message):
    __slots__ = ("envd_version",)
    ENVD_VERSION_FIELD_NUMBER: _ClassVar[int]
    envd_version: str
    def __init__(self, envd_version: _Optional[str] = ...) -> None: ...
