from google.api import annotations_pb2 as _annotations_pb2
from wrenn_gen.wrenn.envd.v1 import process_pb2 as _process_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
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

class ListProcessesRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class ListProcessesResponse(_message.Message):
    __slots__ = ("processes",)
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    processes: _containers.RepeatedCompositeFieldContainer[_process_pb2.ProcessInfo]
    def __init__(self, processes: _Optional[_Iterable[_Union[_process_pb2.ProcessInfo, _Mapping]]] = ...) -> None: ...

class ConnectProcessRequest(_message.Message):
    __slots__ = ("sandbox_id", "process")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ...) -> None: ...

class ConnectProcessResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _process_pb2.ProcessEvent
    def __init__(self, event: _Optional[_Union[_process_pb2.ProcessEvent, _Mapping]] = ...) -> None: ...

class SendProcessInputRequest(_message.Message):
    __slots__ = ("sandbox_id", "process", "data")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    data: bytes
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class SendProcessInputResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamProcessInputRequest(_message.Message):
    __slots__ = ("sandbox_id", "process", "data")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    data: bytes
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class StreamProcessInputResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CloseProcessStdinRequest(_message.Message):
    __slots__ = ("sandbox_id", "process")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ...) -> None: ...

class CloseProcessStdinResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignalProcessRequest(_message.Message):
    __slots__ = ("sandbox_id", "process", "signal")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    signal: _process_pb2.Signal
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ..., signal: _Optional[_Union[_process_pb2.Signal, str]] = ...) -> None: ...

class SignalProcessResponse(_message.Message):
    __slots__ = ("pids",)
    PIDS_FIELD_NUMBER: _ClassVar[int]
    pids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, pids: _Optional[_Iterable[int]] = ...) -> None: ...

class KillProcessRequest(_message.Message):
    __slots__ = ("sandbox_id", "selector")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    selector: str
    def __init__(self, sandbox_id: _Optional[str] = ..., selector: _Optional[str] = ...) -> None: ...

class KillProcessResponse(_message.Message):
    __slots__ = ("pids",)
    PIDS_FIELD_NUMBER: _ClassVar[int]
    pids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, pids: _Optional[_Iterable[int]] = ...) -> None: ...

class UpdateProcessRequest(_message.Message):
    __slots__ = ("sandbox_id", "process", "pty")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    process: _process_pb2.ProcessSelector
    pty: _process_pb2.PtySize
    def __init__(self, sandbox_id: _Optional[str] = ..., process: _Optional[_Union[_process_pb2.ProcessSelector, _Mapping]] = ..., pty: _Optional[_Union[_process_pb2.PtySize, _Mapping]] = ...) -> None: ...

class UpdateProcessResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
