"""Smoke test of the generated Python client against a running Wrenn stack.

Run by test/integration/clients.test.ts, which starts the stack and sets
WRENN_ADDRESS (the controlplane's gRPC host:port) and WRENN_API_KEY (the
stack's API key, sent with each call as `authorization: Bearer <key>`).
"""

import os

import grpc

from wrenn_gen.wrenn.api.v1 import process_pb2, process_pb2_grpc, sandbox_pb2, sandbox_pb2_grpc
from wrenn_gen.wrenn.envd.v1 import process_pb2 as envd_process_pb2


def auth():
    return [("authorization", "Bearer " + os.environ["WRENN_API_KEY"])]


def test_create_run_echo_and_destroy():
    address = os.environ["WRENN_ADDRESS"]
    with grpc.insecure_channel(address) as channel:
        sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
        processes = process_pb2_grpc.ProcessServiceStub(channel)

        created = sandboxes.CreateSandbox(sandbox_pb2.CreateSandboxRequest(template_id="base", wait_ready=True), metadata=auth())
        sandbox_id = created.sandbox.sandbox_id
        assert created.sandbox.status == sandbox_pb2.SANDBOX_STATUS_RUNNING

        stdout = b""
        exit_code = None
        request = process_pb2.StartProcessRequest(
            sandbox_id=sandbox_id,
            start=envd_process_pb2.StartRequest(process=envd_process_pb2.ProcessConfig(cmd="echo", args=["hello"])),
        )
        for response in processes.StartProcess(request, metadata=auth()):
            event = response.event
            if event.HasField("data") and event.data.HasField("stdout"):
                stdout += event.data.stdout
            if event.HasField("end"):
                exit_code = event.end.exit_code
        assert stdout == b"hello\n"
        assert exit_code == 0

        destroyed = sandboxes.DestroySandbox(sandbox_pb2.DestroySandboxRequest(sandbox_id=sandbox_id, wait=True), metadata=auth())
        assert destroyed.sandbox.status == sandbox_pb2.SANDBOX_STATUS_STOPPED


def test_unknown_sandbox_is_not_found():
    with grpc.insecure_channel(os.environ["WRENN_ADDRESS"]) as channel:
        sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
        try:
            sandboxes.GetSandbox(sandbox_pb2.GetSandboxRequest(sandbox_id="sb-" + "0" * 32), metadata=auth())
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND
        else:
            raise AssertionError("expected NOT_FOUND")


def test_a_call_without_a_key_or_with_a_wrong_one_is_unauthenticated():
    wrong = [("authorization", "Bearer wrn_" + "A" * 43)]
    with grpc.insecure_channel(os.environ["WRENN_ADDRESS"]) as channel:
        sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
        for metadata in (None, wrong):
            try:
                sandboxes.ListSandboxes(sandbox_pb2.ListSandboxesRequest(), metadata=metadata)
            except grpc.RpcError as err:
                assert err.code() == grpc.StatusCode.UNAUTHENTICATED
            else:
                raise AssertionError("expected UNAUTHENTICATED")
