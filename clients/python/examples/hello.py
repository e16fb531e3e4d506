"""Creates a sandbox, runs `echo hello` in it, prints what it printed, destroys it.

    .venv/bin/python clients/python/examples/hello.py

(`./wrenn up` made .venv with the client installed; elsewhere:
`pip install ./gen/python`, which brings grpcio, protobuf and
googleapis-common-protos.)

WRENN_ADDRESS is the controlplane's gRPC address (default 127.0.0.1:50051),
WRENN_API_KEY an API key (default: the one `./wrenn up` wrote to .wrenn/api-key).
"""

import os
import sys

import grpc

from wrenn_gen.wrenn.api.v1 import process_pb2, process_pb2_grpc, sandbox_pb2, sandbox_pb2_grpc
from wrenn_gen.wrenn.envd.v1 import process_pb2 as envd_process_pb2

address = os.environ.get("WRENN_ADDRESS", "127.0.0.1:50051")
api_key = os.environ.get("WRENN_API_KEY") or open(".wrenn/api-key").read().strip()
auth = [("authorization", f"Bearer {api_key}")]  # every call but signup carries a key
with grpc.insecure_channel(address) as channel:
    sandboxes = sandbox_pb2_grpc.SandboxServiceStub(channel)
    processes = process_pb2_grpc.ProcessServiceStub(channel)

    sandbox = sandboxes.CreateSandbox(sandbox_pb2.CreateSandboxRequest(template_id="base", wait_ready=True), metadata=auth).sandbox
    try:
        command = envd_process_pb2.ProcessConfig(cmd="echo", args=["hello"])
        request = process_pb2.StartProcessRequest(sandbox_id=sandbox.sandbox_id, start=envd_process_pb2.StartRequest(process=command))
        exit_code = None
        for response in processes.StartProcess(request, metadata=auth):  # events stream while the command runs
            event = response.event
            if event.HasField("data"):
                sys.stdout.buffer.write(event.data.stdout + event.data.stderr)
            if event.HasField("end"):
                exit_code = event.end.exit_code
        print(f"exit code {exit_code} in {sandbox.sandbox_id}")
    finally:
        sandboxes.DestroySandbox(sandbox_pb2.DestroySandboxRequest(sandbox_id=sandbox.sandbox_id, wait=True), metadata=auth)
