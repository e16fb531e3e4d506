import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterHostRequest(_message.Message):
    __slots__ = ("token", "csr_pem", "address", "agent_host_id", "port_proxy_address")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AGENT_HOST_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_PROXY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    token: str
    csr_pem: str
    address: str
    agent_host_id: str
    port_proxy_address: str
    def __init__(self, token: _Optional[str] = ..., csr_pem: _Optional[str] = ..., address: _Optional[str] = ..., agent_host_id: _Optional[str] = ..., port_proxy_address: _Optional[str] = ...) -> None: ...

class RegisterHostResponse(_message.Message):
    __slots__ = ("host_id", "certificate_pem", "ca_certificate_pem", "server_name", "expires_at")
    HOST_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    host_id: str
    certificate_pem: str
    ca_certificate_pem: str
    server_name: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, host_id: _Optional[str] = ..., certificate_pem: _Optional[str] = ..., ca_certificate_pem: _Optional[str] = ..., server_name: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
