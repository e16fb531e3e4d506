from google.api import annotations_pb2 as _annotations_pb2
from wrenn_gen.wrenn.envd.v1 import envd_pb2 as _envd_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListPortsRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class ListPortsResponse(_message.Message):
    __slots__ = ("ports",)
    PORTS_FIELD_NUMBER: _ClassVar[int]
    ports: _containers.RepeatedCompositeFieldContainer[_envd_pb2.Port]
    def __init__(self, ports: _Optional[_Iterable[_Union[_envd_pb2.Port, _Mapping]]] = ...) -> None: ...

class WatchPortsRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class WatchPortsResponse(_message.Message):
    __slots__ = ("opened", "closed", "keepalive")
    OPENED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_FIELD_NUMBER: _ClassVar[int]
    opened: _envd_pb2.Port
    closed: _envd_pb2.Port
    keepalive: _envd_pb2.WatchPortsResponse.KeepAlive
    def __init__(self, opened: _Optional[_Union[_envd_pb2.Port, _Mapping]] = ..., closed: _Optional[_Union[_envd_pb2.Port, _Mapping]] = ..., keepalive: _Optional[_Union[_envd_pb2.WatchPortsResponse.KeepAlive, _Mapping]] = ...) -> None: ...
