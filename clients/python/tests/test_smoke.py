"""Smoke test of the generated Python client against a running Wrenn stack.

Run by test/integration/clients.test.ts, which starts the stack and sets
WRENN_ADDRESS (the controlplane's gRPC host:port).
"""

import os

import grpc

from wrenn_gen.wrenn.api.v1 import process_pb2, process_pb2_grpc, sandbox_pb2, sandbox_pb2_grpc
from wrenn_gen.wrenn.envd.v1 import process_pb2 as envd_process_pb2


def test_create_run_echo_and_destroy():
    address = os.environ["WRENN_ADDRESS"]
    with grpc.insecure_channel(address) as channel:
        sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
        processes = process_pb2_grpc.ProcessServiceStub(channel)

        created = sandboxes.CreateSandbox(sandbox_pb2.CreateSandboxRequest(template_id="base", wait_ready=True))
        sandbox_id = created.sandbox.sandbox_id
        assert created.sandbox.status == sandbox_pb2.SANDBOX_STATUS_RUNNING

        stdout = b""
        exit_code = None
        request = process_pb2.StartProcessRequest(
            sandbox_id=sandbox_id,
            start=envd_process_pb2.StartRequest(process=envd_process_pb2.ProcessConfig(cmd="echo", args=["hello"])),
        )
        for response in processes.StartProcess(request):
            event = response.event
            if event.HasField("data") and event.data.HasField("stdout"):
                stdout += event.data.stdout
            if event.HasField("end"):
                exit_code = event.end.exit_code
        assert stdout == b"hello\n"
        assert exit_code == 0

        destroyed = sandboxes.DestroySandbox(sandbox_pb2.DestroySandboxRequest(sandbox_id=sandbox_id, wait=True))
        assert destroyed.sandbox.status == sandbox_pb2.SANDBOX_STATUS_STOPPED


def test_unknown_sandbox_is_not_found():
    with grpc.insecure_channel(os.environ["WRENN_ADDRESS"]) as channel:
        sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
        try:
            sandboxes.GetSandbox(sandbox_pb2.GetSandboxRequest(sandbox_id="sb-" + "0" * 32))
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND
        else:
            raise AssertionError("expected NOT_FOUND")
