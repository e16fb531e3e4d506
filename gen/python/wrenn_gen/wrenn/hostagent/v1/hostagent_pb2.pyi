import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SandboxState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SANDBOX_STATE_UNSPECIFIED: _ClassVar[SandboxState]
    SANDBOX_STATE_RUNNING: _ClassVar[SandboxState]
    SANDBOX_STATE_STOPPED: _ClassVar[SandboxState]
    SANDBOX_STATE_PAUSED: _ClassVar[SandboxState]

class ExpiryAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPIRY_ACTION_UNSPECIFIED: _ClassVar[ExpiryAction]
    EXPIRY_ACTION_KILL: _ClassVar[ExpiryAction]
    EXPIRY_ACTION_PAUSE: _ClassVar[ExpiryAction]

class SandboxEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SANDBOX_EVENT_TYPE_UNSPECIFIED: _ClassVar[SandboxEventType]
    SANDBOX_EVENT_TYPE_AUTO_PAUSED: _ClassVar[SandboxEventType]
    SANDBOX_EVENT_TYPE_TTL_KILLED: _ClassVar[SandboxEventType]
    SANDBOX_EVENT_TYPE_EXITED: _ClassVar[SandboxEventType]
    SANDBOX_EVENT_TYPE_LOST: _ClassVar[SandboxEventType]
    SANDBOX_EVENT_TYPE_RESUME_FAILED: _ClassVar[SandboxEventType]
SANDBOX_STATE_UNSPECIFIED: SandboxState
SANDBOX_STATE_RUNNING: SandboxState
SANDBOX_STATE_STOPPED: SandboxState
SANDBOX_STATE_PAUSED: SandboxState
EXPIRY_ACTION_UNSPECIFIED: ExpiryAction
EXPIRY_ACTION_KILL: ExpiryAction
EXPIRY_ACTION_PAUSE: ExpiryAction
SANDBOX_EVENT_TYPE_UNSPECIFIED: SandboxEventType
SANDBOX_EVENT_TYPE_AUTO_PAUSED: SandboxEventType
SANDBOX_EVENT_TYPE_TTL_KILLED: SandboxEventType
SANDBOX_EVENT_TYPE_EXITED: SandboxEventType
SANDBOX_EVENT_TYPE_LOST: SandboxEventType
SANDBOX_EVENT_TYPE_RESUME_FAILED: SandboxEventType

