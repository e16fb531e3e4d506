"""Stock gRPC tooling works against every Wrenn server: server reflection
lists the services and the standard health service answers SERVING.

Run by test/integration/clients.test.ts with WRENN_ADDRESS (controlplane) and
WRENN_HOSTAGENT_ADDRESS set.
"""

import os

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

SERVERS = {
    "controlplane": (
        "WRENN_ADDRESS",
        {"wrenn.api.v1.SandboxService", "wrenn.api.v1.ProcessService", "wrenn.api.v1.FilesystemService"},
    ),
    "hostagent": ("WRENN_HOSTAGENT_ADDRESS", {"wrenn.hostagent.v1.SandboxService"}),
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_reflection_lists_the_services(server):
    env, expected = SERVERS[server]
    with grpc.insecure_channel(os.environ[env]) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert expected <= services
        assert "grpc.health.v1.Health" in services
        # A described service resolves to its methods, as grpcurl describe would.
        name = sorted(expected)[0]
        descriptor = database.FindFileContainingSymbol(name)
        assert descriptor is not None


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_health_is_serving(server):
    env, _ = SERVERS[server]
    with grpc.insecure_channel(os.environ[env]) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
