from google.api import annotations_pb2 as _annotations_pb2
from wrenn_gen.wrenn.envd.v1 import process_pb2 as _process_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartProcessRequest(_message.Message):
    __slots__ = ("sandbox_id", "start")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    start: _process_pb2.StartRequest
    def __init__(self, sandbox_id: _Optional[str] = ..., start: _Optional[_Union[_process_pb2.StartRequest, _Mapping]] = ...) -> None: ...

class StartProcessResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _process_pb2.ProcessEvent
    def __init__(self, event: _Optional[_Union[_process_pb2.ProcessEvent, _Mapping]] = ...) -> None: ...