class HostSandbox(_message.Message):
    __slots__ = ("sandbox_id", "template_id", "state", "started_at", "expires_at", "on_expiry", "resources")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ON_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    template_id: str
    state: SandboxState
    started_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    on_expiry: ExpiryAction
    resources: SandboxResources
    def __init__(self, sandbox_id: _Optional[str] = ..., template_id: _Optional[str] = ..., state: _Optional[_Union[SandboxState, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., on_expiry: _Optional[_Union[ExpiryAction, str]] = ..., resources: _Optional[_Union[SandboxResources, _Mapping]] = ...) -> None: ...

class SandboxResources(_message.Message):
    __slots__ = ("vcpus", "memory_mib", "disk_mib")
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    DISK_MIB_FIELD_NUMBER: _ClassVar[int]
    vcpus: int
    memory_mib: int
    disk_mib: int
    def __init__(self, vcpus: _Optional[int] = ..., memory_mib: _Optional[int] = ..., disk_mib: _Optional[int] = ...) -> None: ...

class CreateSandboxRequest(_message.Message):
    __slots__ = ("sandbox_id", "template_id", "envs", "start_timeout_seconds", "timeout_seconds", "on_expiry", "egress")
    class EnvsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    ENVS_FIELD_NUMBER: _ClassVar[int]
    START_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ON_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    EGRESS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    template_id: str
    envs: _containers.ScalarMap[str, str]
    start_timeout_seconds: int
    timeout_seconds: int
    on_expiry: ExpiryAction
    egress: EgressPolicy
    def __init__(self, sandbox_id: _Optional[str] = ..., template_id: _Optional[str] = ..., envs: _Optional[_Mapping[str, str]] = ..., start_timeout_seconds: _Optional[int] = ..., timeout_seconds: _Optional[int] = ..., on_expiry: _Optional[_Union[ExpiryAction, str]] = ..., egress: _Optional[_Union[EgressPolicy, _Mapping]] = ...) -> None: ...

class EgressPolicy(_message.Message):
    __slots__ = ("mode", "allowed_cidrs")
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[EgressPolicy.Mode]
        MODE_ALLOW_ALL: _ClassVar[EgressPolicy.Mode]
        MODE_DENY_ALL: _ClassVar[EgressPolicy.Mode]
        MODE_ALLOW_LIST: _ClassVar[EgressPolicy.Mode]
    MODE_UNSPECIFIED: EgressPolicy.Mode
    MODE_ALLOW_ALL: EgressPolicy.Mode
    MODE_DENY_ALL: EgressPolicy.Mode
    MODE_ALLOW_LIST: EgressPolicy.Mode
    MODE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CIDRS_FIELD_NUMBER: _ClassVar[int]
    mode: EgressPolicy.Mode
    allowed_cidrs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mode: _Optional[_Union[EgressPolicy.Mode, str]] = ..., allowed_cidrs: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateSandboxResponse(_message.Message):
    __slots__ = ("sandbox",)
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    sandbox: HostSandbox
    def __init__(self, sandbox: _Optional[_Union[HostSandbox, _Mapping]] = ...) -> None: ...

class DestroySandboxRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class DestroySandboxResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSandboxesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSandboxesResponse(_message.Message):
    __slots__ = ("sandboxes",)
    SANDBOXES_FIELD_NUMBER: _ClassVar[int]
    sandboxes: _containers.RepeatedCompositeFieldContainer[HostSandbox]
    def __init__(self, sandboxes: _Optional[_Iterable[_Union[HostSandbox, _Mapping]]] = ...) -> None: ...

class GetHostInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHostInfoResponse(_message.Message):
    __slots__ = ("host_id", "runtime", "cpu_count", "memory_bytes", "templates", "version", "port_proxy_address", "free_memory_bytes", "load_average", "disk_free_bytes", "sandbox_count", "sandbox_memory_bytes")
    HOST_ID_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    CPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PORT_PROXY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    FREE_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOAD_AVERAGE_FIELD_NUMBER: _ClassVar[int]
    DISK_FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_COUNT_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    host_id: str
    runtime: str
    cpu_count: int
    memory_bytes: int
    templates: _containers.RepeatedScalarFieldContainer[str]
    version: str
    port_proxy_address: str
    free_memory_bytes: int
    load_average: float
    disk_free_bytes: int
    sandbox_count: int
    sandbox_memory_bytes: int
    def __init__(self, host_id: _Optional[str] = ..., runtime: _Optional[str] = ..., cpu_count: _Optional[int] = ..., memory_bytes: _Optional[int] = ..., templates: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., port_proxy_address: _Optional[str] = ..., free_memory_bytes: _Optional[int] = ..., load_average: _Optional[float] = ..., disk_free_bytes: _Optional[int] = ..., sandbox_count: _Optional[int] = ..., sandbox_memory_bytes: _Optional[int] = ...) -> None: ...

class PauseSandboxRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class PauseSandboxResponse(_message.Message):
    __slots__ = ("sandbox",)
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    sandbox: HostSandbox
    def __init__(self, sandbox: _Optional[_Union[HostSandbox, _Mapping]] = ...) -> None: ...

class ResumeSandboxRequest(_message.Message):
    __slots__ = ("sandbox_id", "timeout_seconds")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    timeout_seconds: int
    def __init__(self, sandbox_id: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class ResumeSandboxResponse(_message.Message):
    __slots__ = ("sandbox",)
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    sandbox: HostSandbox
    def __init__(self, sandbox: _Optional[_Union[HostSandbox, _Mapping]] = ...) -> None: ...

class SetSandboxTimeoutRequest(_message.Message):
    __slots__ = ("sandbox_id", "timeout_seconds")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    timeout_seconds: int
    def __init__(self, sandbox_id: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class SetSandboxTimeoutResponse(_message.Message):
    __slots__ = ("sandbox",)
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    sandbox: HostSandbox
    def __init__(self, sandbox: _Optional[_Union[HostSandbox, _Mapping]] = ...) -> None: ...

class GetSandboxMetricsRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class GetSandboxMetricsResponse(_message.Message):
    __slots__ = ("cpu_seconds", "cpu_cores", "memory_bytes", "disk_bytes", "state")
    CPU_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CPU_CORES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISK_BYTES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    cpu_seconds: float
    cpu_cores: float
    memory_bytes: int
    disk_bytes: int
    state: SandboxState
    def __init__(self, cpu_seconds: _Optional[float] = ..., cpu_cores: _Optional[float] = ..., memory_bytes: _Optional[int] = ..., disk_bytes: _Optional[int] = ..., state: _Optional[_Union[SandboxState, str]] = ...) -> None: ...

class Template(_message.Message):
    __slots__ = ("template_id", "parent_template_id", "created_at", "vcpus", "memory_mib", "users", "disk_mib", "default_user", "default_workdir", "envs", "disk_bytes")
    class EnvsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    DISK_MIB_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_USER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_WORKDIR_FIELD_NUMBER: _ClassVar[int]
    ENVS_FIELD_NUMBER: _ClassVar[int]
    DISK_BYTES_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    parent_template_id: str
    created_at: _timestamp_pb2.Timestamp
    vcpus: int
    memory_mib: int
    users: int
    disk_mib: int
    default_user: str
    default_workdir: str
    envs: _containers.ScalarMap[str, str]
    disk_bytes: int
    def __init__(self, template_id: _Optional[str] = ..., parent_template_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., vcpus: _Optional[int] = ..., memory_mib: _Optional[int] = ..., users: _Optional[int] = ..., disk_mib: _Optional[int] = ..., default_user: _Optional[str] = ..., default_workdir: _Optional[str] = ..., envs: _Optional[_Mapping[str, str]] = ..., disk_bytes: _Optional[int] = ...) -> None: ...

class CreateTemplateRequest(_message.Message):
    __slots__ = ("sandbox_id", "template_id", "pause_source")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    PAUSE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    template_id: str
    pause_source: bool
    def __init__(self, sandbox_id: _Optional[str] = ..., template_id: _Optional[str] = ..., pause_source: _Optional[bool] = ...) -> None: ...

class CreateTemplateResponse(_message.Message):
    __slots__ = ("template", "source")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    template: Template
    source: HostSandbox
    def __init__(self, template: _Optional[_Union[Template, _Mapping]] = ..., source: _Optional[_Union[HostSandbox, _Mapping]] = ...) -> None: ...

class DeleteTemplateRequest(_message.Message):
    __slots__ = ("template_id",)
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    def __init__(self, template_id: _Optional[str] = ...) -> None: ...

class DeleteTemplateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("templates",)
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[Template]
    def __init__(self, templates: _Optional[_Iterable[_Union[Template, _Mapping]]] = ...) -> None: ...

class SandboxEvent(_message.Message):
    __slots__ = ("type", "sandbox_id", "at", "detail")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    type: SandboxEventType
    sandbox_id: str
    at: _timestamp_pb2.Timestamp
    detail: str
    def __init__(self, type: _Optional[_Union[SandboxEventType, str]] = ..., sandbox_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("include_recent",)
    INCLUDE_RECENT_FIELD_NUMBER: _ClassVar[int]
    include_recent: bool
    def __init__(self, include_recent: _Optional[bool] = ...) -> None: ...

class WatchEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: SandboxEvent
    def __init__(self, event: _Optional[_Union[SandboxEvent, _Mapping]] = ...) -> None: ...
