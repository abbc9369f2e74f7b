package embedded

import (
	"context"
	"testing"
)

func TestSyncCapturesAfterPuts(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.PutCapture(ctx, "doc-1", []byte("<html>one</html>")); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncCaptures(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Capture(ctx, "doc-1")
	if err != nil || string(got) != "<html>one</html>" {
		t.Fatalf("capture after sync = %q, %v", got, err)
	}
	s.Close()
	if err := s.SyncCaptures(ctx); err == nil {
		t.Fatal("sync on a closed store succeeded")
	}
}
