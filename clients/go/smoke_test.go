// Smoke test of the generated Go client against a running Wrenn stack. Run by
// test/integration/clients.test.ts, which starts the stack and sets
// WRENN_ADDRESS (the controlplane's gRPC host:port) and WRENN_API_KEY (the
// stack's API key, sent with each call as "authorization: Bearer <key>").
package wrennclient

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	apiv1 "github.com/wrenn-dev/wrenn/gen/go/wrenn/api/v1"
	envdv1 "github.com/wrenn-dev/wrenn/gen/go/wrenn/envd/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	address := os.Getenv("WRENN_ADDRESS")
	if address == "" {
		t.Fatal("WRENN_ADDRESS must name the controlplane's gRPC address")
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// authed carries the stack's API key on every call made with it.
func authed(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	key := os.Getenv("WRENN_API_KEY")
	if key == "" {
		t.Fatal("WRENN_API_KEY must hold an API key of the stack")
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

func TestCreateRunEchoAndDestroy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx = authed(t, ctx)
	conn := dial(t)
	sandboxes := apiv1.NewSandboxServiceClient(conn)
	processes := apiv1.NewProcessServiceClient(conn)

	created, err := sandboxes.CreateSandbox(ctx, &apiv1.CreateSandboxRequest{TemplateId: "base", WaitReady: true})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := created.GetSandbox().GetSandboxId()
	if got := created.GetSandbox().GetStatus(); got != apiv1.SandboxStatus_SANDBOX_STATUS_RUNNING {
		t.Fatalf("status after create = %v, want RUNNING", got)
	}

	stream, err := processes.StartProcess(ctx, &apiv1.StartProcessRequest{
		SandboxId: id,
		Start:     &envdv1.StartRequest{Process: &envdv1.ProcessConfig{Cmd: "echo", Args: []string{"hello"}}},
	})
	if err != nil {
		t.Fatalf("start process: %v", err)
	}
	var stdout []byte
	exitCode := int32(-100)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("process stream: %v", err)
		}
		event := msg.GetEvent()
		stdout = append(stdout, event.GetData().GetStdout()...)
		if end := event.GetEnd(); end != nil {
			exitCode = end.GetExitCode()
		}
	}
	if string(stdout) != "hello\n" || exitCode != 0 {
		t.Fatalf("echo hello gave stdout %q exit %d", stdout, exitCode)
	}

	destroyed, err := sandboxes.DestroySandbox(ctx, &apiv1.DestroySandboxRequest{SandboxId: id, Wait: true})
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got := destroyed.GetSandbox().GetStatus(); got != apiv1.SandboxStatus_SANDBOX_STATUS_STOPPED {
		t.Fatalf("status after destroy = %v, want STOPPED", got)
	}
}

func TestUnknownSandboxIsNotFound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sandboxes := apiv1.NewSandboxServiceClient(dial(t))
	_, err := sandboxes.GetSandbox(authed(t, ctx), &apiv1.GetSandboxRequest{SandboxId: "sb-00000000000000000000000000000000"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetSandbox(unknown) error = %v, want NotFound", err)
	}
}

func TestCallWithoutKeyOrWithWrongKeyIsUnauthenticated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sandboxes := apiv1.NewSandboxServiceClient(dial(t))
	wrong := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer wrn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	for name, callCtx := range map[string]context.Context{"no key": ctx, "wrong key": wrong} {
		_, err := sandboxes.ListSandboxes(callCtx, &apiv1.ListSandboxesRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("ListSandboxes with %s: error = %v, want Unauthenticated", name, err)
		}
	}
}
