import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from wrenn_gen.wrenn.api.v1 import sandbox_pb2 as _sandbox_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BuildStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUILD_STATUS_UNSPECIFIED: _ClassVar[BuildStatus]
    BUILD_STATUS_QUEUED: _ClassVar[BuildStatus]
    BUILD_STATUS_RUNNING: _ClassVar[BuildStatus]
    BUILD_STATUS_SUCCEEDED: _ClassVar[BuildStatus]
    BUILD_STATUS_FAILED: _ClassVar[BuildStatus]
    BUILD_STATUS_CANCELLED: _ClassVar[BuildStatus]
BUILD_STATUS_UNSPECIFIED: BuildStatus
BUILD_STATUS_QUEUED: BuildStatus
BUILD_STATUS_RUNNING: BuildStatus
BUILD_STATUS_SUCCEEDED: BuildStatus
BUILD_STATUS_FAILED: BuildStatus
BUILD_STATUS_CANCELLED: BuildStatus

class Template(_message.Message):
    __slots__ = ("template_id", "name", "tag", "team_id", "platform", "resources", "default_user", "default_workdir", "envs", "build_id", "source_sandbox_id", "created_at", "disk_bytes", "parent")
    class EnvsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_USER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_WORKDIR_FIELD_NUMBER: _ClassVar[int]
    ENVS_FIELD_NUMBER: _ClassVar[int]
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DISK_BYTES_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    name: str
    tag: str
    team_id: str
    platform: bool
    resources: _sandbox_pb2.SandboxResources
    default_user: str
    default_workdir: str
    envs: _containers.ScalarMap[str, str]
    build_id: str
    source_sandbox_id: str
    created_at: _timestamp_pb2.Timestamp
    disk_bytes: int
    parent: str
    def __init__(self, template_id: _Optional[str] = ..., name: _Optional[str] = ..., tag: _Optional[str] = ..., team_id: _Optional[str] = ..., platform: _Optional[bool] = ..., resources: _Optional[_Union[_sandbox_pb2.SandboxResources, _Mapping]] = ..., default_user: _Optional[str] = ..., default_workdir: _Optional[str] = ..., envs: _Optional[_Mapping[str, str]] = ..., build_id: _Optional[str] = ..., source_sandbox_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disk_bytes: _Optional[int] = ..., parent: _Optional[str] = ...) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("templates",)
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[Template]
    def __init__(self, templates: _Optional[_Iterable[_Union[Template, _Mapping]]] = ...) -> None: ...

class GetTemplateRequest(_message.Message):
    __slots__ = ("template_id",)
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    def __init__(self, template_id: _Optional[str] = ...) -> None: ...

