// Creates a sandbox, runs `echo hello` in it, prints what it printed, destroys it.
//
//	cd clients/go && go run ./examples/hello
//
// WRENN_ADDRESS is the controlplane's gRPC address (default 127.0.0.1:50051),
// WRENN_API_KEY an API key (default: the one `./wrenn up` wrote to .wrenn/api-key,
// read from the repository root).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	apiv1 "github.com/wrenn-dev/wrenn/gen/go/wrenn/api/v1"
	envdv1 "github.com/wrenn-dev/wrenn/gen/go/wrenn/envd/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

func main() {
	address := os.Getenv("WRENN_ADDRESS")
	if address == "" {
		address = "127.0.0.1:50051"
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("dial %s: %v", address, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Every call but signup carries an API key.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+apiKey())
	sandboxes := apiv1.NewSandboxServiceClient(conn)
	processes := apiv1.NewProcessServiceClient(conn)

	created, err := sandboxes.CreateSandbox(ctx, &apiv1.CreateSandboxRequest{TemplateId: "base", WaitReady: true})
	if err != nil {
		log.Fatalf("create: %v", err)
	}
	id := created.GetSandbox().GetSandboxId()
	defer func() {
		if _, err := sandboxes.DestroySandbox(ctx, &apiv1.DestroySandboxRequest{SandboxId: id, Wait: true}); err != nil {
			log.Printf("destroy %s: %v", id, err)
		}
	}()

	stream, err := processes.StartProcess(ctx, &apiv1.StartProcessRequest{
		SandboxId: id,
		Start:     &envdv1.StartRequest{Process: &envdv1.ProcessConfig{Cmd: "echo", Args: []string{"hello"}}},
	})
	if err != nil {
		log.Fatalf("start: %v", err)
	}
	for {
		msg, err := stream.Recv() // events stream while the command runs
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			log.Fatalf("stream: %v", err)
		}
		event := msg.GetEvent()
		os.Stdout.Write(event.GetData().GetStdout())
		os.Stdout.Write(event.GetData().GetStderr())
		if end := event.GetEnd(); end != nil {
			fmt.Printf("exit code %d in %s\n", end.GetExitCode(), id)
		}
	}
}

func apiKey() string {
	if key := os.Getenv("WRENN_API_KEY"); key != "" {
		return key
	}
	data, err := os.ReadFile("../../.wrenn/api-key") // run from clients/go
	if err != nil {
		log.Fatalf("no WRENN_API_KEY and no key file: %v", err)
	}
	return strings.TrimSpace(string(data))
}
