import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from wrenn_gen.wrenn.hostagent.v1 import hostagent_pb2 as _hostagent_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BuildState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUILD_STATE_UNSPECIFIED: _ClassVar[BuildState]
    BUILD_STATE_QUEUED: _ClassVar[BuildState]
    BUILD_STATE_RUNNING: _ClassVar[BuildState]
    BUILD_STATE_SUCCEEDED: _ClassVar[BuildState]
    BUILD_STATE_FAILED: _ClassVar[BuildState]
    BUILD_STATE_CANCELLED: _ClassVar[BuildState]
BUILD_STATE_UNSPECIFIED: BuildState
BUILD_STATE_QUEUED: BuildState
BUILD_STATE_RUNNING: BuildState
BUILD_STATE_SUCCEEDED: BuildState
BUILD_STATE_FAILED: BuildState
BUILD_STATE_CANCELLED: BuildState

class BuildSpec(_message.Message):
    __slots__ = ("build_id", "template_id", "from_template_id", "recipe", "disk_mib", "step_timeout_seconds")
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    DISK_MIB_FIELD_NUMBER: _ClassVar[int]
    STEP_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    template_id: str
    from_template_id: str
    recipe: str
    disk_mib: int
    step_timeout_seconds: int
    def __init__(self, build_id: _Optional[str] = ..., template_id: _Optional[str] = ..., from_template_id: _Optional[str] = ..., recipe: _Optional[str] = ..., disk_mib: _Optional[int] = ..., step_timeout_seconds: _Optional[int] = ...) -> None: ...

class StartBuildRequest(_message.Message):
    __slots__ = ("spec", "archive_chunk")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_CHUNK_FIELD_NUMBER: _ClassVar[int]
    spec: BuildSpec
    archive_chunk: bytes
    def __init__(self, spec: _Optional[_Union[BuildSpec, _Mapping]] = ..., archive_chunk: _Optional[bytes] = ...) -> None: ...

class StartBuildResponse(_message.Message):
    __slots__ = ("archive_sha256", "archive_bytes", "steps_total")
    ARCHIVE_SHA256_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_BYTES_FIELD_NUMBER: _ClassVar[int]
    STEPS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    archive_sha256: str
    archive_bytes: int
    steps_total: int
    def __init__(self, archive_sha256: _Optional[str] = ..., archive_bytes: _Optional[int] = ..., steps_total: _Optional[int] = ...) -> None: ...

class WatchBuildRequest(_message.Message):
    __slots__ = ("build_id", "after_seq")
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    after_seq: int
    def __init__(self, build_id: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class WatchBuildResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: BuildEvent
    def __init__(self, event: _Optional[_Union[BuildEvent, _Mapping]] = ...) -> None: ...

class CancelBuildRequest(_message.Message):
    __slots__ = ("build_id",)
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    def __init__(self, build_id: _Optional[str] = ...) -> None: ...

class CancelBuildResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBuildsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBuildsResponse(_message.Message):
    __slots__ = ("builds",)
    BUILDS_FIELD_NUMBER: _ClassVar[int]
    builds: _containers.RepeatedCompositeFieldContainer[BuildSummary]
    def __init__(self, builds: _Optional[_Iterable[_Union[BuildSummary, _Mapping]]] = ...) -> None: ...

class BuildSummary(_message.Message):
    __slots__ = ("build_id", "state", "last_seq")
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    state: BuildState
    last_seq: int
    def __init__(self, build_id: _Optional[str] = ..., state: _Optional[_Union[BuildState, str]] = ..., last_seq: _Optional[int] = ...) -> None: ...

class BuildEvent(_message.Message):
    __slots__ = ("seq", "at", "phase", "step_started", "step_output", "step_finished", "step_failed", "ended")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STEP_STARTED_FIELD_NUMBER: _ClassVar[int]
    STEP_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    STEP_FINISHED_FIELD_NUMBER: _ClassVar[int]
    STEP_FAILED_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    seq: int
    at: _timestamp_pb2.Timestamp
    phase: BuildPhase
    step_started: BuildStepStarted
    step_output: BuildStepOutput
    step_finished: BuildStepFinished
    step_failed: BuildStepFailed
    ended: BuildEnded
    def __init__(self, seq: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., phase: _Optional[_Union[BuildPhase, _Mapping]] = ..., step_started: _Optional[_Union[BuildStepStarted, _Mapping]] = ..., step_output: _Optional[_Union[BuildStepOutput, _Mapping]] = ..., step_finished: _Optional[_Union[BuildStepFinished, _Mapping]] = ..., step_failed: _Optional[_Union[BuildStepFailed, _Mapping]] = ..., ended: _Optional[_Union[BuildEnded, _Mapping]] = ...) -> None: ...

class BuildPhase(_message.Message):
    __slots__ = ("phase", "detail")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    phase: str
    detail: str
    def __init__(self, phase: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class BuildStepStarted(_message.Message):
    __slots__ = ("step", "line", "instruction", "cached")
    STEP_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    step: int
    line: int
    instruction: str
    cached: bool
    def __init__(self, step: _Optional[int] = ..., line: _Optional[int] = ..., instruction: _Optional[str] = ..., cached: _Optional[bool] = ...) -> None: ...

class BuildStepOutput(_message.Message):
    __slots__ = ("step", "stream", "text")
    STEP_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    step: int
    stream: str
    text: str
    def __init__(self, step: _Optional[int] = ..., stream: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class BuildStepFinished(_message.Message):
    __slots__ = ("step", "duration_ms", "cached")
    STEP_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    step: int
    duration_ms: int
    cached: bool
    def __init__(self, step: _Optional[int] = ..., duration_ms: _Optional[int] = ..., cached: _Optional[bool] = ...) -> None: ...

class BuildStepFailed(_message.Message):
    __slots__ = ("step", "line", "reason", "output_tail")
    STEP_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TAIL_FIELD_NUMBER: _ClassVar[int]
    step: int
    line: int
    reason: str
    output_tail: str
    def __init__(self, step: _Optional[int] = ..., line: _Optional[int] = ..., reason: _Optional[str] = ..., output_tail: _Optional[str] = ...) -> None: ...

class BuildEnded(_message.Message):
    __slots__ = ("state", "error", "template")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    state: BuildState
    error: str
    template: _hostagent_pb2.Template
    def __init__(self, state: _Optional[_Union[BuildState, str]] = ..., error: _Optional[str] = ..., template: _Optional[_Union[_hostagent_pb2.Template, _Mapping]] = ...) -> None: ...