class GetTemplateResponse(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: Template
    def __init__(self, template: _Optional[_Union[Template, _Mapping]] = ...) -> None: ...

class DeleteTemplateRequest(_message.Message):
    __slots__ = ("template_id",)
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    def __init__(self, template_id: _Optional[str] = ...) -> None: ...

class DeleteTemplateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SnapshotSandboxRequest(_message.Message):
    __slots__ = ("sandbox_id", "name", "pause_source")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAUSE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    name: str
    pause_source: bool
    def __init__(self, sandbox_id: _Optional[str] = ..., name: _Optional[str] = ..., pause_source: _Optional[bool] = ...) -> None: ...

class SnapshotSandboxResponse(_message.Message):
    __slots__ = ("template", "source")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    template: Template
    source: _sandbox_pb2.Sandbox
    def __init__(self, template: _Optional[_Union[Template, _Mapping]] = ..., source: _Optional[_Union[_sandbox_pb2.Sandbox, _Mapping]] = ...) -> None: ...

class BuildSpec(_message.Message):
    __slots__ = ("name", "recipe", "vcpus", "memory_mib", "disk_mib", "platform", "step_timeout_seconds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    DISK_MIB_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    STEP_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    recipe: str
    vcpus: int
    memory_mib: int
    disk_mib: int
    platform: bool
    step_timeout_seconds: int
    def __init__(self, name: _Optional[str] = ..., recipe: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mib: _Optional[int] = ..., disk_mib: _Optional[int] = ..., platform: _Optional[bool] = ..., step_timeout_seconds: _Optional[int] = ...) -> None: ...

class CreateBuildRequest(_message.Message):
    __slots__ = ("spec", "archive_chunk")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_CHUNK_FIELD_NUMBER: _ClassVar[int]
    spec: BuildSpec
    archive_chunk: bytes
    def __init__(self, spec: _Optional[_Union[BuildSpec, _Mapping]] = ..., archive_chunk: _Optional[bytes] = ...) -> None: ...

class CreateBuildResponse(_message.Message):
    __slots__ = ("build",)
    BUILD_FIELD_NUMBER: _ClassVar[int]
    build: Build
    def __init__(self, build: _Optional[_Union[Build, _Mapping]] = ...) -> None: ...

class Build(_message.Message):
    __slots__ = ("build_id", "team_id", "name", "status", "error", "failed_line", "steps_total", "steps_done", "steps_cached", "template_id", "host_id", "archive_sha256", "archive_bytes", "created_at", "started_at", "finished_at", "resources", "platform", "recipe")
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_LINE_FIELD_NUMBER: _ClassVar[int]
    STEPS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STEPS_DONE_FIELD_NUMBER: _ClassVar[int]
    STEPS_CACHED_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_ID_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_SHA256_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    team_id: str
    name: str
    status: BuildStatus
    error: str
    failed_line: int
    steps_total: int
    steps_done: int
    steps_cached: int
    template_id: str
    host_id: str
    archive_sha256: str
    archive_bytes: int
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    resources: _sandbox_pb2.SandboxResources
    platform: bool
    recipe: str
    def __init__(self, build_id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[BuildStatus, str]] = ..., error: _Optional[str] = ..., failed_line: _Optional[int] = ..., steps_total: _Optional[int] = ..., steps_done: _Optional[int] = ..., steps_cached: _Optional[int] = ..., template_id: _Optional[str] = ..., host_id: _Optional[str] = ..., archive_sha256: _Optional[str] = ..., archive_bytes: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resources: _Optional[_Union[_sandbox_pb2.SandboxResources, _Mapping]] = ..., platform: _Optional[bool] = ..., recipe: _Optional[str] = ...) -> None: ...

class ListBuildsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBuildsResponse(_message.Message):
    __slots__ = ("builds",)
    BUILDS_FIELD_NUMBER: _ClassVar[int]
    builds: _containers.RepeatedCompositeFieldContainer[Build]
    def __init__(self, builds: _Optional[_Iterable[_Union[Build, _Mapping]]] = ...) -> None: ...

class GetBuildRequest(_message.Message):
    __slots__ = ("build_id",)
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    def __init__(self, build_id: _Optional[str] = ...) -> None: ...

class GetBuildResponse(_message.Message):
    __slots__ = ("build",)
    BUILD_FIELD_NUMBER: _ClassVar[int]
    build: Build
    def __init__(self, build: _Optional[_Union[Build, _Mapping]] = ...) -> None: ...

class CancelBuildRequest(_message.Message):
    __slots__ = ("build_id",)
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    build_id: str
    def __init__(self, build_id: _Optional[str] = ...) -> None: ...

class CancelBuildResponse(_message.Message):
    __slots__ = ("build",)
    BUILD_FIELD_NUMBER: _ClassVar[int]
    build: Build
    def __init__(self, build: _Optional[_Union[Build, _Mapping]] = ...) -> None: ...

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
    __slots__ = ("status", "error", "template")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    status: BuildStatus
    error: str
    template: Template
    def __init__(self, status: _Optional[_Union[BuildStatus, str]] = ..., error: _Optional[str] = ..., template: _Optional[_Union[Template, _Mapping]] = ...) -> None: ...
