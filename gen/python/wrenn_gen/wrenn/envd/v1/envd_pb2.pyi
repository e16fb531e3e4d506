from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InitRequest(_message.Message):
    __slots__ = ("sandbox_id", "template_id", "hostname", "default_user", "envs", "now_unix_ms", "access_token", "entropy", "default_workdir")
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
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ENTROPY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_WORKDIR_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    template_id: str
    hostname: str
    default_user: str
    envs: _containers.ScalarMap[str, str]
    now_unix_ms: int
    access_token: str
    entropy: bytes
    default_workdir: str
    def __init__(self, sandbox_id: _Optional[str] = ..., template_id: _Optional[str] = ..., hostname: _Optional[str] = ..., default_user: _Optional[str] = ..., envs: _Optional[_Mapping[str, str]] = ..., now_unix_ms: _Optional[int] = ..., access_token: _Optional[str] = ..., entropy: _Optional[bytes] = ..., default_workdir: _Optional[str] = ...) -> None: ...

class InitResponse(_message.Message):
    __slots__ = ("envd_version",)
    ENVD_VERSION_FIELD_NUMBER: _ClassVar[int]
    envd_version: str
    def __init__(self, envd_version: _Optional[str] = ...) -> None: ...

class PrepareSnapshotRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PrepareSnapshotResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AfterRestoreRequest(_message.Message):
    __slots__ = ("now_unix_ms",)
    NOW_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    now_unix_ms: int
    def __init__(self, now_unix_ms: _Optional[int] = ...) -> None: ...

class AfterRestoreResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPortsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPortsResponse(_message.Message):
    __slots__ = ("ports",)
    PORTS_FIELD_NUMBER: _ClassVar[int]
    ports: _containers.RepeatedCompositeFieldContainer[Port]
    def __init__(self, ports: _Optional[_Iterable[_Union[Port, _Mapping]]] = ...) -> None: ...

class Port(_message.Message):
    __slots__ = ("address", "port", "forwarded")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_FIELD_NUMBER: _ClassVar[int]
    address: str
    port: int
    forwarded: bool
    def __init__(self, address: _Optional[str] = ..., port: _Optional[int] = ..., forwarded: _Optional[bool] = ...) -> None: ...

class WatchPortsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchPortsResponse(_message.Message):
    __slots__ = ("opened", "closed", "keepalive")
    class KeepAlive(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    OPENED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_FIELD_NUMBER: _ClassVar[int]
    opened: Port
    closed: Port
    keepalive: WatchPortsResponse.KeepAlive
    def __init__(self, opened: _Optional[_Union[Port, _Mapping]] = ..., closed: _Optional[_Union[Port, _Mapping]] = ..., keepalive: _Optional[_Union[WatchPortsResponse.KeepAlive, _Mapping]] = ...) -> None: ...
